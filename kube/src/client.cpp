#include "switchyard/kube/client.h"

#include <condition_variable>
#include <csignal>
#include <mutex>
#include <random>
#include <thread>

#include "decode.h"
#include "json_util.h"
#include "transport.h"
#include "url.h"

namespace switchyard::kube {
namespace {

constexpr const char* kJson = "application/json";

const char* content_type_of(PatchType type) {
  switch (type) {
    case PatchType::Merge: return "application/merge-patch+json";
    case PatchType::Json: return "application/json-patch+json";
    case PatchType::StrategicMerge: return "application/strategic-merge-patch+json";
    case PatchType::Apply: return "application/apply-patch+yaml";
  }
  return kJson;
}

// Kubernetes answers errors with a Status; proxies in front of it may not.
ApiError http_error(const HttpResponse& response, const std::string& method, const std::string& url) {
  ApiError error = json::status_error(response.status, response.body);
  if (error.reason.empty()) {
    switch (response.status) {
      case 400: error.reason = "BadRequest"; break;
      case 401: error.reason = "Unauthorized"; break;
      case 403: error.reason = "Forbidden"; break;
      case 404: error.reason = "NotFound"; break;
      case 405: error.reason = "MethodNotAllowed"; break;
      case 409: error.reason = "Conflict"; break;
      case 410: error.reason = "Expired"; break;
      case 415: error.reason = "UnsupportedMediaType"; break;
      case 422: error.reason = "Invalid"; break;
      case 429: error.reason = "TooManyRequests"; break;
      case 500: error.reason = "InternalError"; break;
      case 503: error.reason = "ServiceUnavailable"; break;
      case 504: error.reason = "Timeout"; break;
      default: break;
    }
  }
  error.retry_after = response.retry_after;
  if (error.message.empty()) error.message = method + " " + url;
  return error;
}

bool success(int status) { return status >= 200 && status < 300; }

}  // namespace

struct Client::Impl {
  explicit Impl(ClusterConfig c) : config(std::move(c)), transport(config) {}

  Result<HttpResponse> call(const std::string& method, const std::string& path, const std::string& body,
                            const std::string& content_type) {
    bool idempotent = method == "GET";
    auto response = transport.send(method, path, body, content_type, idempotent);
    if (!response) return response.error();
    if (!success(response.value().status)) return http_error(response.value(), method, transport.url(path));
    return response;
  }

  Result<ObjectPtr> call_object(const std::string& method, const std::string& path, const std::string& body,
                                const std::string& content_type) {
    auto response = call(method, path, body, content_type);
    if (!response) return response.error();
    return Object::parse(response.value().body, method + " " + path + ": response body");
  }

