#include "switchyard/devcluster/server.h"

#include <httplib.h>
#include <openssl/evp.h>

#include <algorithm>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <unordered_set>

#include "api.h"
#include "api_error.h"
#include "audit_log.h"
#include "base64.h"
#include "connection_pool.h"
#include "json_util.h"
#include "loop_thread.h"
#include "object_patch.h"
#include "object_rules.h"
#include "protobuf_body.h"
#include "snapshot_file.h"
#include "table.h"
#include "switchyard/telemetry/background_server.h"
#include "switchyard/telemetry/open_sockets.h"
#include "tls_identity.h"
#include "watch_stream.h"

namespace switchyard::devcluster {

namespace {

std::string lower_media_type(const std::string& header) {
  std::string media = header.substr(0, header.find(';'));
  media.erase(0, media.find_first_not_of(" \t"));
  media.erase(media.find_last_not_of(" \t") + 1);
  std::transform(media.begin(), media.end(), media.begin(), ::tolower);
  return media;
}

bool is_yaml(const std::string& media) { return media == "application/yaml" || media == "application/apply-patch+yaml"; }

bool is_json(const std::string& media) {
  return media.empty() || media == "application/json" || media == "application/merge-patch+json" ||
         media == "application/json-patch+json" || media == "application/strategic-merge-patch+json" ||
         media == "*/*";
}

void send_error(httplib::Response& response, const ApiError& error) {
  response.status = error.code;
  response.set_content(status_json(error), "application/json");
}


const char* reason_for(int status) {
  switch (status) {
    case 400:
      return "BadRequest";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "NotFound";
    case 409:
      return "Conflict";
    case 413:
      return "RequestEntityTooLarge";
    case 429:
      return "TooManyRequests";
    case 503:
      return "ServiceUnavailable";
    case 504:
      return "Timeout";
    default:
      return "InternalError";
  }
}

// Connections past max_connections that are still read, to be told 429
// (ConnectionPool); more than this wait for a thread instead.
constexpr std::size_t kOverLimitConnections = 64;

// Counts a request in flight for its lifetime.
struct InFlight {
  explicit InFlight(std::atomic<std::size_t>& counter) : counter_(counter), count(++counter) {}
  ~InFlight() { --counter_; }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;
  std::atomic<std::size_t>& counter_;
  const std::size_t count;  // including this one
};

}  // namespace

class Server::Impl {
 public:
  explicit Impl(ServerOptions options) : options_(std::move(options)) {
    // Over HTTPS kubectl asks for a user name when the kubeconfig has no
    // credentials, so a TLS server always has a token to write there.
    if (options_.tls && options_.token.empty()) options_.token = random_token();
    Api::Options api_options;
    api_options.event_window = options_.event_window;
    api_ = std::make_unique<Api>(api_options);
    api_->on_change = [this] { mark_dirty(); };
  }

  ~Impl() {
    stop();
    // The Api belongs to the loop thread: release it there.
    loop_.call([this] { api_.reset(); });
  }

  bool start(std::string& error) {
    if (running_) return true;
    if (!options_.audit_log_file.empty() && !audit_opened_) {
      if (!audit_.open(options_.audit_log_file, error)) return false;
      audit_opened_ = true;
    }
    if (!options_.data_dir.empty() && !loaded_) {
      Snapshot snapshot;
      if (!read_snapshot(options_.data_dir, snapshot, error)) return false;
      loop_.call([&] {
        Store& store = api_->store();
        for (auto& [key, object] : snapshot.objects) {
          store.restore(key, metadata_string(*object, "namespace"), metadata_string(*object, "name"), object);
        }
        store.restore_version(snapshot.resource_version);
        api_->serve_stored_crds();
      });
      loaded_ = true;
    }
    if (options_.tls && !identity_.certificate && !load_or_generate_identity(error)) return false;
    if (options_.tls) {
      http_ = std::make_unique<httplib::SSLServer>(identity_.certificate.get(), identity_.key.get());
    } else {
      http_ = std::make_unique<httplib::Server>();
    }
    configure(*http_);
    stopping_ = false;
    int bound = 0;
    int port = port_ != 0 ? port_ : options_.port;
    if (!telemetry::serve_in_background(*http_, options_.host, port, http_thread_, bound, error)) {
      http_.reset();
      return false;
    }
    port_ = bound;
    running_ = true;
    if (!options_.data_dir.empty()) start_persister();
    return true;
  }

