#include "switchyard/kube/leader_election.h"

#include <mutex>
#include <optional>
#include <thread>

#include "switchyard/kube/loop_mailbox.h"
#include "informer_stop_signal.h"
#include "leader_lease.h"
#include "leader_state.h"
#include "switchyard/kube/backoff.h"
#include "switchyard/kube/resource.h"

namespace switchyard::kube {
namespace {

using SteadyClock = std::chrono::steady_clock;

ElectionNow now() { return {SteadyClock::now(), std::chrono::system_clock::now()}; }

}  // namespace

struct LeaderElector::Impl {
  Impl(Client& client, uv_loop_t* loop, LeaderElectionOptions options, std::function<void()> started,
       std::function<void()> stopped)
      : client(client),
        loop(loop),
        options(std::move(options)),
        on_started(std::move(started)),
        on_stopped(std::move(stopped)),
        state(this->options.identity, this->options.lease_duration, this->options.renew_deadline),
        random(make_unit_random(this->options.random_seed)) {}

  // --- worker thread ---------------------------------------------------------

  void campaign() {
    while (!stop_signal.raised()) {
      try_acquire_or_renew();
      report();
      const bool holder = state.holds_lease();
      const auto wait = holder ? options.retry_period
                               : state.candidate_wait(SteadyClock::now(), jittered(options.retry_period, 1.2, random));
      if (stop_signal.wait_for(wait)) break;
    }
    if (options.release_on_stop) release();
  }

  // One round of client-go's tryAcquireOrRenew (the GET-then-write path).
  void try_acquire_or_renew() {
    const auto attempt_started = SteadyClock::now();
    auto got = client.get(kLeases, options.lease_namespace, options.lease_name);
    std::optional<LeaseRecord> current;
    if (got.ok()) {
      current = lease_record_from(*got.value());
    } else if (!got.error().not_found()) {
      return;  // unreachable server: keep the old observation, retry later
    }
    const LeasePlan plan = state.plan(current, now());
    set_observed_holder(state.observed().holder_identity);
    if (plan.action == LeaseAction::None) return;

    auto written = plan.action == LeaseAction::Create
                       ? client.create(kLeases, options.lease_namespace,
                                       new_lease_json(options.lease_namespace, options.lease_name, plan.record))
                       : client.update(kLeases, options.lease_namespace, options.lease_name,
                                       updated_lease_json(*got.value(), plan.record));
    if (!written.ok()) return;  // 409: someone else wrote first; this round is lost
    state.written(lease_record_from(*written.value()), attempt_started, SteadyClock::now());
    last_written = written.value();
    set_observed_holder(state.observed().holder_identity);
  }

  void release() {
    auto record = state.release_record(now());
    if (!record || !last_written) return;
    // Based on our last write: if anyone wrote since, the 409 means the lease
    // is no longer ours to release.
    auto written = client.update(kLeases, options.lease_namespace, options.lease_name,
                                 updated_lease_json(*last_written, *record));
    if (written.ok()) state.released(lease_record_from(*written.value()), SteadyClock::now());
  }

  // Tells the loop whether this elector may lead and until when.
  // The loop reads the latest report whenever it looks (take_latest), not
  // the one a queued closure carried: a loop that was busy past the renew
  // deadline (a hub replaying 10,000 FailoverServices when it starts
  // deciding) runs its timer and then older reports first, and would step
  // down although the worker renewed in time (the hub then exits).
  void report() {
    {
      std::lock_guard<std::mutex> lock(report_mutex);
      reported_may_lead = state.leading(SteadyClock::now());
      reported_deadline = state.renew_deadline_at();
    }
    mailbox->post([this] {
      take_latest();
      evaluate();
    });
  }

  void take_latest() {
    std::lock_guard<std::mutex> lock(report_mutex);
    may_lead_ = reported_may_lead;
    deadline_ = reported_deadline;
  }

  void set_observed_holder(const std::string& holder) {
    std::lock_guard<std::mutex> lock(holder_mutex);
    observed_holder = holder;
  }

