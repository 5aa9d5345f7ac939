// libFuzzer target: raw bytes on an agent-API connection, through
// cpp-httplib's request parsing and routing into the hub's handlers (token
// check, body limit, report decoding and sequencing, assignment polls), with
// no network: AgentApiServer::adopt() installs the routes on a server whose
// protected process_request() this target feeds from memory.
//
// Input: one or more HTTP/1.1 requests back to back (keep-alive), e.g.
//   PUT /v1/clusters/east/report HTTP/1.1\r\nAuthorization: Bearer east-token\r\n
//   Content-Length: 60\r\n\r\n{"agentId":"a","seq":1,"full":true,...}
// Each input starts from the same hub state: tokens for east and west, an
// assignment published for east only, no agent session.
//
// Checked (a violation traps, which libFuzzer reports):
//   - no handler throws (the exception handler's 500), every status is an
//     HTTP status in 200..599 and every body the handlers write is JSON;
//   - a 200 answers only a request that carried the path cluster's own token,
//     and a report reaches the hub only for that cluster and with that token
//     (nothing a request carries touches another cluster's state);
//   - polls never park: max_poll_seconds is 0 here, so a target run is bounded.
#include <httplib.h>
#include <rapidjson/document.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "switchyard/hub/agent_api_server.h"
#include "switchyard/telemetry/log.h"

namespace {

using namespace switchyard;

constexpr std::size_t kMaxRequestsPerInput = 8;

std::string token_of(const std::string& cluster) {
  if (cluster == "east") return "east-token";
  if (cluster == "west") return "west-token";
  return {};
}

// The Authorization header carries exactly the cluster's own bearer token.
bool carries_own_token(const httplib::Request& request, const std::string& cluster) {
  const auto token = token_of(cluster);
  if (token.empty()) return false;
  const auto header = request.get_header_value("Authorization");
  constexpr std::string_view kScheme = "bearer ";
  if (header.size() != kScheme.size() + token.size()) return false;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != kScheme[i]) return false;
  }
  return header.compare(kScheme.size(), std::string::npos, token) == 0;
}

// The connection: reads the fuzz input, keeps what the server writes.
class MemoryStream : public httplib::Stream {
 public:
  explicit MemoryStream(std::string_view input) : input_(input) {}
  bool is_readable() const override { return position_ < input_.size(); }
  bool is_writable() const override { return true; }
  ssize_t read(char* ptr, std::size_t size) override {
    const auto n = std::min(size, input_.size() - position_);
    std::copy_n(input_.data() + position_, n, ptr);
    position_ += n;
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const char* ptr, std::size_t size) override {
    written_ += size;
    return static_cast<ssize_t>(size);
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = "127.0.0.1";
    port = 40000;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = "127.0.0.1";
    port = 8443;
  }
  socket_t socket() const override { return INVALID_SOCKET; }
  [[nodiscard]] bool exhausted() const { return position_ >= input_.size(); }

 private:
  std::string_view input_;
  std::size_t position_ = 0;
  std::size_t written_ = 0;
};

// Exposes the one protected entry point that turns a stream into responses.
class InMemoryServer : public httplib::Server {
 public:
  bool serve_one(httplib::Stream& stream, bool& closed,
                 const std::function<void(httplib::Request&)>& setup) {
    return process_request(stream, false, closed, setup);
  }
};

// The request being handled, so the inbox can check who sent a report.
const httplib::Request* current_request = nullptr;

class CheckingInbox : public hub::ReportInbox {
 public:
  void deliver(const std::string& cluster, protocol::Report&&,
               std::chrono::system_clock::time_point) override {
    if (current_request == nullptr || !carries_own_token(*current_request, cluster)) std::abort();
    if (current_request->matches.size() < 2 || current_request->matches[1] != cluster) std::abort();
  }
};

void check_response(const httplib::Request& request, const httplib::Response& response) {
  if (response.status < 200 || response.status > 599) std::abort();
  if (response.status == 500) std::abort();  // a handler threw
  if (!response.body.empty()) {
    rapidjson::Document body;
    body.Parse(response.body.data(), response.body.size());
    if (body.HasParseError() || !body.IsObject()) std::abort();
  }
  if (response.status == 200) {
    if (request.matches.size() < 2) std::abort();
    if (!carries_own_token(request, request.matches[1])) std::abort();
  }
}

std::shared_ptr<const hub::PublishedAssignment> east_assignment() {
  auto published = std::make_shared<hub::PublishedAssignment>();
  published->revision = 3;
  published->body = R"({"revision":3,"full":true,"watch":[],"trafficSplits":[]})";
  return published;
}

// One hub for the whole run: making the server compiles its route regexes,
// which costs far more than a request. Each input starts from the same state
// all the same: the sessions are forgotten, tokens and board never change.
struct Hub {
  hub::TokenRegistry tokens;
  hub::AgentSessions sessions;
  hub::AssignmentBoard board;
  CheckingInbox inbox;
  metrics::Registry metrics;
  std::unique_ptr<hub::AgentApiServer> api;
  InMemoryServer* server = nullptr;

  Hub() {
    tokens.set_token("east", token_of("east"));
    tokens.set_token("west", token_of("west"));
    board.publish("east", east_assignment());
    hub::AgentApiOptions options;
    options.max_body_bytes = 64 * 1024;  // small, so the fuzzer reaches the 413 path
    options.max_poll_seconds = 0;        // a poll answers at once instead of parking
    api = std::make_unique<hub::AgentApiServer>(options, tokens, sessions, board, inbox, metrics,
                                                [] { return true; });
    auto owned = std::make_unique<InMemoryServer>();
    server = owned.get();
    api->adopt(std::move(owned));
    server->set_post_routing_handler(check_response);
  }
};

Hub* the_hub = nullptr;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  log::configure(log::Level::Error, log::Format::Text);
  the_hub = new Hub();  // lives as long as the process
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  the_hub->sessions.forget("east");
  the_hub->sessions.forget("west");
  MemoryStream stream(std::string_view(reinterpret_cast<const char*>(data), size));
  bool closed = false;
  for (std::size_t i = 0; i < kMaxRequestsPerInput && !closed && !stream.exhausted(); ++i) {
    const bool parsed = the_hub->server->serve_one(stream, closed, [](httplib::Request& request) {
      current_request = &request;
    });
    current_request = nullptr;
    if (!parsed) break;
  }
  return 0;
}
