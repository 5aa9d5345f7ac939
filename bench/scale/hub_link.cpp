#include "hub_link.h"

#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>

namespace switchyard::bench {

HubLink::HubLink(net::any_io_executor executor, net::ssl::context& tls, PickEndpoint pick_endpoint,
                 HubLinkOptions options)
    : executor_(std::move(executor)),
      tls_(tls),
      pick_endpoint_(std::move(pick_endpoint)),
      options_(std::move(options)),
      deadline_(executor_) {}

void HubLink::send(http::verb method, std::string target, std::string body, std::chrono::seconds wait,
                   OnAnswer on_answer) {
  auto request = std::make_shared<http::request<http::string_body>>(method, target, 11);
  request->set(http::field::host, options_.server_name);
  request->set(http::field::authorization, "Bearer " + options_.token);
  if (method == http::verb::put) request->set(http::field::content_type, "application/json");
  request->body() = std::move(body);
  request->keep_alive(true);
  request->prepare_payload();
  queued_.push_back({std::move(request), wait, std::move(on_answer)});
  if (state_ == State::Closed) return connect();
  if (state_ == State::Open) write_next();
}

void HubLink::connect() {
  auto endpoint = pick_endpoint_();
  if (!endpoint) {
    // As a Service with no ready endpoint: refused at once.
    return net::post(executor_, [self = shared_from_this()] { self->fail("no hub is ready"); });
  }
  state_ = State::Connecting;
  ++generation_;
  if (options_.connections_opened != nullptr) ++*options_.connections_opened;
  wire_ = std::make_shared<Wire>(executor_, tls_);
  deadline_.expires_after(options_.connect_timeout);
  deadline_.async_wait([self = shared_from_this(), wire = wire_](boost::system::error_code error) {
    if (error || wire != self->wire_ || self->state_ != State::Connecting) return;
    self->fail("connect or TLS handshake timed out");
  });
  auto& socket = wire_->stream.next_layer();
  socket.async_connect(*endpoint, [self = shared_from_this(), wire = wire_](boost::system::error_code error) {
    if (wire != self->wire_) return;
    if (error) return self->fail("connect: " + error.message());
    wire->stream.next_layer().set_option(net::ip::tcp::no_delay(true));
    SSL_set_tlsext_host_name(wire->stream.native_handle(), self->options_.server_name.c_str());
    wire->stream.set_verify_callback(net::ssl::host_name_verification(self->options_.server_name));
    wire->stream.async_handshake(net::ssl::stream_base::client, [self, wire](boost::system::error_code failed) {
      if (wire != self->wire_) return;
      if (failed) return self->fail("TLS handshake: " + failed.message());
      self->state_ = State::Open;
      self->deadline_.cancel();
      self->write_next();
    });
  });
}

void HubLink::write_next() {
  if (writing_ || queued_.empty() || state_ != State::Open) return;
  writing_ = true;
  awaiting_.push_back(std::move(queued_.front()));
  queued_.pop_front();
  auto request = awaiting_.back().request;
  http::async_write(wire_->stream, *request,
                    [self = shared_from_this(), wire = wire_, request](boost::system::error_code error, std::size_t) {
                      if (wire != self->wire_) return;
                      self->writing_ = false;
                      if (error) return self->fail("write: " + error.message());
                      self->read_next();
                      self->write_next();
                    });
}

void HubLink::arm_answer_deadline() {
  deadline_.expires_after(options_.answer_margin + awaiting_.front().wait);
  deadline_.async_wait([self = shared_from_this(), wire = wire_](boost::system::error_code error) {
    if (error || wire != self->wire_ || self->deadline_.expiry() > net::steady_timer::clock_type::now()) return;
    self->fail("no answer from the hub in time");
  });
}

void HubLink::read_next() {
  if (reading_ || awaiting_.empty() || state_ != State::Open) return;
  reading_ = true;
  arm_answer_deadline();
  wire_->parser.emplace();
  wire_->parser->body_limit(64 * 1024 * 1024);
  http::async_read(wire_->stream, wire_->buffer, *wire_->parser,
                   [self = shared_from_this(), wire = wire_](boost::system::error_code error, std::size_t) {
                     if (wire != self->wire_) return;
                     self->reading_ = false;
                     if (error) return self->fail("read: " + error.message());
                     auto response = wire->parser->release();
                     const bool keep_alive = response.keep_alive();
                     auto done = std::move(self->awaiting_.front());
                     self->awaiting_.pop_front();
                     HubAnswer answer{true, static_cast<int>(response.result_int()),
                                      std::string(response[http::field::retry_after]), std::move(response.body()), {}};
                     if (!keep_alive) {
                       // The hub closes after this answer: whatever follows goes on a new connection.
                       self->deadline_.cancel();
                       self->fail("the hub closed the connection");
                     } else if (self->awaiting_.empty()) {
                       self->deadline_.expires_at(net::steady_timer::time_point::max());
                     }
                     done.on_answer(std::move(answer));
                     self->read_next();
                   });
}

void HubLink::fail(const std::string& error) {
  auto failed = std::move(awaiting_);
  for (auto& pending : queued_) failed.push_back(std::move(pending));
  awaiting_.clear();
  queued_.clear();
  close();
  for (auto& pending : failed) pending.on_answer({false, 0, {}, {}, error});
}

void HubLink::close() {
  if (wire_) {
    boost::system::error_code ignored;
    wire_->stream.next_layer().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
    wire_->stream.next_layer().close(ignored);
  }
  wire_.reset();
  state_ = State::Closed;
  writing_ = false;
  reading_ = false;
  deadline_.cancel();
}

}  // namespace switchyard::bench