  // A server with a data directory keeps its generated certificate there, as
  // a real cluster keeps its CA: after a restart, kubeconfigs and clients
  // that trusted it still do.
  bool load_or_generate_identity(std::string& error) {
    if (!options_.tls_cert_file.empty()) {
      return load_tls_identity(options_.tls_cert_file, options_.tls_key_file, identity_, error);
    }
    if (options_.data_dir.empty()) return generate_tls_identity(identity_, error);
    const std::string cert_file = options_.data_dir + "/tls.crt";
    const std::string key_file = options_.data_dir + "/tls.key";
    if (std::filesystem::exists(cert_file) && std::filesystem::exists(key_file)) {
      return load_tls_identity(cert_file, key_file, identity_, error);
    }
    std::error_code ec;
    std::filesystem::create_directories(options_.data_dir, ec);
    return generate_tls_identity(identity_, error) && save_tls_identity(identity_, cert_file, key_file, error);
  }

  void stop() {
    if (!running_) return;
    stopping_ = true;
    loop_.call([this] { api_->store().close_watchers(); });
    http_->stop();
    // httplib (0.11) lets an idle keep-alive connection, a half-sent request
    // or a finished watch wait out its 30 s timeout before the server can
    // end: a SIGTERMed devcluster took 30 s to exit while any client kept a
    // connection, and a restarted one could not bind its port meanwhile. The
    // listener is closed now, so no new connection arrives after this.
    (void)telemetry::shut_down_connections_on(port_);
    http_thread_.join();
    http_.reset();
    stop_persister();
    running_ = false;
  }

  bool restart(std::string& error) {
    stop();
    loop_.call([this] {
      // A restarted API server's watch cache starts at the current version.
      api_->store().restore_version(api_->store().resource_version());
    });
    return start(error);
  }

  int port() const { return port_; }
  std::string url() const {
    return std::string(options_.tls ? "https" : "http") + "://" + options_.host + ":" + std::to_string(port_);
  }
  std::string ca_pem() const { return identity_.certificate_pem; }

  const std::string& token() const { return options_.token; }

  std::string kubeconfig(const std::string& context) const {
    std::string out = "apiVersion: v1\nkind: Config\nclusters:\n- name: " + context + "\n  cluster:\n    server: " +
                      url() + "\n";
    if (options_.tls) out += "    certificate-authority-data: " + base64_encode(identity_.certificate_pem) + "\n";
    out += "users:\n- name: " + context + "\n  user:\n";
    out += options_.token.empty() ? "    {}\n" : "    token: " + options_.token + "\n";
    out += "contexts:\n- name: " + context + "\n  context:\n    cluster: " + context + "\n    user: " + context +
           "\n    namespace: default\ncurrent-context: " + context + "\npreferences: {}\n";
    return out;
  }

  void inject_fault(const Fault& fault) {
    std::lock_guard<std::mutex> lock(faults_mutex_);
    faults_.push_back(fault);
  }
  void clear_faults() {
    std::lock_guard<std::mutex> lock(faults_mutex_);
    faults_.clear();
  }

  std::uint64_t resource_version() { return loop_.call([this] { return api_->store().resource_version(); }); }
  std::size_t open_watches() { return loop_.call([this] { return api_->store().watcher_count(); }); }
  std::size_t requests_in_flight() const { return requests_in_flight_.load(); }