  // --- loop thread -----------------------------------------------------------

  // Leading while the last report said we hold the lease and its renew
  // deadline has not passed; a timer re-checks at the deadline so a renewal
  // stuck in a hung request still ends leadership on time.
  void evaluate() {
    const auto at = SteadyClock::now();
    const bool lead = may_lead_ && at < deadline_;
    set_leading(lead);
    if (lead) {
      const auto remaining = std::chrono::ceil<std::chrono::milliseconds>(deadline_ - at);
      uv_timer_start(timer, &Impl::on_timer, static_cast<std::uint64_t>(remaining.count()), 0);
    } else {
      uv_timer_stop(timer);
    }
  }

  // The deadline passed, as far as the loop knows: with what the worker
  // reported last, which may have moved it.
  static void on_timer(uv_timer_t* handle) {
    auto* impl = static_cast<Impl*>(handle->data);
    if (impl == nullptr) return;
    impl->take_latest();
    impl->evaluate();
  }

  void set_leading(bool lead) {
    if (lead == leading) return;
    leading = lead;
    if (lead) {
      if (on_started) on_started();
    } else {
      if (on_stopped) on_stopped();
    }
  }

  Client& client;
  uv_loop_t* loop;
  LeaderElectionOptions options;
  std::function<void()> on_started, on_stopped;

  // Worker thread only.
  ElectionState state;
  UnitRandom random;
  ObjectPtr last_written;  // the Lease as our last successful write left it

  std::mutex report_mutex;  // guards the worker's last report, below
  bool reported_may_lead = false;
  SteadyClock::time_point reported_deadline;

  mutable std::mutex holder_mutex;  // guards observed_holder
  std::string observed_holder;

  // Loop thread only.
  bool leading = false;
  bool may_lead_ = false;            // the worker's last report
  SteadyClock::time_point deadline_;  // and the renew deadline it gave
  bool started = false;
  bool stopped = false;
  uv_timer_t* timer = nullptr;  // owned until its close callback
  std::unique_ptr<LoopMailbox> mailbox;
  StopSignal stop_signal;
  std::thread worker;
};

LeaderElector::LeaderElector(Client& client, uv_loop_t* loop, LeaderElectionOptions options,
                             std::function<void()> on_started_leading,
                             std::function<void()> on_stopped_leading)
    : impl_(std::make_unique<Impl>(client, loop, std::move(options), std::move(on_started_leading),
                                   std::move(on_stopped_leading))) {}

LeaderElector::~LeaderElector() { stop(); }

void LeaderElector::start() {
  Impl& impl = *impl_;
  if (impl.started) return;
  impl.started = true;
  impl.mailbox = std::make_unique<LoopMailbox>(impl.loop);
  impl.timer = new uv_timer_t;
  uv_timer_init(impl.loop, impl.timer);
  impl.timer->data = &impl;
  impl.worker = std::thread([&impl] { impl.campaign(); });
}

void LeaderElector::stop() {
  Impl& impl = *impl_;
  if (!impl.started || impl.stopped) return;
  impl.stopped = true;
  impl.stop_signal.raise();
  if (impl.worker.joinable()) impl.worker.join();
  // Deliver what the worker reported last (its final "not leading" included).
  impl.mailbox->run_queued();
  // The lease is released (or left to expire): this elector no longer leads.
  impl.may_lead_ = false;
  impl.set_leading(false);
  impl.mailbox->close();
  impl.timer->data = nullptr;
  uv_timer_stop(impl.timer);
  uv_close(reinterpret_cast<uv_handle_t*>(impl.timer),
           [](uv_handle_t* handle) { delete reinterpret_cast<uv_timer_t*>(handle); });
}

bool LeaderElector::leading() const { return impl_->leading; }

std::string LeaderElector::observed_holder() const {
  std::lock_guard<std::mutex> lock(impl_->holder_mutex);
  return impl_->observed_holder;
}

}  // namespace switchyard::kube
