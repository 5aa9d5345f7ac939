// One simulated agent's connection to the hub, on the load generator's event
// loop (Boost.Asio + Beast, as the hub's agent API): TLS, kept alive, and
// pipelined, so that reports and the long poll share it. A report written
// while the poll is parked makes the hub answer the poll at once
// (docs/protocol.md, "Connections"); answers come back in request order.
//
// The connection is opened on demand by the first request after none or a
// failure, to whichever hub `pick_endpoint` names then (the leader, as a
// Service routes new connections to its ready endpoint). A failure (connect,
// TLS, a broken or closed connection, the read deadline) fails every request
// in flight or queued; the caller decides whether and when to retry.
//
// Not thread-safe: every call on the loop's thread.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace switchyard::bench {

namespace net = boost::asio;
namespace http = boost::beast::http;

struct HubAnswer {
  bool delivered = false;  // false: no answer (error says why)
  int status = 0;
  std::string retry_after;
  std::string body;
  std::string error;
};

struct HubLinkOptions {
  std::string token;
  std::string server_name = "127.0.0.1";  // for certificate verification (IP SAN)
  std::chrono::milliseconds connect_timeout{5000};
  // From a request's write to its answer, beyond the wait a poll asks for.
  std::chrono::milliseconds answer_margin{10'000};
  std::atomic<std::int64_t>* connections_opened = nullptr;  // counted here too when set
};

class HubLink : public std::enable_shared_from_this<HubLink> {
 public:
  using OnAnswer = std::function<void(HubAnswer)>;
  using PickEndpoint = std::function<std::optional<net::ip::tcp::endpoint>()>;

  HubLink(net::any_io_executor executor, net::ssl::context& tls, PickEndpoint pick_endpoint, HubLinkOptions options);

  // Queues a request; `wait` is how long the hub may hold it (a poll's
  // timeoutSeconds), added to the answer deadline.
  void send(http::verb method, std::string target, std::string body, std::chrono::seconds wait, OnAnswer on_answer);
  void close();

  [[nodiscard]] bool open() const { return state_ == State::Open; }
  // Grows by one per connection opened: a new one may lead to another hub process.
  [[nodiscard]] std::uint64_t generation() const { return generation_; }
  [[nodiscard]] std::size_t in_flight() const { return awaiting_.size() + queued_.size(); }

 private:
  struct Pending {
    std::shared_ptr<http::request<http::string_body>> request;
    std::chrono::seconds wait;
    OnAnswer on_answer;
  };
  enum class State { Closed, Connecting, Open };
  // One connection's stream and read state. Handlers hold it, so that a
  // closed connection's late completions never touch the next one's.
  struct Wire {
    Wire(net::any_io_executor executor, net::ssl::context& tls) : stream(executor, tls) {}
    net::ssl::stream<net::ip::tcp::socket> stream;
    boost::beast::flat_buffer buffer;
    std::optional<http::response_parser<http::string_body>> parser;
  };

  void connect();
  void write_next();
  void read_next();
  void fail(const std::string& error);
  void arm_answer_deadline();

  net::any_io_executor executor_;
  net::ssl::context& tls_;
  PickEndpoint pick_endpoint_;
  HubLinkOptions options_;
  std::shared_ptr<Wire> wire_;
  net::steady_timer deadline_;
  State state_ = State::Closed;
  bool writing_ = false;
  bool reading_ = false;
  std::deque<Pending> queued_;    // not yet written
  std::deque<Pending> awaiting_;  // written, answers due in this order
  std::uint64_t generation_ = 0;
};

}  // namespace switchyard::bench
