// One agent-API connection on the event loop, plain or TLS: reads requests
// one after the other (kept alive), asks AgentApiHandler for each answer and
// parks polls without a thread. Every step of a connection runs on its own
// strand; the only hand-offs from other threads are the board's wake-up and
// ConnectionLimits' eviction, both posted through the server's PostGate.
//
// Deadlines, one timer (`deadline_`) for whichever applies: the first
// request (or the TLS handshake) must arrive within the request deadline of
// the accept; a kept-alive connection may idle for idle_timeout; from a
// request's first byte its head and whole body must be read within the
// request deadline (not per read), and an answer written within it too. A
// parked poll has its own timer and no read deadline.
#pragma once

#include <poll.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http.hpp>

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "switchyard/hub/agent_api_handler.h"
#include "switchyard/hub/agent_api_server.h"
#include "switchyard/hub/connection_limits.h"
#include "switchyard/telemetry/metrics.h"

namespace switchyard::hub {

namespace net = boost::asio;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

// Posts from threads outside the event loop (the decision loop's publish,
// another connection's eviction) only while the loop exists: stop() closes
// the gate before it destroys the io_context.
class PostGate {
 public:
  template <class Executor, class Handler>
  void post(const Executor& executor, Handler&& handler) {
    std::lock_guard lock(mutex_);
    if (open_) net::post(executor, std::forward<Handler>(handler));
  }
  void close() {
    std::lock_guard lock(mutex_);
    open_ = false;
  }

 private:
  std::mutex mutex_;
  bool open_ = true;
};

struct ServerCounters {
  explicit ServerCounters(metrics::Registry& metrics);
  metrics::Counter& accepted;
  metrics::Counter& evicted;
  metrics::Counter& timed_out;
  metrics::Counter& polls_dropped;  // their client closed while parked
  metrics::Counter& polls_ended_by_request;  // the client pipelined its next request behind them
  metrics::Gauge& open;
};

// What every connection shares with the server; outlives the connections.
struct ServerContext {
  const AgentApiOptions& options;
  AgentApiHandler& handler;
  ConnectionLimits& limits;
  AssignmentBoard& board;
  std::shared_ptr<PostGate> gate;
  ServerCounters& counters;
};

template <class Stream>
class Connection : public std::enable_shared_from_this<Connection<Stream>> {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, tcp::socket>;

  template <class... StreamArgs>
  Connection(ServerContext& server, std::shared_ptr<net::ssl::context> tls, StreamArgs&&... stream_args)
      : server_(server),
        tls_(std::move(tls)),
        stream_(std::forward<StreamArgs>(stream_args)...),
        buffer_(64 * 1024),
        deadline_(stream_.get_executor()),
        poll_timer_(stream_.get_executor()) {}

  // Also when the io_context is destroyed with the connection's handlers
  // pending: only the shared bookkeeping, not the socket or timers.
  ~Connection() {
    if (parked_) {
      server_.board.unpark(plan_.cluster, ticket_);
      server_.limits.unpark(plan_.cluster);
    }
    server_.limits.close(id_);
    server_.counters.open.add(-1);
  }

  void start() {
    server_.counters.accepted.inc();
    server_.counters.open.add(1);
    auto opened = server_.limits.open(
        [gate = server_.gate, executor = stream_.get_executor(), weak = this->weak_from_this()] {
          gate->post(executor, [weak] {
            if (auto connection = weak.lock()) connection->evict();
          });
        });
    id_ = opened.id;
    if (opened.evicted) opened.evicted();
    arm(server_.options.request_deadline);
    if constexpr (kTls) {
      stream_.async_handshake(net::ssl::stream_base::server,
                              [self = this->shared_from_this()](boost::system::error_code error) {
                                if (error) return self->close();
                                self->wait_for_request(true);
                              });
    } else {
      wait_for_request(true);
    }
  }

 private:
  tcp::socket& socket() { return boost::beast::get_lowest_layer(stream_); }
  static std::string_view view(boost::beast::string_view text) { return {text.data(), text.size()}; }

  // One deadline at a time; a handler of an earlier one finds it moved.
  void arm(std::chrono::milliseconds after) {
    deadline_.expires_after(after);
    deadline_.async_wait([self = this->shared_from_this()](boost::system::error_code error) {
      if (error || self->deadline_.expiry() > net::steady_timer::clock_type::now()) return;
      self->server_.counters.timed_out.inc();
      self->close();
    });
  }
  void disarm() { deadline_.expires_at(net::steady_timer::time_point::max()); }

  void wait_for_request(bool first) {
    if (buffer_.size() > 0) return read_head();  // the next request is already here
    arm(first ? server_.options.request_deadline : server_.options.idle_timeout);
    stream_.async_read_some(buffer_.prepare(1024),
                            [self = this->shared_from_this()](boost::system::error_code error, std::size_t n) {
                              self->buffer_.commit(n);
                              if (error) return self->close();
                              self->read_head();
                            });
  }