 private:
  void configure(httplib::Server& http) {
    std::size_t max_connections = options_.max_connections;
    http.new_task_queue = [max_connections] { return new ConnectionPool(max_connections, kOverLimitConnections); };
    http.set_payload_max_length(options_.max_body_bytes);
    http.set_keep_alive_max_count(100000);
    http.set_keep_alive_timeout(30);
    http.set_read_timeout(30, 0);
    http.set_pre_routing_handler([this](const httplib::Request& request, httplib::Response& response) {
      return refuse_early(request, response) ? httplib::Server::HandlerResponse::Handled
                                             : httplib::Server::HandlerResponse::Unhandled;
    });
    auto handler = [this](const httplib::Request& request, httplib::Response& response) {
      serve(request, request.body, response);
    };
    // Bodies are read here, not by httplib: its payload limit covers only
    // bodies with a Content-Length, while a chunked one (or one without
    // either, read to the end of the connection) grew without bound.
    auto with_body = [this](const httplib::Request& request, httplib::Response& response,
                            const httplib::ContentReader& reader) {
      std::string body;
      if (!read_body(reader, body, response)) return;
      serve(request, body, response);
    };
    for (const char* pattern : {R"(/.*)"}) {
      http.Get(pattern, handler);
      http.Post(pattern, with_body);
      http.Put(pattern, with_body);
      http.Patch(pattern, with_body);
      http.Delete(pattern, with_body);
    }
    http.set_error_handler([this](const httplib::Request&, httplib::Response& response) {
      // Statuses httplib produces itself (413 over the body limit, 400 for a
      // request it cannot read) still come back as Status objects.
      if (!response.body.empty()) return;
      std::string message = response.status == 413 ? body_too_large_message()
                                                    : "the server could not handle the request";
      send_error(response, ApiError{response.status, reason_for(response.status), message, "", "", "", {}});
    });
    http.set_exception_handler([](const httplib::Request&, httplib::Response& response, std::exception_ptr) {
      send_error(response, internal_error("the server failed to handle the request"));
    });
  }

  std::string body_too_large_message() const {
    return "the request body is larger than the server accepts (" + std::to_string(options_.max_body_bytes) +
           " bytes)";
  }

  // Answers what is refused before the body is read: a connection past
  // max_connections, and bodies httplib would mis-read.
  bool refuse_early(const httplib::Request& request, httplib::Response& response) {
    if (ConnectionPool::over_limit()) {
      too_many_requests(response, "too many open connections (" + std::to_string(options_.max_connections) +
                                      "), please try again later");
      response.set_header("Connection", "close");
      return true;
    }
    // httplib hands a multipart body to a per-part callback this server
    // does not give; no Kubernetes request is multipart.
    if (request.is_multipart_form_data()) {
      send_error(response, unsupported_media_type("multipart bodies are not accepted"));
      response.set_header("Connection", "close");
      return true;
    }
    return false;
  }

  static void too_many_requests(httplib::Response& response, std::string message) {
    ApiError error{429, "TooManyRequests", std::move(message), "", "", "", {}};
    error.retry_after_seconds = 1;
    send_error(response, error);
    response.set_header("Retry-After", "1");
  }

  // Reads the request body up to max_body_bytes. Past it the rest is read
  // and dropped (up to as much again, so the client gets to read the 413
  // rather than a reset), the answer is 413 and the connection closes.
  bool read_body(const httplib::ContentReader& reader, std::string& body, httplib::Response& response) {
    const std::size_t limit = options_.max_body_bytes;
    std::size_t received = 0;
    bool read = reader([&](const char* data, std::size_t size) {
      received += size;
      if (received <= limit) {
        body.append(data, size);
        return true;
      }
      std::string().swap(body);
      return received <= 2 * limit + 1024 * 1024;
    });
    if (read && received <= limit) return true;
    // httplib itself refused a Content-Length over the limit with 413.
    if (received > limit || response.status == 413) {
      send_error(response, ApiError{413, reason_for(413), body_too_large_message(), "", "", "", {}});
    } else {
      send_error(response, bad_request("the request body could not be read"));
    }
    response.set_header("Connection", "close");
    return false;
  }

