#include "sim_agent.h"

#include <algorithm>
#include <charconv>
#include <set>
#include <cstdio>

#include <httplib.h>

#include "switchyard/protocol/codec.h"

namespace switchyard::bench {

void HealthTable::set_ready(const std::string& cluster, const protocol::ServiceKey& key, std::uint32_t ready) {
  std::lock_guard lock(mutex_);
  ready_[{cluster, key}] = ready;
}

protocol::ServiceHealth HealthTable::measure(const std::string& cluster, const protocol::ServiceKey& key) const {
  const std::uint32_t total = key.role == protocol::ServiceRole::Local ? 2 : 1;
  std::uint32_t ready = total;
  {
    std::lock_guard lock(mutex_);
    if (auto found = ready_.find({cluster, key}); found != ready_.end()) ready = found->second;
  }
  return {key, true, ready, total, std::nullopt};
}

namespace {

std::string agent_id(const SimAgentOptions& options) {
  char suffix[20];
  std::snprintf(suffix, sizeof suffix, "%016llx", static_cast<unsigned long long>(options.seed * 0x9E3779B97F4A7C15ULL));
  return options.cluster + "-" + suffix;
}

}  // namespace

SimAgent::SimAgent(net::any_io_executor executor, net::ssl::context& tls, HubLink::PickEndpoint pick_endpoint,
                   SimAgentOptions options, const HealthTable& health, FleetCounters& counters)
    : options_(std::move(options)),
      health_(health),
      counters_(counters),
      link_(std::make_shared<HubLink>(executor, tls, std::move(pick_endpoint),
                                      HubLinkOptions{.token = options_.token,
                                                     .connections_opened = &counters.connections})),
      heartbeat_(executor),
      poll_retry_(executor),
      builder_(agent_id(options_), "scale-sim"),
      report_backoff_(agent::kHubRetryBackoff, options_.seed * 2 + 1),
      poll_backoff_(agent::kHubRetryBackoff, options_.seed * 2) {}

void SimAgent::start() {
  // Nothing is reported before the first assignment says what to measure.
  net::post(heartbeat_.get_executor(), [self = shared_from_this()] { self->poll(); });
}

void SimAgent::stop() {
  net::post(heartbeat_.get_executor(), [self = shared_from_this()] {
    self->stopped_ = true;
    self->heartbeat_.cancel();
    self->poll_retry_.cancel();
    self->link_->close();
  });
}

void SimAgent::remeasure() {
  net::post(heartbeat_.get_executor(), [self = shared_from_this()] {
    if (self->assigned_) self->report();
  });
}

AgentView SimAgent::view() const {
  std::lock_guard lock(view_mutex_);
  return view_;
}

// --- the long poll -----------------------------------------------------------

void SimAgent::poll() {
  if (stopped_) return;
  std::int64_t after = 0;
  {
    std::lock_guard lock(view_mutex_);
    after = view_.revision;
  }
  auto target = "/v1/clusters/" + options_.cluster + "/assignment?after=" + std::to_string(after) +
                "&timeoutSeconds=" + std::to_string(options_.poll_wait.count());
  if (!epoch_.empty()) target += "&epoch=" + httplib::detail::encode_query_param(epoch_);  // as the agent's HubClient
  polling_ = true;
  ++counters_.polls_in_flight;
  link_->send(http::verb::get, std::move(target), {}, options_.poll_wait,
              [self = shared_from_this()](HubAnswer answer) { self->on_poll(std::move(answer)); });
}

void SimAgent::on_poll(HubAnswer answer) {
  polling_ = false;
  --counters_.polls_in_flight;
  if (stopped_) return;
  if (!answer.delivered || answer.status != 200) return retry_poll(answer);
  auto decoded = protocol::decode_assignment(answer.body);
  if (!decoded.ok()) return retry_poll(answer);
  std::int64_t held = 0;
  {
    std::lock_guard lock(view_mutex_);
    held = view_.revision;
  }
  const bool unchanged = decoded.value->revision == held && decoded.value->epoch == epoch_;
  if (!unchanged) {
    if (!decoded.value->full && decoded.value->epoch != epoch_) return retry_poll(answer);  // a delta of another hub
    apply(std::move(*decoded.value));
  }
  poll_backoff_.reset();
  poll();
}

void SimAgent::apply(protocol::Assignment&& assignment) {
  const auto now = Clock::now();
  // A new hub process knows nothing of this agent: a delta would be a 409.
  if (!epoch_.empty() && assignment.epoch != epoch_) builder_.require_full();
  epoch_ = assignment.epoch;
  if (assignment.watch_changed) watch_ = std::move(assignment.watch);
  std::int64_t writes = 0;
  if (assignment.full) {
    // What the complete assignment no longer names would be deleted.
    std::set<protocol::SplitName> named;
    for (const auto& split : assignment.traffic_splits) named.insert({split.namespace_name, split.name, split.api_version});
    writes += static_cast<std::int64_t>(std::erase_if(splits_, [&](const auto& held) { return named.count(held.first) == 0; }));
  }
  for (const auto& removed : assignment.removed_traffic_splits) writes += splits_.erase(removed);
  for (auto& split : assignment.traffic_splits) {
    auto& held = splits_[{split.namespace_name, split.name, split.api_version}];
    if (held != split.object_json) ++writes;
    held = std::move(split.object_json);
  }
  if (assigned_) counters_.route_writes += writes;
  assigned_ = true;
  {
    std::lock_guard lock(view_mutex_);
    view_.revision = assignment.revision;
    view_.received_at = now;
    view_.watched = watch_.size();
    view_.splits = splits_.size();
  }
  report();  // the applied revision, and the services now watched
}

void SimAgent::retry_poll(const HubAnswer& answer) {
  ++counters_.polls_failed;
  poll_retry_.expires_after(delay_after(poll_backoff_, answer));
  poll_retry_.async_wait([self = shared_from_this()](boost::system::error_code error) {
    if (!error) self->poll();
  });
}

// --- reports -------------------------------------------------------------------

void SimAgent::report() {
  if (stopped_) return;
  if (report_in_flight_) {
    report_again_ = true;
    return;
  }
  // A new connection may lead to another hub process (a restart, another
  // leader) that knows nothing of this agent: a delta would be a 409.
  if (!link_->open() || link_->generation() != reported_on_) builder_.require_full();
  std::map<protocol::ServiceKey, protocol::ServiceHealth> measured;
  for (const auto& key : watch_) measured.emplace(key, health_.measure(options_.cluster, key));
  protocol::AppliedState applied;
  {
    std::lock_guard lock(view_mutex_);
    applied.revision = view_.revision;
  }
  auto built = std::make_shared<protocol::Report>(builder_.next(measured, applied));
  if (built->full) ++counters_.reports_full;
  report_in_flight_ = true;
  report_again_ = false;
  heartbeat_.cancel();
  link_->send(http::verb::put, "/v1/clusters/" + options_.cluster + "/report", protocol::encode_report(*built),
              std::chrono::seconds(0),
              [self = shared_from_this(), built](HubAnswer answer) {
                // An answer came on the connection the report went on.
                self->on_report(std::move(answer), *built, self->link_->generation());
              });
}

void SimAgent::on_report(HubAnswer answer, const protocol::Report& report, std::uint64_t generation) {
  report_in_flight_ = false;
  if (stopped_) return;
  if (answer.delivered && answer.status == 200) {
    if (protocol::decode_report_answer(answer.body) == protocol::ReportOutcome::Duplicate) {
      builder_.require_full();
    } else {
      builder_.accepted(report);
    }
    ++counters_.reports_accepted;
    reported_on_ = generation;
    report_backoff_.reset();
    {
      std::lock_guard lock(view_mutex_);
      view_.accepted_applied = report.applied.revision;
      view_.accepted_at = Clock::now();
    }
    if (report_again_) return this->report();
    return heartbeat_after(options_.report_interval);
  }
  builder_.require_full();
  if (answer.delivered && answer.status == 409) {
    ++counters_.reports_conflict;
    return this->report();
  }
  retry_report(answer);
}

void SimAgent::retry_report(const HubAnswer& answer) {
  ++counters_.reports_failed;
  heartbeat_after(delay_after(report_backoff_, answer));
}

void SimAgent::heartbeat_after(std::chrono::milliseconds delay) {
  heartbeat_.expires_after(delay);
  heartbeat_.async_wait([self = shared_from_this()](boost::system::error_code error) {
    if (!error) self->report();
  });
}

std::chrono::milliseconds SimAgent::delay_after(agent::Backoff& backoff, const HubAnswer& answer) {
  int seconds = -1;
  const auto& text = answer.retry_after;
  if (!text.empty()) std::from_chars(text.data(), text.data() + text.size(), seconds);
  return seconds >= 0 ? backoff.next_after(std::chrono::seconds(seconds)) : backoff.next();
}

}  // namespace switchyard::bench
