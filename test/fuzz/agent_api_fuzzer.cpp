// libFuzzer target: raw bytes on an agent-API connection, through Boost.Beast's
// request parser (the one the server uses, with the server's header and body
// limits) into the hub's transport-free AgentApiHandler (routing, token
// check, body limit, report decoding and sequencing, assignment polls), with
// no network.
//
// Input: one or more HTTP/1.1 requests back to back (keep-alive), e.g.
//   PUT /v1/clusters/east/report HTTP/1.1\r\nAuthorization: Bearer east-token\r\n
//   Content-Length: 60\r\n\r\n{"agentId":"a","seq":1,"full":true,...}
// Each input starts from the same hub state: tokens for east and west, an
// assignment published for east only, no agent session. As in the server, a
// request refused on its head (404/503/401/403) or with a body past the
// limit (413) ends the connection.
//
// Checked (a violation traps, which libFuzzer reports):
//   - every status is an HTTP status in 200..599 and not 500, and every
//     body the handler writes is JSON;
//   - a 200 answers only a request that carried the path cluster's own token,
//     and a report reaches the hub only for that cluster and with that token
//     (nothing a request carries touches another cluster's state);
//   - polls never park: they are answered from the board at once.
#include <rapidjson/document.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "switchyard/hub/agent_api_handler.h"
#include "switchyard/hub/agent_api_server.h"
#include "switchyard/telemetry/log.h"

namespace {

using namespace switchyard;
namespace http = boost::beast::http;

constexpr std::size_t kMaxRequestsPerInput = 8;

std::string token_of(const std::string& cluster) {
  if (cluster == "east") return "east-token";
  if (cluster == "west") return "west-token";
  return {};
}

// The Authorization header carries exactly the cluster's own bearer token.
bool carries_own_token(std::string_view header, const std::string& cluster) {
  const auto token = token_of(cluster);
  if (token.empty()) return false;
  constexpr std::string_view kScheme = "bearer ";
  if (header.size() != kScheme.size() + token.size()) return false;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != kScheme[i]) return false;
  }
  return header.substr(kScheme.size()) == token;
}

// The request being handled, so the inbox can check who sent a report.
struct Current {
  std::string authorization;
  std::string cluster;
  bool set = false;
} current;

class CheckingInbox : public hub::ReportInbox {
 public:
  void deliver(const std::string& cluster, protocol::Report&&, std::chrono::system_clock::time_point) override {
    if (!current.set || !carries_own_token(current.authorization, cluster)) std::abort();
    if (current.cluster != cluster) std::abort();
  }
};

void check_response(const hub::ApiResponse& response) {
  if (response.status < 200 || response.status > 599) std::abort();
  if (response.status == 500) std::abort();  // a handler failed
  if (!response.body.empty()) {
    rapidjson::Document body;
    body.Parse(response.body.data(), response.body.size());
    if (body.HasParseError() || !body.IsObject()) std::abort();
  }
  if (response.status == 200 && !carries_own_token(current.authorization, current.cluster)) std::abort();
}

std::shared_ptr<const hub::PublishedAssignment> east_assignment() {
  auto published = std::make_shared<hub::PublishedAssignment>();
  published->revision = 3;
  published->body = R"({"revision":3,"full":true,"watch":[],"trafficSplits":[]})";
  return published;
}

// One hub for the whole run. Each input starts from the same state all the
// same: the sessions are forgotten, tokens and board never change.
struct Hub {
  hub::TokenRegistry tokens;
  hub::AgentSessions sessions;
  hub::AssignmentBoard board;
  CheckingInbox inbox;
  metrics::Registry metrics;
  hub::AgentApiOptions options;
  std::unique_ptr<hub::AgentApiHandler> handler;

  Hub() {
    tokens.set_token("east", token_of("east"));
    tokens.set_token("west", token_of("west"));
    board.publish("east", east_assignment());
    options.max_body_bytes = 64 * 1024;  // small, so the fuzzer reaches the 413 path
    handler = std::make_unique<hub::AgentApiHandler>(hub::ApiHandlerOptions{}, tokens, sessions, board, inbox,
                                                     metrics, [] { return true; });
  }
};

Hub* the_hub = nullptr;

std::string_view view(boost::beast::string_view text) { return {text.data(), text.size()}; }

// The connection's input, fed to a parser as the server's socket would.
class Input {
 public:
  explicit Input(std::string_view bytes) : bytes_(bytes) {}
  [[nodiscard]] bool exhausted() const { return position_ >= bytes_.size(); }

  // Feeds the parser until `done` holds; false when the connection would
  // end instead (input over, or a parse error: the server answers 400 or
  // 431 and closes), with the error in `error`.
  template <class Done>
  bool feed(http::request_parser<http::string_body>& parser, Done done, boost::system::error_code& error) {
    while (!done()) {
      if (exhausted()) {
        parser.put_eof(error);
        return !error && done();
      }
      const auto used =
          parser.put(boost::asio::buffer(bytes_.data() + position_, bytes_.size() - position_), error);
      position_ += used;
      if (error == http::error::need_more) {
        error = {};
        if (used == 0) position_ = bytes_.size();  // all that is left is not enough
        continue;
      }
      if (error) return false;
      if (used == 0 && !done()) return false;
    }
    return true;
  }

 private:
  std::string_view bytes_;
  std::size_t position_ = 0;
};

// One request, as the server's connection handles it; false when the
// connection would be closed after it.
bool serve_one(Input& input) {
  auto& handler = *the_hub->handler;
  http::request_parser<http::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(the_hub->options.max_header_bytes));
  parser.body_limit(the_hub->options.max_body_bytes);
  boost::system::error_code error;
  if (!input.feed(parser, [&] { return parser.is_header_done(); }, error)) return false;
  const auto& head = parser.get();
  current.authorization = std::string(view(head[http::field::authorization]));
  const auto target = hub::route_of(view(head.method_string()), view(head.target()));
  current.cluster = target.cluster;
  current.set = true;
  if (auto refused = handler.admit(target, current.authorization)) {
    check_response(*refused);
    return false;
  }
  const bool complete = input.feed(parser, [&] { return parser.is_done(); }, error);
  const bool too_large = error == http::error::body_limit;
  if (!complete && !too_large) return false;
  auto outcome = handler.handle(target, too_large ? std::string() : parser.get().body(), too_large,
                                std::chrono::system_clock::now());
  if (auto* response = std::get_if<hub::ApiResponse>(&outcome)) {
    check_response(*response);
  } else {
    const auto& plan = std::get<hub::PollPlan>(outcome);
    check_response(handler.poll_answer(plan.cluster, the_hub->board.answer_now(plan.cluster, plan.after, plan.epoch)));
  }
  return !too_large && parser.get().keep_alive();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  log::configure(log::Level::Error, log::Format::Text);
  the_hub = new Hub();  // lives as long as the process
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  the_hub->sessions.forget("east");
  the_hub->sessions.forget("west");
  Input input(std::string_view(reinterpret_cast<const char*>(data), size));
  for (std::size_t i = 0; i < kMaxRequestsPerInput && !input.exhausted(); ++i) {
    const bool goes_on = serve_one(input);
    current = Current{};
    if (!goes_on) break;
  }
  return 0;
}
