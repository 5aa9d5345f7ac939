#include "leader_state.h"

#include <algorithm>
#include <ctime>
#include <cstdio>

namespace switchyard::kube {

std::string format_micro_time(std::chrono::system_clock::time_point time) {
  using namespace std::chrono;
  const auto micros = duration_cast<microseconds>(time.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(micros / 1000000);
  long fraction = static_cast<long>(micros % 1000000);
  if (fraction < 0) {
    fraction += 1000000;
    seconds -= 1;
  }
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[96];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, fraction);
  return text;
}

ElectionState::ElectionState(std::string identity, std::chrono::milliseconds lease_duration,
                             std::chrono::milliseconds renew_deadline)
    : identity_(std::move(identity)), lease_duration_(lease_duration), renew_deadline_(renew_deadline) {}

void ElectionState::observe(const LeaseRecord& record, SteadyTime now) {
  observed_ = record;
  has_observed_ = true;
  observed_time_ = now;
}

bool ElectionState::lease_valid(SteadyTime now) const {
  if (!has_observed_) return false;
  return observed_time_ + std::chrono::seconds(observed_.lease_duration_seconds) > now;
}

std::chrono::milliseconds ElectionState::candidate_wait(SteadyTime now,
                                                       std::chrono::milliseconds jittered_retry) const {
  if (!has_observed_ || observed_.holder_identity.empty() || holds_lease() || !lease_valid(now)) {
    return jittered_retry;
  }
  const auto expiry = observed_time_ + std::chrono::seconds(observed_.lease_duration_seconds);
  return std::min(jittered_retry, std::chrono::ceil<std::chrono::milliseconds>(expiry - now));
}

bool ElectionState::leading(SteadyTime now) const {
  return holds_lease() && has_renewed_ && now < renew_deadline_at();
}

LeasePlan ElectionState::plan(const std::optional<LeaseRecord>& current, ElectionNow now) {
  LeaseRecord mine;
  mine.holder_identity = identity_;
  mine.lease_duration_seconds =
      static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(lease_duration_).count());
  mine.acquire_time = mine.renew_time = format_micro_time(now.wall);

  if (!current) return {LeaseAction::Create, std::move(mine)};

  // Only a change of the record restarts the expiry clock; re-reading the
  // same record (a holder that stopped renewing) lets it run out.
  if (!has_observed_ || *current != observed_) observe(*current, now.steady);

  if (!current->holder_identity.empty() && current->holder_identity != identity_ &&
      lease_valid(now.steady)) {
    return {LeaseAction::None, {}};
  }
  if (current->holder_identity == identity_) {
    mine.acquire_time = current->acquire_time;
    mine.lease_transitions = current->lease_transitions;
  } else {
    mine.lease_transitions = current->lease_transitions + 1;
  }
  return {LeaseAction::Update, std::move(mine)};
}

void ElectionState::written(const LeaseRecord& record, SteadyTime attempt_started, SteadyTime now) {
  observe(record, now);
  if (record.holder_identity == identity_) {
    has_renewed_ = true;
    last_renewal_ = attempt_started;
  }
}

std::optional<LeaseRecord> ElectionState::release_record(ElectionNow now) const {
  if (!holds_lease()) return std::nullopt;
  LeaseRecord released;
  released.lease_duration_seconds = 1;
  released.acquire_time = released.renew_time = format_micro_time(now.wall);
  released.lease_transitions = observed_.lease_transitions;
  return released;
}

void ElectionState::released(const LeaseRecord& record, SteadyTime now) {
  observe(record, now);
  has_renewed_ = false;
}

}  // namespace switchyard::kube
