#include "switchyard/agent/hub_client.h"

#include <httplib.h>

#include <poll.h>

#include <charconv>

#include <rapidjson/document.h>

#include "switchyard/protocol/codec.h"

namespace switchyard::agent {
namespace {

// The message of a Kubernetes-style Status body, or the start of the body.
std::string message_of(const httplib::Response& response) {
  rapidjson::Document status;
  status.Parse<rapidjson::kParseValidateEncodingFlag>(response.body.data(), response.body.size());
  if (!status.HasParseError() && status.IsObject()) {
    auto message = status.FindMember("message");
    if (message != status.MemberEnd() && message->value.IsString()) return message->value.GetString();
  }
  return response.body.substr(0, 512);
}

std::optional<std::chrono::seconds> retry_after_of(const httplib::Response& response) {
  const auto text = response.get_header_value("Retry-After");
  int seconds = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (text.empty() || error != std::errc() || seconds < 0) return std::nullopt;
  return std::chrono::seconds(seconds);
}

// The peer closed or reset a kept-alive connection we hold idle (a hub
// never sends anything on it unasked).
bool closed_by_peer(int socket) {
  pollfd watched{socket, POLLIN | POLLRDHUP, 0};
  if (::poll(&watched, 1, 0) != 1) return false;
  return (watched.revents & (POLLIN | POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

HubOutcome outcome_of_status(int status) {
  if (status == 200) return HubOutcome::Ok;
  if (status == 409) return HubOutcome::NeedFullSnapshot;
  if (status == 429 || status >= 500) return HubOutcome::Unavailable;
  return HubOutcome::Rejected;
}

}  // namespace

HubClient::HubClient(HubClientOptions options) : options_(std::move(options)) {
  report_client_ = make_client(options_.request_timeout);
  // Long polls wait up to their own timeout; the read timeout is set per poll.
  poll_client_ = make_client(options_.request_timeout);
}

HubClient::~HubClient() = default;

void HubClient::cancel() {
  // httplib's stop() shuts the socket of a request in flight; it is meant to
  // be called from another thread.
  report_client_->stop();
  poll_client_->stop();
}

std::unique_ptr<httplib::Client> HubClient::make_client(std::chrono::seconds read_timeout) const {
  auto client = std::make_unique<httplib::Client>(options_.hub_url);
  client->set_bearer_token_auth(options_.token.c_str());
  client->set_connection_timeout(options_.connect_timeout.count(), 0);
  client->set_read_timeout(read_timeout.count(), 0);
  client->set_write_timeout(options_.request_timeout.count(), 0);
  client->set_keep_alive(true);
  client->set_tcp_nodelay(true);  // reports are small: do not wait for delayed ACKs
  if (!options_.ca_file.empty()) client->set_ca_cert_path(options_.ca_file.c_str());
  client->enable_server_certificate_verification(true);
  return client;
}

bool HubClient::may_have_missed_hub() {
  // httplib would reopen a closed connection silently and send a delta on
  // it: look before building the report.
  bool missed = poll_broke_.exchange(false);
  if (reported_) {
    const auto socket = report_client_->socket();
    if (socket == INVALID_SOCKET || closed_by_peer(socket)) missed = true;
  }
  return missed;
}

ReportResult HubClient::send_report(const protocol::Report& report) {
  const auto path = "/v1/clusters/" + options_.cluster + "/report";
  const auto result = report_client_->Put(path, protocol::encode_report(report), "application/json");
  reported_ = static_cast<bool>(result);
  if (!result) return {HubOutcome::Unavailable, "hub unreachable: " + httplib::to_string(result.error())};
  if (result->status == 200) return {HubOutcome::Ok, {}, {}, protocol::decode_report_answer(result->body)};
  return {outcome_of_status(result->status), "HTTP " + std::to_string(result->status) + ": " + message_of(*result),
          retry_after_of(*result)};
}

PollResult HubClient::poll_assignment(std::int64_t after, const std::string& epoch, std::chrono::seconds wait) {
  auto path = "/v1/clusters/" + options_.cluster + "/assignment?after=" + std::to_string(after) +
              "&timeoutSeconds=" + std::to_string(wait.count());
  if (!epoch.empty()) path += "&epoch=" + httplib::detail::encode_query_param(epoch);
  // The hub holds the answer for up to `wait`: allow for that plus a margin.
  poll_client_->set_read_timeout((wait + options_.request_timeout).count(), 0);
  const auto result = poll_client_->Get(path);
  if (!result) {
    if (result.error() != httplib::Error::Canceled) poll_broke_ = true;
    return {HubOutcome::Unavailable, "hub unreachable: " + httplib::to_string(result.error()), {}, {}};
  }
  const auto outcome = outcome_of_status(result->status);
  if (outcome != HubOutcome::Ok) {
    return {outcome, "HTTP " + std::to_string(result->status) + ": " + message_of(*result), {},
            retry_after_of(*result)};
  }
  auto decoded = protocol::decode_assignment(result->body);
  if (!decoded.ok()) return {HubOutcome::Rejected, "assignment from hub: " + decoded.message(), {}, {}};
  // The same revision of the same hub process (or, for a caller that names
  // none, the same revision): the poll timed out unchanged.
  if (decoded.value->revision == after && (epoch.empty() || decoded.value->epoch == epoch)) {
    return {HubOutcome::Unchanged, {}, {}, {}};
  }
  if (!decoded.value->full && decoded.value->epoch != epoch) {
    return {HubOutcome::Rejected, "assignment from hub: a delta from another hub process (epoch " +
                                      decoded.value->epoch + ", this agent holds " + epoch + ")", {}, {}};
  }
  return {HubOutcome::Ok, {}, std::move(decoded.value), {}};
}

}  // namespace switchyard::agent