  // Applies an injected fault; returns true when the request was answered.
  bool apply_faults(const httplib::Request& request, httplib::Response& response) {
    Fault matched;
    bool found = false;
    {
      std::lock_guard<std::mutex> lock(faults_mutex_);
      for (auto it = faults_.begin(); it != faults_.end(); ++it) {
        if ((!it->method.empty() && it->method != request.method) || request.path.rfind(it->path_prefix, 0) != 0) {
          continue;
        }
        if (it->watch_only && !asks_for_watch(request)) continue;
        if (it->percent < 100 && std::uniform_int_distribution<int>(0, 99)(fault_random_) >= it->percent) continue;
        matched = *it;
        found = true;
        if (it->times > 0 && --it->times == 0) faults_.erase(it);
        break;
      }
    }
    if (!found) return false;
    if (matched.delay.count() > 0) std::this_thread::sleep_for(matched.delay);
    if (matched.status == 0) return false;
    send_error(response, ApiError{matched.status, reason_for(matched.status), "injected failure", "", "", "", {}});
    return true;
  }

  static bool asks_for_watch(const httplib::Request& request) {
    return parse_go_bool(request.get_param_value("watch")).value_or(false) ||
           request.path.find("/watch/") != std::string::npos;
  }

  void serve(const httplib::Request& request, const std::string& request_body, httplib::Response& response) {
    // Counted from the start, injected delays included: a slow request
    // holds its place as it would on a real server.
    std::optional<InFlight> in_flight;
    if (!asks_for_watch(request)) {
      in_flight.emplace(requests_in_flight_);
      if (in_flight->count > options_.max_requests_in_flight) {
        too_many_requests(response, "too many requests in flight (" +
                                        std::to_string(options_.max_requests_in_flight) +
                                        "), please try again later");
        return;
      }
    }
    if (apply_faults(request, response)) return;
    if (!options_.token.empty()) {
      std::string authorization = request.get_header_value("Authorization");
      if (authorization != "Bearer " + options_.token) {
        send_error(response, unauthorized());
        return;
      }
    }
    audit_.record(request.method, request.path, request.params, request.get_header_value("User-Agent"));
    ApiRequest api_request;
    api_request.method = request.method;
    api_request.path = request.path;
    for (const auto& [key, value] : request.params) api_request.query.emplace(key, value);
    api_request.content_type = lower_media_type(request.get_header_value("Content-Type"));
    api_request.accept = request.get_header_value("Accept");
    api_request.if_none_match = request.get_header_value("If-None-Match");
    if (!request_body.empty()) {
      const std::string& media = api_request.content_type;
      if (request.method == "PATCH" && patch_kind(media) == PatchKind::kUnsupported) {
        send_error(response, unsupported_media_type("the body of the request was in an unknown format - accepted "
                                                    "media types include: application/json-patch+json, "
                                                    "application/merge-patch+json, application/apply-patch+yaml, "
                                                    "application/strategic-merge-patch+json"));
        return;
      }
      if (media == kProtobufMediaType && request.method == "POST") {
        auto body = std::make_unique<rapidjson::Document>();
        std::string error;
        bool unsupported_kind = false;
        if (!decode_protobuf_object(request_body, *body, error, unsupported_kind)) {
          send_error(response, unsupported_kind ? unsupported_media_type(error) : bad_request(error));
          return;
        }
        api_request.body = std::move(body);
      } else if (!is_json(media) && !is_yaml(media)) {
        send_error(response, unsupported_media_type("the body of the request was in an unknown format - accepted "
                                                    "media types include: application/json, application/yaml"));
        return;
      } else {
        auto body = std::make_unique<rapidjson::Document>();
        std::string error;
        bool parsed = parse_body(request_body, is_yaml(media), *body, error);
        if (!parsed) {
          send_error(response, bad_request(std::string(is_yaml(media) ? "error converting YAML to JSON: "
                                                                       : "error decoding JSON: ") +
                                           error));
          return;
        }
        api_request.body = std::move(body);
      }
    }
    if (Api::is_watch(api_request)) {
      serve_watch(api_request, request, response);
      return;
    }
    ApiResponse answer = loop_.call([&] { return api_->handle(api_request); });
    response.status = answer.status;
    for (const auto& [name, value] : answer.headers) response.set_header(name, value);
    if (!answer.content_type.empty()) response.set_content(std::move(answer.body), answer.content_type.c_str());
  }