  ClusterConfig config;  // Transport and Credentials refer to it: declared first
  Transport transport;
};

Client::Client(ClusterConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {
  // Never replaces a handler the application installed.
  struct sigaction current {};
  if (::sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
    std::signal(SIGPIPE, SIG_IGN);
  }
}
Client::~Client() = default;

const ClusterConfig& Client::config() const { return impl_->config; }

Result<ObjectPtr> Client::get(const Resource& resource, std::string_view ns, std::string_view name) {
  return impl_->call_object("GET", resource.path(ns, name), {}, {});
}

Result<ListPage> Client::list(const Resource& resource, std::string_view ns, const ListOptions& options) {
  url::Query query;
  query.add("labelSelector", options.label_selector)
      .add("fieldSelector", options.field_selector)
      .add("resourceVersion", options.resource_version)
      .add("limit", options.limit)
      .add("continue", options.continue_token);
  std::string path = resource.path(ns) + query.str();
  auto response = impl_->call("GET", path, {}, {});
  if (!response) return response.error();
  return decode_list(response.value().body, "GET " + path + ": response body");
}

Result<ListPage> Client::list_all(const Resource& resource, std::string_view ns, ListOptions options) {
  ListPage all;
  bool first = true;
  for (;;) {
    auto page = list(resource, ns, options);
    if (!page) return page.error();
    auto& value = page.value();
    if (first) all.resource_version = value.resource_version;
    first = false;
    all.items.insert(all.items.end(), std::make_move_iterator(value.items.begin()),
                     std::make_move_iterator(value.items.end()));
    if (value.continue_token.empty()) return all;
    // The continue token carries the snapshot; resourceVersion must not be repeated.
    options.continue_token = value.continue_token;
    options.resource_version.clear();
  }
}

Result<std::vector<std::string>> Client::served_resources(std::string_view group_version) {
  const std::string path = group_version == "v1" ? "/api/v1" : "/apis/" + std::string(group_version);
  auto response = impl_->call("GET", path, {}, {});
  if (!response) return response.error();
  rapidjson::Document document;
  if (auto error = json::parse(response.value().body, document, "GET " + path + ": response body"); error.code != 0 ||
      !error.message.empty()) {
    return error;
  }
  std::vector<std::string> names;
  const auto* resources = json::find(document, "resources");
  if (resources == nullptr || !resources->IsArray()) return names;
  for (const auto& resource : resources->GetArray()) {
    const auto name = json::string_member(resource, "name");
    if (!name.empty() && name.find('/') == std::string::npos) names.push_back(name);  // not "x/status"
  }
  return names;
}

Result<ObjectPtr> Client::create(const Resource& resource, std::string_view ns, const std::string& body_json) {
  return impl_->call_object("POST", resource.path(ns), body_json, kJson);
}

Result<ObjectPtr> Client::update(const Resource& resource, std::string_view ns, std::string_view name,
                                 const std::string& body_json) {
  return impl_->call_object("PUT", resource.path(ns, name), body_json, kJson);
}

static std::string patch_query(PatchType type, const PatchOptions& options, const ClusterConfig& config) {
  url::Query query;
  std::string manager = options.field_manager;
  if (manager.empty() && type == PatchType::Apply) manager = config.field_manager;
  query.add("fieldManager", manager);
  if (type == PatchType::Apply && options.force) query.add("force", "true");
  return query.str();
}

Result<ObjectPtr> Client::patch(const Resource& resource, std::string_view ns, std::string_view name,
                                PatchType type, const std::string& patch, const PatchOptions& options) {
  return impl_->call_object("PATCH", resource.path(ns, name) + patch_query(type, options, impl_->config), patch,
                            content_type_of(type));
}

Result<ObjectPtr> Client::apply(const Resource& resource, std::string_view ns, std::string_view name,
                                const std::string& body, const PatchOptions& options) {
  return patch(resource, ns, name, PatchType::Apply, body, options);
}

Result<ObjectPtr> Client::update_status(const Resource& resource, std::string_view ns, std::string_view name,
                                        const std::string& body_json) {
  return impl_->call_object("PUT", resource.path(ns, name, "status"), body_json, kJson);
}

Result<ObjectPtr> Client::patch_status(const Resource& resource, std::string_view ns, std::string_view name,
                                       PatchType type, const std::string& patch, const PatchOptions& options) {
  return impl_->call_object("PATCH", resource.path(ns, name, "status") + patch_query(type, options, impl_->config),
                            patch, content_type_of(type));
}

Result<void> Client::remove(const Resource& resource, std::string_view ns, std::string_view name,
                            const DeleteOptions& options) {
  std::string body;
  if (!options.propagation_policy.empty() || !options.precondition_uid.empty() ||
      !options.precondition_resource_version.empty()) {
    body = R"({"kind":"DeleteOptions","apiVersion":"v1")";
    if (!options.propagation_policy.empty()) body += R"(,"propagationPolicy":)" + json::quote(options.propagation_policy);
    if (!options.precondition_uid.empty() || !options.precondition_resource_version.empty()) {
      body += R"(,"preconditions":{)";
      bool comma = false;
      if (!options.precondition_uid.empty()) {
        body += R"("uid":)" + json::quote(options.precondition_uid);
        comma = true;
      }
      if (!options.precondition_resource_version.empty()) {
        body += std::string(comma ? "," : "") + R"("resourceVersion":)" +
                json::quote(options.precondition_resource_version);
      }
      body += "}";
    }
    body += "}";
  }
  auto response = impl_->call("DELETE", resource.path(ns, name), body, body.empty() ? "" : kJson);
  if (!response) return response.error();
  return {};
}

Result<WatchEnd> Client::watch(const Resource& resource, std::string_view ns, const WatchOptions& options,
                               const std::function<void(WatchEvent&&)>& on_event, const std::atomic<bool>& stop) {
  url::Query query;
  query.add("watch", "true")
      .add("resourceVersion", options.resource_version)
      .add("labelSelector", options.label_selector)
      .add("fieldSelector", options.field_selector)
      .add("allowWatchBookmarks", options.allow_bookmarks ? "true" : "")
      .add("timeoutSeconds", options.timeout_seconds);
  const std::string path = resource.path(ns) + query.str();
  const std::string url = impl_->transport.url(path);

  bool refreshed_after_401 = false;
  for (;;) {
    // A server with timeoutSeconds ends the stream itself; leave it room.
    auto idle = impl_->config.watch_idle_timeout;
    if (options.timeout_seconds > 0) {
      idle = std::max(idle, std::chrono::milliseconds((options.timeout_seconds + 30) * 1000LL));
    }
    auto stream = impl_->transport.open_stream(idle);
    if (!stream) return stream.error();
    auto& connection = *stream.value().connection;

    // The stream blocks in a socket read; a watcher thread notices `stop`
    // and shuts the socket down, which httplib allows from another thread.
    std::mutex done_mutex;
    std::condition_variable done_changed;
    bool done = false;
    std::thread stopper([&] {
      std::unique_lock lock(done_mutex);
      while (!done) {
        if (stop.load()) {
          connection.stop();
          return;
        }
        done_changed.wait_for(lock, std::chrono::milliseconds(50));
      }
    });

    int status = 0;
    std::string error_body;
    LineSplitter lines;
    WatchEnd end;
    std::optional<ApiError> stream_error;
    httplib::Request request;
    request.method = "GET";
    request.path = impl_->transport.wire_path(path);
    request.headers = stream.value().headers;
    request.response_handler = [&](const httplib::Response& response) {
      status = response.status;
      return true;
    };
    request.content_receiver = [&](const char* data, size_t size, uint64_t, uint64_t) {
      if (stop.load()) return false;
      if (status != 200) {
        if (error_body.size() < 65536) error_body.append(data, size);
        return true;
      }
      return lines.feed(std::string_view(data, size), [&](std::string_view line) {
        auto event = decode_watch_line(line);
        if (!event) {
          stream_error = event.error();
          stream_error->message = "GET " + url + ": " + stream_error->message;
          return false;
        }
        if (event.value().object) {
          std::string_view rv = event.value().object->resource_version();
          if (!rv.empty()) end.last_resource_version = rv;
        }
        ++end.events;
        on_event(std::move(event).value());
        return !stop.load();
      });
    };
    auto result = connection.send(request);
    {
      std::lock_guard lock(done_mutex);
      done = true;
    }
    done_changed.notify_all();
    stopper.join();

    if (stream_error) return *stream_error;
    if (stop.load()) {
      end.reason = WatchEnd::Reason::Stopped;
      return end;
    }
    if (!result) {
      return transport_failure("GET " + url + ": watch stream broke: " + httplib::to_string(result.error()),
                               result.error());
    }
    status = result.value().status;
    if (status == 401 && !refreshed_after_401 &&
        impl_->transport.invalidate_credentials(stream.value().bearer_token)) {
      refreshed_after_401 = true;
      continue;
    }
    if (status != 200) {
      HttpResponse response{status, error_body.empty() ? result.value().body : error_body,
                            retry_after_of(result.value())};
      return http_error(response, "GET", url);
    }
    if (!lines.remainder().empty()) {
      // A last event without its newline still counts.
      std::string last = lines.remainder();
      auto event = decode_watch_line(last);
      if (!event) return event.error();
      if (event.value().object && !event.value().object->resource_version().empty()) {
        end.last_resource_version = event.value().object->resource_version();
      }
      ++end.events;
      on_event(std::move(event).value());
    }
    end.reason = WatchEnd::Reason::ServerClosed;
    return end;
  }
}

std::size_t Client::connections_opened() const { return impl_->transport.connections_opened(); }
std::size_t Client::credential_refreshes() const { return impl_->transport.credential_refreshes(); }

Result<ObjectPtr> retry_on_conflict(int attempts, const std::function<Result<ObjectPtr>()>& mutation) {
  // client-go's DefaultRetry: 10 ms base, factor 1, jitter 0.1.
  thread_local std::mt19937 random{std::random_device{}()};
  for (int attempt = 1;; ++attempt) {
    auto result = mutation();
    if (result || !result.error().conflict() || attempt >= attempts) return result;
    std::uniform_int_distribution<int> jitter(10000, 11000);
    std::this_thread::sleep_for(std::chrono::microseconds(jitter(random)));
  }
}

}  // namespace switchyard::kube
