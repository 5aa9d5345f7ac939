#include "switchyard/agent/prometheus_client.h"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "token_file.h"

namespace switchyard::agent {

std::variant<std::unique_ptr<PrometheusClient>, std::string> PrometheusClient::create(PrometheusConfig config) {
  const auto& url = config.url;
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return "--prometheus-url: \"" + url + "\" has no http:// or https:// scheme";
  const auto scheme = url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") {
    return "--prometheus-url: scheme \"" + scheme + "\" is not http or https";
  }
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
  if (scheme == "https") return std::string("--prometheus-url: https needs a build with OpenSSL");
#endif
  const auto path_start = url.find('/', scheme_end + 3);
  const auto authority = url.substr(scheme_end + 3, path_start == std::string::npos ? std::string::npos
                                                                                     : path_start - scheme_end - 3);
  if (authority.empty() || authority.find_first_of("@?# ") != std::string::npos) {
    return "--prometheus-url: \"" + url + "\" needs host[:port] without user, query or fragment";
  }
  std::string prefix = path_start == std::string::npos ? "" : url.substr(path_start);
  if (prefix.find_first_of("?# ") != std::string::npos) {
    return "--prometheus-url: \"" + url + "\": a path prefix only, no query or fragment";
  }
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  if (!config.token_file.empty()) {
    // Read once now, so a wrong path stops the agent at start instead of
    // making every check Unknown.
    std::string token;
    std::string error;
    if (!read_token_file(config.token_file, token, error)) return "--prometheus-token-file " + error;
  }
  auto base = scheme + "://" + authority;
  return std::unique_ptr<PrometheusClient>(new PrometheusClient(std::move(config), std::move(base), std::move(prefix)));
}

PrometheusClient::PrometheusClient(PrometheusConfig config, std::string scheme_host_port, std::string path_prefix)
    : config_(std::move(config)), scheme_host_port_(std::move(scheme_host_port)), path_prefix_(std::move(path_prefix)) {
  clients_.push_back(make_client());
}

std::unique_ptr<httplib::Client> PrometheusClient::make_client() const {
  auto client = std::make_unique<httplib::Client>(scheme_host_port_);
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(config_.timeout);
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(config_.timeout - seconds);
  client->set_connection_timeout(seconds.count(), micros.count());
  client->set_read_timeout(seconds.count(), micros.count());
  client->set_write_timeout(seconds.count(), micros.count());
  client->set_keep_alive(true);
  if (!config_.ca_file.empty()) client->set_ca_cert_path(config_.ca_file.c_str());
  client->enable_server_certificate_verification(true);
  return client;
}

PrometheusClient::~PrometheusClient() = default;

namespace {

// cpp-httplib names its errors after the step that failed ("Read"); say
// what an operator can act on instead.
std::string why_unreachable(httplib::Error error, std::chrono::steady_clock::duration took,
                            std::chrono::milliseconds timeout) {
  const auto within = std::to_string(timeout.count()) + " ms";
  switch (error) {
    case httplib::Error::ConnectionTimeout:
      return "no connection within " + within;
    case httplib::Error::Connection:
      return "cannot connect (refused, or no route to it)";
    case httplib::Error::Read:
      // A read that waited out the timeout is a Prometheus too slow or
      // stopped; an earlier one, a connection closed under the request.
      return took >= timeout * 9 / 10 ? "no answer within " + within : "the connection closed before the answer";
    case httplib::Error::Write:
      return "the connection closed while the query was sent";
    case httplib::Error::SSLConnection:
      return "TLS handshake failed";
    case httplib::Error::SSLServerVerification:
      return "its certificate is not signed by a trusted CA (--prometheus-ca)";
    default:
      return httplib::to_string(error);
  }
}

}  // namespace

PromQueryResult PrometheusClient::query(const std::string& promql) { return query_on(*clients_.front(), promql, {}); }

std::string prometheus_time(std::chrono::system_clock::time_point at) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
  const auto fraction = std::to_string(1000 + ms % 1000);  // "1007" for 7 ms: the digits after the point
  return std::to_string(ms / 1000) + "." + fraction.substr(1);
}

std::vector<PromQueryResult> PrometheusClient::query_all(const std::vector<std::string>& promqls,
                                                         std::chrono::system_clock::time_point at) {
  // Custom checks naming a service are one query per service: at most
  // kMaxConcurrentQueries connections take the next query as they finish.
  const auto workers = std::min(promqls.size(), kMaxConcurrentQueries);
  while (clients_.size() < workers) clients_.push_back(make_client());
  std::vector<PromQueryResult> answers(promqls.size());
  const auto time = prometheus_time(at);
  std::atomic<std::size_t> next{0};
  const auto work = [this, &answers, &promqls, &next, &time](httplib::Client& client) {
    for (auto i = next++; i < promqls.size(); i = next++) answers[i] = query_on(client, promqls[i], time);
  };
  std::vector<std::thread> others;
  for (std::size_t w = 1; w < workers; ++w) others.emplace_back([&work, this, w] { work(*clients_[w]); });
  work(*clients_[0]);
  for (auto& thread : others) thread.join();
  return answers;
}

PromQueryResult PrometheusClient::query_on(httplib::Client& client, const std::string& promql,
                                           const std::string& time) const {
  httplib::Request request;
  request.method = "POST";
  request.path = path_prefix_ + "/api/v1/query";
  request.body = "query=" + httplib::detail::encode_query_param(promql);
  if (!time.empty()) request.body += "&time=" + time;
  request.set_header("Content-Type", "application/x-www-form-urlencoded");
  request.set_header("Accept", "application/json");
  if (!config_.token_file.empty()) {
    std::string token;
    std::string error;
    if (!read_token_file(config_.token_file, token, error)) {
      return PromError{PromErrorKind::Unreachable, "bearer token " + error};
    }
    request.set_header("Authorization", "Bearer " + token);
  }
  // The body is read through a receiver so that an answer past the cap is
  // cut off instead of held whole.
  std::string body;
  bool too_large = false;
  request.content_receiver = [&](const char* data, std::size_t length, std::uint64_t, std::uint64_t) {
    if (body.size() + length > config_.max_body_bytes) {
      too_large = true;
      return false;
    }
    body.append(data, length);
    return true;
  };
  httplib::Response response;
  httplib::Error error = httplib::Error::Success;
  const auto started = std::chrono::steady_clock::now();
  const bool sent = client.send(request, response, error);
  if (too_large) {
    return PromError{PromErrorKind::Malformed,
                     "answer larger than " + std::to_string(config_.max_body_bytes) + " bytes"};
  }
  if (!sent) {
    return PromError{PromErrorKind::Unreachable,
                     "prometheus " + config_.url + " unreachable: " +
                         why_unreachable(error, std::chrono::steady_clock::now() - started, config_.timeout)};
  }
  return decode_query_response(response.status, body);
}

}  // namespace switchyard::agent