  void read_head() {
    arm(server_.options.request_deadline);  // from the request's first byte
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(server_.options.max_header_bytes));
    parser_->body_limit(server_.options.max_body_bytes);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = this->shared_from_this()](boost::system::error_code error, std::size_t) {
                              self->on_head(error);
                            });
  }

  static bool is_parse_error(const boost::system::error_code& error) {
    return error.category() == http::make_error_code(http::error::bad_method).category() &&
           error != http::error::end_of_stream && error != http::error::partial_message &&
           error != http::error::need_more;
  }

  void on_head(const boost::system::error_code& error) {
    auto& handler = server_.handler;
    if (error == http::error::header_limit) {
      return respond(handler.headers_too_large("request head larger than " +
                                               std::to_string(server_.options.max_header_bytes) + " bytes"),
                     true);
    }
    // A Content-Length past the limit fails once the whole head is read:
    // the head is there, and the token is still checked before the 413.
    const bool body_too_large = error == http::error::body_limit;
    if (error && !body_too_large) {
      if (is_parse_error(error)) {
        return respond(handler.malformed(ApiRoute::Unknown, "malformed HTTP request: " + error.message()), true);
      }
      return close();
    }
    const auto& head = parser_->get();
    if (static_cast<std::size_t>(std::distance(head.begin(), head.end())) > server_.options.max_header_fields) {
      return respond(handler.headers_too_large("more than " + std::to_string(server_.options.max_header_fields) +
                                               " header fields"),
                     true);
    }
    target_ = route_of(view(head.method_string()), view(head.target()));
    // A request refused on its head leaves its body unread: the connection
    // cannot be read further, unless there is no body.
    if (auto refused = handler.admit(target_, view(head[http::field::authorization]))) {
      return respond(std::move(*refused), body_too_large || !parser_->is_done() || !head.keep_alive());
    }
    if (!authenticated_) {
      if (!server_.limits.authenticate(id_, target_.cluster)) return respond(handler.too_many_connections(target_), true);
      authenticated_ = true;
    }
    if (body_too_large) return handle(true);
    if (boost::beast::iequals(head[http::field::expect], "100-continue")) {
      continue_.emplace(http::status::continue_, head.version());
      return http::async_write(stream_, *continue_,
                               [self = this->shared_from_this()](boost::system::error_code failed, std::size_t) {
                                 if (failed) return self->close();
                                 self->read_body();
                               });
    }
    read_body();
  }

  void read_body() {
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](boost::system::error_code error, std::size_t) {
                       if (error == http::error::body_limit) return self->handle(true);
                       if (error) {
                         if (is_parse_error(error)) {
                           return self->respond(self->server_.handler.malformed(self->target_.route,
                                                                                "malformed HTTP request: " + error.message()),
                                                true);
                         }
                         return self->close();
                       }
                       self->handle(false);
                     });
  }

  void handle(bool body_too_large) {
    static const std::string kNoBody;
    const auto& request = parser_->get();
    const bool keep_alive = !body_too_large && request.keep_alive();
    auto outcome = server_.handler.handle(target_, body_too_large ? kNoBody : request.body(), body_too_large,
                                          std::chrono::system_clock::now());
    if (auto* response = std::get_if<ApiResponse>(&outcome)) return respond(std::move(*response), !keep_alive);
    park(std::get<PollPlan>(std::move(outcome)), !keep_alive);
  }

  // A poll: answered now, or parked on the board with no thread held until
  // a wake-up, its deadline or its client's close.
  void park(PollPlan plan, bool close_after) {
    close_after_ = close_after;
    auto& board = server_.board;
    if (plan.timeout.count() == 0) {
      return respond(server_.handler.poll_answer(plan.cluster, board.answer_now(plan.cluster, plan.after, plan.epoch)),
                     close_after);
    }
    plan_ = std::move(plan);
    ++generation_;
    auto parking = board.park(plan_.cluster, plan_.after, plan_.epoch, wake(generation_));
    if (parking.answered) return respond(server_.handler.poll_answer(plan_.cluster, parking.answer), close_after);
    if (!server_.limits.try_park(plan_.cluster)) {
      board.unpark(plan_.cluster, parking.ticket);
      return respond(server_.handler.too_many_polls("too many parked long polls for cluster " + plan_.cluster),
                     close_after);
    }
    parked_ = true;
    ticket_ = parking.ticket;
    disarm();
    poll_timer_.expires_after(plan_.timeout);
    poll_timer_.async_wait([self = this->shared_from_this(), generation = generation_](boost::system::error_code error) {
      if (error || !self->parked_ || generation != self->generation_) return;
      self->answer_parked(self->server_.board.answer_now(self->plan_.cluster, self->plan_.after, self->plan_.epoch));
    });
    watch_for_close(generation_);
  }

  // Called by the board on the publishing thread: only hands off.
  std::function<void()> wake(std::uint64_t generation) {
    return [gate = server_.gate, executor = stream_.get_executor(), weak = this->weak_from_this(), generation] {
      gate->post(executor, [weak, generation] {
        if (auto self = weak.lock()) self->on_wake(generation);
      });
    };
  }

  void on_wake(std::uint64_t generation) {
    if (!parked_ || generation != generation_) return;
    // The wake-up was used up: park again, unless the answer is due.
    auto parking = server_.board.park(plan_.cluster, plan_.after, plan_.epoch, wake(generation));
    if (parking.answered) return answer_parked(parking.answer);
    ticket_ = parking.ticket;
  }

  void answer_parked(const std::shared_ptr<const PublishedAssignment>& answer) {
    leave_parking();
    respond(server_.handler.poll_answer(plan_.cluster, answer), close_after_);
  }

  // The socket turns readable while parked when the client closed it, or
  // sent its next request behind the poll (HTTP/1.1 pipelining: an agent
  // that reports and polls on one connection). That request must not wait
  // out the poll's timeout, so the poll is answered at once with what the
  // board holds (as at its timeout) and the next request is read.
  void watch_for_close(std::uint64_t generation) {
    if (buffer_.size() > 0) {
      // The next request came with the poll's own bytes: already read, so
      // the socket will not turn readable for it.
      return net::post(stream_.get_executor(), [self = this->shared_from_this(), generation] {
        if (!self->parked_ || generation != self->generation_) return;
        self->server_.counters.polls_ended_by_request.inc();
        self->answer_parked(
            self->server_.board.answer_now(self->plan_.cluster, self->plan_.after, self->plan_.epoch));
      });
    }
    socket().async_wait(tcp::socket::wait_read,
                        [self = this->shared_from_this(), generation](boost::system::error_code error) {
                          if (error || !self->parked_ || generation != self->generation_) return;
                          if (self->peer_closed()) {
                            self->server_.counters.polls_dropped.inc();
                            return self->close();
                          }
                          self->server_.counters.polls_ended_by_request.inc();
                          self->answer_parked(self->server_.board.answer_now(self->plan_.cluster, self->plan_.after,
                                                                             self->plan_.epoch));
                        });
  }

  bool peer_closed() {
    pollfd watched{socket().native_handle(), POLLIN | POLLRDHUP, 0};
    if (::poll(&watched, 1, 0) != 1) return false;
    return (watched.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
  }

  void leave_parking() {
    parked_ = false;
    ++generation_;
    server_.board.unpark(plan_.cluster, ticket_);
    server_.limits.unpark(plan_.cluster);
    poll_timer_.cancel();
    boost::system::error_code ignored;
    if (socket().is_open()) socket().cancel(ignored);  // the close watch
  }

  void respond(ApiResponse answer, bool close_after) {
    response_.emplace(static_cast<http::status>(answer.status), 11);
    response_->set(http::field::content_type, "application/json");
    if (!answer.retry_after.empty()) response_->set(http::field::retry_after, answer.retry_after);
    response_->body() = std::move(answer.body);
    response_->keep_alive(!close_after);
    response_->prepare_payload();
    arm(server_.options.request_deadline);
    http::async_write(stream_, *response_,
                      [self = this->shared_from_this(), close_after](boost::system::error_code error, std::size_t) {
                        if (error) return self->close();
                        if (close_after) return self->linger();
                        self->response_.reset();
                        self->wait_for_request(false);
                      });
  }

  // After a last answer, the client may still be sending a body we will not
  // read: closing now would reset the connection and could destroy the
  // answer before the client reads it. Stop sending and discard what comes
  // for a moment (bounded by the deadline), then close.
  void linger() {
    boost::system::error_code ignored;
    socket().shutdown(tcp::socket::shutdown_send, ignored);
    arm(std::min<std::chrono::milliseconds>(server_.options.request_deadline, std::chrono::milliseconds(2000)));
    discard();
  }
  void discard() {
    socket().async_read_some(net::buffer(scratch_), [self = this->shared_from_this()](boost::system::error_code error,
                                                                                      std::size_t) {
      if (error) return self->close();
      self->discard();
    });
  }

  void evict() {
    if (authenticated_ || closed_) return;
    server_.counters.evicted.inc();
    close();
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    if (parked_) leave_parking();
    disarm();
    boost::system::error_code ignored;
    socket().shutdown(tcp::socket::shutdown_both, ignored);
    socket().close(ignored);
  }

  ServerContext& server_;
  std::shared_ptr<net::ssl::context> tls_;  // outlives stream_
  Stream stream_;
  boost::beast::flat_buffer buffer_;
  net::steady_timer deadline_;
  net::steady_timer poll_timer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::empty_body>> continue_;
  std::optional<http::response<http::string_body>> response_;
  std::array<char, 4096> scratch_{};
  ApiTarget target_;
  std::uint64_t id_ = 0;
  bool authenticated_ = false;
  bool closed_ = false;
  // A parked poll: its plan, its board ticket, and a generation that tells
  // a current wake-up or timer from one of an earlier poll.
  PollPlan plan_;
  bool parked_ = false;
  bool close_after_ = false;
  std::uint64_t ticket_ = 0;
  std::uint64_t generation_ = 0;
};

}  // namespace switchyard::hub