  // The watch keeps its connection's descriptor (valid while its request is
  // served): a watch whose client hung up ends within one wait, so it does
  // not hold a thread until the next event fails to write.
  void serve_watch(const ApiRequest& request, const httplib::Request& http_request, httplib::Response& response) {
    WatchStart start = loop_.call([&] { return api_->start_watch(request); });
    if (start.error) {
      send_error(response, *start.error);
      return;
    }
    const int client_socket = claim_watch_socket(http_request.local_port, http_request.remote_port);
    WatchStreamOptions options;
    options.table = wants_table(request.accept);
    options.include_object = request.param("includeObject").value_or("");
    auto bookmarks = request.param("allowWatchBookmarks");
    options.bookmarks = bookmarks && parse_go_bool(*bookmarks).value_or(false);
    options.bookmark_interval = options_.bookmark_interval;
    options.coalesce = options_.watch_coalesce;
    if (auto timeout = request.param("timeoutSeconds")) {
      if (auto seconds = parse_resource_version(*timeout); seconds && *seconds > 0) {
        options.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(*seconds);
      }
    }
    auto published = loop_.call([this] { return api_->store().published_version(); });
    auto stream = std::make_shared<WatchStream>(std::move(start), options, published);
    response.status = 200;
    response.set_header("Cache-Control", "no-cache, private");
    // The stream parameter keeps httplib from gzipping the stream, which
    // would hold events back in the compressor.
    response.set_chunked_content_provider(
        "application/json;stream=watch",
        [this, stream, client_socket](std::size_t, httplib::DataSink& sink) {
          if (client_socket >= 0 && telemetry::peer_hung_up(client_socket)) return false;
          auto write = [&sink](const std::string& line) { return sink.is_writable() && sink.write(line.data(), line.size()); };
          bool more = !stopping_ && stream->step(write, std::chrono::milliseconds(200));
          if (!more) sink.done();
          return true;
        },
        [this, client_socket](bool) { release_watch_socket(client_socket); });
  }

  // Finds the connection's descriptor, skipping those of other open watches,
  // and keeps it as a watch's until release_watch_socket. -1 if not found.
  int claim_watch_socket(int local_port, int remote_port) {
    auto claimed = [this](int fd) {
      std::lock_guard<std::mutex> lock(watch_sockets_mutex_);
      return watch_sockets_.count(fd) > 0;
    };
    int fd = telemetry::connected_socket(local_port, remote_port, claimed);
    if (fd >= 0) {
      std::lock_guard<std::mutex> lock(watch_sockets_mutex_);
      watch_sockets_.insert(fd);
    }
    return fd;
  }

  void release_watch_socket(int fd) {
    if (fd < 0) return;
    std::lock_guard<std::mutex> lock(watch_sockets_mutex_);
    watch_sockets_.erase(fd);
  }

  void mark_dirty() {
    {
      std::lock_guard<std::mutex> lock(persist_mutex_);
      dirty_ = true;
    }
    persist_wake_.notify_one();
  }

  void save_now() {
    Snapshot snapshot = loop_.call([this] {
      Snapshot out;
      out.resource_version = api_->store().resource_version();
      api_->store().for_each([&](const std::string& key, const ObjectPtr& object) { out.objects.emplace_back(key, object); });
      return out;
    });
    std::string error;
    if (!write_snapshot(options_.data_dir, snapshot, error)) std::fprintf(stderr, "devcluster: %s\n", error.c_str());
  }

  void start_persister() {
    persist_stop_ = false;
    persister_ = std::thread([this] {
      std::unique_lock<std::mutex> lock(persist_mutex_);
      for (;;) {
        persist_wake_.wait(lock, [this] { return dirty_ || persist_stop_; });
        bool stop = persist_stop_;
        if (dirty_) {
          dirty_ = false;
          lock.unlock();
          save_now();
          // Coalesce bursts of writes into one snapshot per 50 ms.
          std::this_thread::sleep_for(std::chrono::milliseconds(stop ? 0 : 50));
          lock.lock();
        }
        if (stop) return;
      }
    });
  }

  void stop_persister() {
    if (!persister_.joinable()) return;
    {
      std::lock_guard<std::mutex> lock(persist_mutex_);
      persist_stop_ = true;
      dirty_ = true;  // one final save
    }
    persist_wake_.notify_one();
    persister_.join();
  }

