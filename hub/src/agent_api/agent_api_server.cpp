#include "switchyard/hub/agent_api_server.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

#include <thread>
#include <vector>

#include "agent_api_connection.h"
#include "switchyard/telemetry/log.h"
#include "tls_certificates.h"

namespace switchyard::hub {

ServerCounters::ServerCounters(metrics::Registry& metrics)
    : accepted(metrics.counter("switchyard_agent_api_connections_accepted_total",
                               "Agent API connections accepted.")),
      evicted(metrics.counter("switchyard_agent_api_connections_evicted_total",
                              "Unauthenticated agent API connections closed to make room for a new one.")),
      timed_out(metrics.counter("switchyard_agent_api_connections_timed_out_total",
                                "Agent API connections closed at their request deadline or idle timeout.")),
      polls_dropped(metrics.counter("switchyard_agent_api_parked_polls_dropped_total",
                                    "Parked long polls dropped because their client closed the connection.")),
      polls_ended_by_request(metrics.counter(
          "switchyard_agent_api_parked_polls_ended_by_request_total",
          "Parked long polls answered early because their client sent its next request behind them.")),
      open(metrics.gauge("switchyard_agent_api_connections", "Agent API connections open.")) {}

struct AgentApiServer::Loop {
  Loop(const AgentApiOptions& options, AgentApiHandler& handler, ConnectionLimits& limits, AssignmentBoard& board,
       metrics::Registry& metrics)
      : io(options.io_threads),
        acceptor(net::make_strand(io)),
        retry(acceptor.get_executor()),
        counters(metrics),
        context{options, handler, limits, board, std::make_shared<PostGate>(), counters} {}

  void accept() {
    acceptor.async_accept(net::make_strand(io), [this](boost::system::error_code error, tcp::socket socket) {
      if (error == net::error::operation_aborted) return;
      if (error) {
        // Out of descriptors, most likely: try again shortly rather than spin.
        log::warn("agent API accept failed", {{"error", error.message()}});
        retry.expires_after(std::chrono::milliseconds(100));
        retry.async_wait([this](boost::system::error_code stopped) {
          if (!stopped) accept();
        });
        return;
      }
      launch(std::move(socket));
      accept();
    });
  }

  void launch(tcp::socket socket) {
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);  // answers are small: no waiting for delayed ACKs
    if (tls) {
      auto context_now = tls->current();
      auto& ssl_context = *context_now;
      std::make_shared<Connection<net::ssl::stream<tcp::socket>>>(context, std::move(context_now), std::move(socket),
                                                                   ssl_context)
          ->start();
    } else {
      std::make_shared<Connection<tcp::socket>>(context, nullptr, std::move(socket))->start();
    }
  }

  net::io_context io;
  tcp::acceptor acceptor;
  net::steady_timer retry;
  ServerCounters counters;
  ServerContext context;
  std::unique_ptr<TlsCertificates> tls;
  std::vector<std::thread> threads;
};

AgentApiServer::AgentApiServer(AgentApiOptions options, const TokenRegistry& tokens, AgentSessions& sessions,
                               AssignmentBoard& board, ReportInbox& inbox, metrics::Registry& metrics,
                               std::function<bool()> serving)
    : options_(std::move(options)),
      board_(board),
      metrics_(metrics),
      handler_(ApiHandlerOptions{options_.default_poll_seconds, options_.max_poll_seconds}, tokens, sessions, board,
               inbox, metrics, std::move(serving)),
      limits_(options_.caps) {}

AgentApiServer::~AgentApiServer() { stop(); }

bool AgentApiServer::start(const std::string& host, int port, std::string& error) {
  if (options_.io_threads < 1 || options_.io_threads > kMaxAgentApiThreads) {
    error = "agent API: io_threads is " + std::to_string(options_.io_threads) + ", must be 1.." +
            std::to_string(kMaxAgentApiThreads);
    return false;
  }
  auto loop = std::make_unique<Loop>(options_, handler_, limits_, board_, metrics_);
  if (tls()) {
    loop->tls = std::make_unique<TlsCertificates>(options_.tls_cert_file, options_.tls_key_file);
    if (!loop->tls->load(error)) return false;
  }
  boost::system::error_code failed;
  tcp::resolver resolver(loop->io);
  const auto resolved = resolver.resolve(host.empty() ? "0.0.0.0" : host, std::to_string(port),
                                         tcp::resolver::passive | tcp::resolver::numeric_service, failed);
  if (failed || resolved.empty()) {
    error = "agent API: listen address " + host + ": " + (failed ? failed.message() : "no address");
    return false;
  }
  const tcp::endpoint endpoint = resolved.begin()->endpoint();
  auto& acceptor = loop->acceptor;
  acceptor.open(endpoint.protocol(), failed);
  if (!failed) acceptor.set_option(net::socket_base::reuse_address(true), failed);
  if (!failed) acceptor.bind(endpoint, failed);
  if (!failed) acceptor.listen(net::socket_base::max_listen_connections, failed);
  if (failed) {
    error = "agent API: cannot listen on " + host + ":" + std::to_string(port) + ": " + failed.message();
    return false;
  }
  port_ = acceptor.local_endpoint().port();
  loop->accept();
  for (int i = 0; i < options_.io_threads; ++i) {
    loop->threads.emplace_back([io = &loop->io] { io->run(); });
  }
  loop_ = std::move(loop);
  return true;
}

void AgentApiServer::stop() {
  board_.shutdown();
  if (!loop_) return;
  loop_->context.gate->close();
  loop_->io.stop();
  for (auto& thread : loop_->threads) thread.join();
  loop_.reset();  // destroys the connections still open
}

}  // namespace switchyard::hub