  ServerOptions options_;
  LoopThread loop_;
  std::unique_ptr<Api> api_;  // used on loop_ only
  TlsIdentity identity_;
  std::unique_ptr<httplib::Server> http_;
  std::thread http_thread_;
  int port_ = 0;
  bool running_ = false;
  bool loaded_ = false;
  bool audit_opened_ = false;
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> requests_in_flight_{0};  // non-watch requests being served

  // Descriptors of connections serving a watch (open while in the set).
  std::mutex watch_sockets_mutex_;  // guards watch_sockets_
  std::unordered_set<int> watch_sockets_;

  std::mutex faults_mutex_;  // guards faults_
  std::vector<Fault> faults_;
  std::minstd_rand fault_random_{std::random_device{}()};  // guarded by faults_mutex_
  AuditLog audit_;  // opened once by start(); writes under its own mutex

  std::mutex persist_mutex_;  // guards dirty_, persist_stop_
  std::condition_variable persist_wake_;
  bool dirty_ = false;
  bool persist_stop_ = false;
  std::thread persister_;
};

bool parse_fault(const std::string& text, Fault& out, std::string& error) {
  static const std::string kShape = "expected METHOD:PATH_PREFIX:DELAY_MS:STATUS:TIMES[:watch][:PERCENT%]";
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t colon = text.find(':', start);
    if (colon == std::string::npos) colon = text.size();
    parts.push_back(text.substr(start, colon - start));
    start = colon + 1;
  }
  if (parts.size() < 5 || parts.size() > 7) {
    error = "fault \"" + text + "\": " + kShape;
    return false;
  }
  try {
    out.method = parts[0];
    out.path_prefix = parts[1];
    out.delay = std::chrono::milliseconds(std::stol(parts[2]));
    out.status = std::stoi(parts[3]);
    out.times = std::stoi(parts[4]);
  } catch (const std::exception&) {
    error = "fault \"" + text + "\": DELAY_MS, STATUS and TIMES must be numbers";
    return false;
  }
  out.watch_only = false;
  out.percent = 100;
  for (std::size_t i = 5; i < parts.size(); ++i) {
    const std::string& option = parts[i];
    if (option == "watch" && !out.watch_only) {
      out.watch_only = true;
      continue;
    }
    std::size_t used = 0;
    int percent = -1;
    try {
      percent = std::stoi(option, &used);
    } catch (const std::exception&) {
    }
    if (option.size() < 2 || used != option.size() - 1 || option.back() != '%' || percent < 1 || percent > 100) {
      error = "fault \"" + text + "\": option \"" + option + "\" is neither watch nor a PERCENT% from 1% to 100%";
      return false;
    }
    out.percent = percent;
  }
  return true;
}

Server::Server(ServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Server::~Server() = default;
bool Server::start(std::string& error) { return impl_->start(error); }
void Server::stop() { impl_->stop(); }
bool Server::restart(std::string& error) { return impl_->restart(error); }
int Server::port() const { return impl_->port(); }
std::string Server::url() const { return impl_->url(); }
const std::string& Server::token() const { return impl_->token(); }
std::string Server::ca_certificate_pem() const { return impl_->ca_pem(); }
std::string Server::kubeconfig(const std::string& context_name) const { return impl_->kubeconfig(context_name); }
bool Server::write_kubeconfig(const std::string& path, const std::string& context_name, std::string& error) const {
  std::ofstream out(path, std::ios::trunc);
  out << impl_->kubeconfig(context_name);
  if (!out.flush()) {
    error = "cannot write " + path;
    return false;
  }
  return true;
}
void Server::inject_fault(const Fault& fault) { impl_->inject_fault(fault); }
void Server::clear_faults() { impl_->clear_faults(); }
std::uint64_t Server::resource_version() const { return impl_->resource_version(); }
std::size_t Server::open_watches() const { return impl_->open_watches(); }
std::size_t Server::requests_in_flight() const { return impl_->requests_in_flight(); }

}  // namespace switchyard::devcluster
