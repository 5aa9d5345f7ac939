// Rules 1-8 of api.md for one FailoverService, per consumer cluster.
#include <algorithm>

#include "engine_impl.h"

namespace switchyard::core {
namespace {

void consider_wake(TimeMs& wake, TimeMs at, TimeMs now) {
  if (at > now && (wake == kNever || at < wake)) wake = at;
}

}  // namespace

void Engine::Impl::Scratch::size_for(std::size_t backings, std::size_t groups) {
  for (auto* flags : {&healthy, &last_known, &presumed_down, &no_info, &usable, &omitted, &mirror_unknown, &mentioned,
                      &line.carrying}) {
    flags->resize(backings);
  }
  display.resize(backings);
  health_why.resize(backings);
  why_not.resize(backings);
  weights.resize(backings);
  line.because.resize(backings);
  group_usable.resize(groups);
}

void Engine::Impl::schedule(RecordId id, TimeMs at) {
  auto& record = records[id];
  if (record.scheduled_wake != kNever && record.scheduled_wake <= at) return;
  record.scheduled_wake = at;
  wakes.emplace(at, id);
}

bool Engine::Impl::returns_without_delay(const Record& record, std::size_t group) const {
  for (std::size_t b = 0; b < record.backings.size(); ++b) {
    if (record.group_of[b] == group && scratch.usable[b] && clusters[record.backings[b].cluster].undrained_now) {
      return true;
    }
  }
  return false;
}

TimeMs Engine::Impl::decide(Record& record, TimeMs now, bool frozen) {
  const auto& spec = record.fos.spec;  // read for words only
  const auto& deciding = record.deciding;
  const TimeMs unknown_ms = deciding.unknown_after_ms;
  const TimeMs silent_ms = deciding.silent_failover_ms;
  const TimeMs delay_ms = deciding.failback_delay_ms;
  const std::size_t backing_count = record.backings.size();
  TimeMs wake = kNever;

  if (record.shown_frozen != frozen) {
    record.shown_frozen = frozen;
    record.status_dirty = true;
  }

  // Rule 1: healthy, unhealthy or unknown, on the hub's receive times.
  auto& s = scratch;
  // Sized once; each loop below sets every element it reads.
  s.size_for(backing_count, record.priorities.size());
  for (std::size_t b = 0; b < backing_count; ++b) {
    s.healthy[b] = false;
    s.presumed_down[b] = false;
    s.no_info[b] = false;  // never reported, nothing restored, cluster not silent: wait for it
    s.display[b] = Health::Unknown;
    s.health_why[b] = Reason{};
    auto& runtime = record.backings[b];
    auto& cluster = clusters[runtime.cluster];
    const auto& service = health[runtime.service];
    const TimeMs silence = now - cluster.last_heard;
    // Rule 1a: ready endpoints suffice AND no data-plane check is failing.
    const bool enough_ready = service.last.exists && service.last.ready_endpoints >= deciding.min_ready_endpoints;
    const bool reported_healthy = enough_ready && !runtime.streak.failing;
    const bool last_known = service.reported ? reported_healthy : runtime.restored_healthy.value_or(false);
    s.last_known[b] = last_known;
    if (silence >= silent_ms) {
      cluster.seen_silent = true;
      s.presumed_down[b] = true;
      s.health_why[b] = {WhyNot::PresumedDown};
    } else if (silence >= unknown_ms) {
      cluster.seen_silent = true;
      consider_wake(wake, cluster.last_heard + silent_ms, now);
      s.healthy[b] = last_known;
      if (!last_known) s.health_why[b] = {WhyNot::SilentUnknown};
    } else {
      consider_wake(wake, cluster.last_heard + unknown_ms, now);
      if (service.reported) {
        s.healthy[b] = reported_healthy;
        s.display[b] = reported_healthy ? Health::Healthy : Health::Unhealthy;
        if (!service.last.exists) {
          s.health_why[b] = {WhyNot::DoesNotExist};
        } else if (!enough_ready) {
          s.health_why[b] = {WhyNot::TooFewEndpoints, service.last.ready_endpoints};
        } else if (!reported_healthy) {
          s.health_why[b] = {WhyNot::DataPlaneFailing};
        }
      } else if (runtime.restored_healthy) {
        // After a hub restart, until the agent reports: the recorded health.
        s.healthy[b] = *runtime.restored_healthy;
        s.display[b] = *runtime.restored_healthy ? Health::Healthy : Health::Unhealthy;
        if (!*runtime.restored_healthy) s.health_why[b] = {WhyNot::RestoredUnhealthy};
      } else {
        s.health_why[b] = {WhyNot::NotReportedYet};
        s.no_info[b] = true;
      }
    }
    if (runtime.display != s.display[b] || runtime.display_ready != service.last.ready_endpoints) {
      if (runtime.display != s.display[b]) runtime.display_since = now;
      runtime.display = s.display[b];
      runtime.display_ready = service.last.ready_endpoints;
      record.status_dirty = true;
    }
  }

  const auto group_count = record.priorities.size();
  bool failed_over_now = false;
  for (std::size_t c = 0; c < record.consumers.size(); ++c) {
    auto& consumer = record.consumers[c];
    const auto& consumer_name = spec.consumers[c];
    auto& here = clusters[consumer.cluster];
    // Rule 2: if this consumer's own agent is silent, only the backing
    // service's side counts.
    // (During the start-up grace a consumer that has not reported yet is not
    // silent: its mirrors are simply not known yet.)
    const bool consumer_silent = now - here.last_heard >= unknown_ms;
    if (consumer_silent) {
      here.seen_silent = true;  // its next report re-decides, mirrors and all
    } else {
      consider_wake(wake, here.last_heard + unknown_ms, now);
    }
    hold_or_resume(record, c, consumer_silent);

    std::fill(s.group_usable.begin(), s.group_usable.end(), 0);
    for (std::size_t b = 0; b < backing_count; ++b) {
      s.mirror_unknown[b] = false;
      s.why_not[b] = s.health_why[b];
      // Rule 1b: the consumer's own backends are not presumed down for its
      // own traffic when the silence is its own: they keep their last known
      // health for it (other consumers fail away from them, rule 1).
      bool healthy = s.healthy[b];
      if (s.presumed_down[b] && record.backings[b].cluster == consumer.cluster) {
        healthy = s.last_known[b];
        s.why_not[b] = healthy ? Reason{} : Reason{WhyNot::SilentUnknown};
      }
      const auto mirror = consumer.mirrors[b];
      MirrorState mirror_state = MirrorState::NotNeeded;
      if (mirror != kNoService) {
        const auto& reported = health[mirror];
        if (reported.reported && !reported.last.exists) {
          // Known missing, also while this consumer is silent: its last word.
          mirror_state = MirrorState::Missing;
        } else if (consumer_silent) {
          mirror_state = MirrorState::Unknown;
        } else if (!reported.reported) {
          mirror_state = MirrorState::Unknown;
          // The consumer's agent has not measured it yet: a first decision waits.
          s.mirror_unknown[b] = healthy;
        } else {
          mirror_state = reported.last.ready_endpoints > 0 ? MirrorState::Ready : MirrorState::NotReady;
        }
      }
      // Rule 7: a backend this consumer cannot resolve is left out of its
      // split. Unknown keeps what was last known (after a hub restart: what
      // status recorded), so that no report at all changes no split; a
      // silent consumer's last report that the mirror exists is what was
      // last known (it may have come while decisions were frozen).
      const bool known_to_exist = mirror != kNoService && health[mirror].reported && health[mirror].last.exists;
      s.omitted[b] = mirror_state == MirrorState::Missing ||
                     (mirror_state == MirrorState::Unknown && !known_to_exist && consumer.omitted[b]);
      bool mirror_ok = true;
      if (s.omitted[b]) {
        mirror_ok = false;
        s.why_not[b] = {WhyNot::MirrorMissing};
      } else if (mirror_state == MirrorState::NotReady && deciding.require_mirror_ready) {
        mirror_ok = false;
        s.why_not[b] = {WhyNot::MirrorNotReady};
      }
      s.usable[b] = healthy && mirror_ok;
      if (s.usable[b]) s.group_usable[record.group_of[b]] = true;
    }
    // Operator overrides come before rule 4 (overrides.cpp).
    const auto pinned = apply_overrides(record, c, now, wake);

    if (frozen) {
      // Rule 8: the hub is more likely the one cut off; decide nothing.
      continue;
    }
    // Rule 8, after a restart: a decision resumed from status holds until
    // this consumer's agent reports (it sends a full snapshot at once) or the
    // start-up grace ends, so a hub restart alone changes no TrafficSplit.
    if (consumer.restored) {
      if (!here.reported && now - here.last_heard < unknown_ms) continue;
      consumer.restored = false;
    }

    // Rule 4's clock: since when each group has been usable without a break.
    for (std::size_t g = 0; g < group_count; ++g) {
      if (!s.group_usable[g]) {
        consumer.usable_since[g] = kNever;
      } else if (consumer.usable_since[g] == kNever) {
        consumer.usable_since[g] = returns_without_delay(record, g) ? now - delay_ms : now;
      }
    }
    std::optional<std::size_t> best;
    for (std::size_t g = 0; g < group_count; ++g) {
      if (s.group_usable[g]) {
        best = g;
        break;
      }
    }
    if (pinned) best = record.group_of[pinned->backing];

    auto& line = s.line;
    std::fill(line.carrying.begin(), line.carrying.end(), 0);
    std::fill(line.because.begin(), line.because.end(), Reason{});

    // A first decision waits while the best group found, or a better one,
    // still has a member whose health (or whose mirror here) no agent has
    // told yet (the first seconds after the FailoverService appears or the
    // hub starts): deciding on half the facts would send traffic down the
    // list and hold it there for the failback delay. The wait ends with the
    // reports, or when the cluster in question turns silent.
    if (!consumer.decided) {
      bool waiting = false;
      for (std::size_t b = 0; b < backing_count; ++b) {
        waiting |= (s.no_info[b] || s.mirror_unknown[b]) && (!best || record.group_of[b] <= *best);
      }
      if (waiting) {
        line.kind = LineKind::Waiting;
        line.since = 0;
        if (update_line(record, c, line) || consumer.no_healthy != !best) {
          consumer.no_healthy = !best;  // shown, but no Event: nothing has failed yet
          record.status_dirty = true;
        }
        continue;
      }
    }

    const bool was_decided = consumer.decided;
    const auto previous_priority = consumer.active_priority;
    const bool was_no_healthy = consumer.no_healthy;
    std::copy(consumer.weights.begin(), consumer.weights.end(), s.weights.begin());
    if (!best) {
      // Rule 3: nothing usable -> keep the weights as they are (fail static).
      consumer.no_healthy = true;
    } else {
      consumer.no_healthy = false;
      std::size_t active = *best;
      if (consumer.decided && !pinned) {
        const auto current = static_cast<std::size_t>(
            std::find(record.priorities.begin(), record.priorities.end(), consumer.active_priority) -
            record.priorities.begin());
        if (current < group_count && s.group_usable[current]) {
          // Rule 4: move back up only after the delay; otherwise stay.
          active = current;
          for (std::size_t g = 0; g < current; ++g) {
            if (!s.group_usable[g]) continue;
            if (now - consumer.usable_since[g] >= delay_ms) {
              active = g;
              break;
            }
            consider_wake(wake, consumer.usable_since[g] + delay_ms, now);
          }
        }
        // else: the current group is lost; move to the best usable at once.
      }
      consumer.decided = true;
      consumer.active_priority = record.priorities[active];
      // Rule 5: the active group's usable members share by weight.
      for (std::size_t b = 0; b < backing_count; ++b) {
        const bool carries = pinned ? b == pinned->backing : record.group_of[b] == active && s.usable[b];
        s.weights[b] = carries ? record.backings[b].weight : 0;
      }
    }

    if (consumer.decided && (!was_decided || consumer.active_priority != previous_priority)) {
      consumer.active_since = now;
    }
    if (s.weights != consumer.weights || s.omitted != consumer.omitted || was_decided != consumer.decided) {
      consumer.weights.assign(s.weights.begin(), s.weights.end());
      consumer.omitted.assign(s.omitted.begin(), s.omitted.end());
      record.splits_dirty |= std::uint64_t{1} << c;
      record.status_dirty = true;
    }
    // A move the pin made is its own Event (Pinned), not a failover.
    if (was_decided && consumer.decided && consumer.active_priority != previous_priority && !pinned) {
      const bool down = consumer.active_priority > previous_priority;
      for (std::size_t b = 0; b < backing_count; ++b) s.mentioned[b] = consumer.weights[b] > 0;
      std::string message;
      message.reserve(256);
      message.append("traffic in ").append(consumer_name).append(down ? " moved to " : " moved back to ");
      append_backings(message, record, s.mentioned);
      if (down) {
        // One failover of the FailoverService, however many consumers moved.
        if (!failed_over_now) ++record.failover_count;
        failed_over_now = true;
        record.last_failover_time = now;
        for (std::size_t b = 0; b < backing_count; ++b) {
          s.mentioned[b] = record.priorities[record.group_of[b]] < consumer.active_priority;
        }
        message.append(": ");
        append_reasons(message, record, c, s.why_not, s.mentioned);
        record.pending_events.push_back({DecisionEventKind::FailedOver, "FailedOver", std::move(message), true});
      } else {
        message.append(" after ").append(std::to_string(spec.failback_delay_seconds)).append("s of health");
        record.pending_events.push_back({DecisionEventKind::FailedBack, "FailedBack", std::move(message), false});
      }
    }
    if (consumer.no_healthy && !was_no_healthy) {
      std::string message;
      message.reserve(256);
      message.append("no usable backing service for ").append(consumer_name).append("; keeping the last weights: ");
      std::fill(s.mentioned.begin(), s.mentioned.end(), 1);
      append_reasons(message, record, c, s.why_not, s.mentioned);
      record.pending_events.push_back(
          {DecisionEventKind::NoHealthyBackend, "NoHealthyBackend", std::move(message), true});
    }

    // The consumer's line in status.
    for (std::size_t b = 0; b < backing_count; ++b) {
      line.carrying[b] = consumer.decided && consumer.weights[b] > 0;
      const bool above = consumer.decided ? record.priorities[record.group_of[b]] < consumer.active_priority : true;
      if ((above || consumer.no_healthy) && !s.usable[b]) line.because[b] = s.why_not[b];
    }
    if (consumer.no_healthy) {
      line.kind = consumer.decided ? LineKind::NoHealthyKept : LineKind::NoHealthyYet;
      line.since = 0;
      std::fill(line.carrying.begin(), line.carrying.end(), 0);
    } else {
      line.kind = LineKind::Traffic;
      line.since = consumer.active_since;
    }
    if (update_line(record, c, line)) record.status_dirty = true;
  }
  return wake;
}

void Engine::Impl::hold_or_resume(Record& record, std::size_t c, bool silent) {
  auto& consumer = record.consumers[c];
  if (silent) {
    if (!consumer.before_silence) {
      consumer.before_silence = std::make_unique<HeldDecision>(
          HeldDecision{consumer.decided, consumer.active_priority, consumer.active_since, consumer.weights,
                       consumer.omitted, consumer.no_healthy, consumer.usable_since});
    }
    return;
  }
  if (!consumer.before_silence) return;
  // Back from silence: what was decided meanwhile is dropped. The caller
  // decides on the fresh report from what the agent last had.
  auto held = std::move(*consumer.before_silence);
  consumer.before_silence.reset();
  if (held.decided != consumer.decided || held.weights != consumer.weights || held.omitted != consumer.omitted) {
    record.splits_dirty |= std::uint64_t{1} << c;
    record.status_dirty = true;
  }
  consumer.decided = held.decided;
  consumer.active_priority = held.active_priority;
  consumer.active_since = held.active_since;
  consumer.weights = std::move(held.weights);
  consumer.omitted = std::move(held.omitted);
  consumer.no_healthy = held.no_healthy;
  // A group's failback clock runs on across the silence only if the group
  // was usable throughout it; one that became usable meanwhile (seen from
  // the backends' side alone) starts on this report.
  for (std::size_t g = 0; g < consumer.usable_since.size(); ++g) {
    if (consumer.usable_since[g] != held.usable_since[g]) consumer.usable_since[g] = kNever;
  }
}

bool Engine::Impl::update_line(Record& record, std::size_t c, const ConsumerLine& line) {
  auto& consumer = record.consumers[c];
  if (consumer.recorded_message) {
    // The first line after a restart: a change only if its words differ
    // from what status recorded.
    const bool changed = render_line(record, c, line) != *consumer.recorded_message;
    consumer.recorded_message.reset();
    consumer.line = line;
    return changed;
  }
  if (consumer.line == line) return false;
  consumer.line = line;
  return true;
}

void Engine::Impl::compile(Record& record, const std::optional<FosStatus>& recorded, TimeMs now) {
  const auto& spec = record.fos.spec;
  auto same_backend = [](const auto& a, const BackingService& b) {
    return a.cluster == b.cluster && a.namespace_name == b.namespace_name && a.name == b.name;
  };
  for (const auto& backing : spec.backing_services) {
    if (std::find(record.priorities.begin(), record.priorities.end(), backing.priority) == record.priorities.end()) {
      record.priorities.push_back(backing.priority);
    }
  }
  std::sort(record.priorities.begin(), record.priorities.end());
  record.deciding = {seconds_ms(spec.health.unknown_after_seconds), seconds_ms(spec.health.silent_failover_seconds),
                     seconds_ms(spec.failback_delay_seconds),      spec.health.min_ready_endpoints,
                     spec.health.require_mirror_ready,              spec.pin.has_value()};
  for (const auto& backing : spec.backing_services) {
    BackingRuntime runtime;
    runtime.cluster = intern_cluster(backing.cluster);
    runtime.weight = backing.weight;
    runtime.display_since = now;
    record.group_of.push_back(static_cast<std::uint32_t>(
        std::find(record.priorities.begin(), record.priorities.end(), backing.priority) - record.priorities.begin()));
    if (recorded) {
      for (const auto& shown : recorded->backing_services) {
        if (!same_backend(shown, backing)) continue;
        runtime.display = shown.health;
        runtime.display_ready = shown.ready_endpoints;
        runtime.display_since = shown.last_transition_time;
        if (shown.health == Health::Unknown) {
          // Unknown when recorded: one that carried traffic keeps doing so;
          // otherwise there is nothing to resume from (as if never reported).
          const bool was_active = std::any_of(recorded->active.begin(), recorded->active.end(),
                                              [&](const ActiveBackend& a) { return same_backend(a, backing); });
          if (was_active) runtime.restored_healthy = true;
        } else {
          runtime.restored_healthy = shown.health == Health::Healthy;
        }
      }
    }
    record.backings.push_back(runtime);
  }
  for (std::size_t b = 0; b < spec.backing_services.size(); ++b) {
    const auto& backing = spec.backing_services[b];
    record.backings[b].service =
        intern_service(record.backings[b].cluster, backing.namespace_name, backing.name, ServiceRole::Local);
  }
  record.consumers.clear();
  for (const auto& consumer_name : spec.consumers) {
    ConsumerRuntime consumer;
    consumer.cluster = intern_cluster(consumer_name);
    // Every per-backing vector a decision reads, allocated one after the
    // other and at full size (the line's too, which deciding copies into),
    // so that they share cache lines and pages (bench/core).
    const auto backing_count = spec.backing_services.size();
    consumer.mirrors.reserve(backing_count);
    consumer.weights.assign(backing_count, 0);
    consumer.omitted.assign(backing_count, false);
    consumer.usable_since.assign(record.priorities.size(), kNever);
    consumer.line.carrying.assign(backing_count, false);
    consumer.line.because.assign(backing_count, Reason{});
    consumer.backend_names.reserve(backing_count);
    for (const auto& backing : spec.backing_services) {
      if (backing.cluster == consumer_name) {
        consumer.backend_names.push_back(backing.name);
        consumer.mirrors.push_back(kNoService);
      } else {
        auto name = mirror_name(spec.mirror_name_template, backing);
        consumer.mirrors.push_back(
            intern_service(consumer.cluster, backing.namespace_name, name, ServiceRole::Mirror));
        consumer.backend_names.push_back(std::move(name));
      }
    }
    if (recorded) {
      for (const auto& shown : recorded->consumers) {
        // Observe mode: the route as last enforced, whatever the decision.
        if (shown.cluster == consumer_name && spec.mode == Mode::Observe) consumer.observe_hold = recorded_hold(shown);
        if (shown.cluster != consumer_name || !shown.active_priority) continue;
        if (std::find(record.priorities.begin(), record.priorities.end(), *shown.active_priority) ==
            record.priorities.end()) {
          continue;
        }
        consumer.decided = true;
        consumer.restored = true;
        consumer.active_priority = *shown.active_priority;
        consumer.active_since = shown.active_since.value_or(now);
        for (std::size_t b = 0; b < spec.backing_services.size(); ++b) {
          const auto& backing = spec.backing_services[b];
          const auto name = backing.to_string();
          const bool active = std::find(shown.active_backends.begin(), shown.active_backends.end(), name) !=
                              shown.active_backends.end();
          consumer.omitted[b] = std::find(shown.omitted_backends.begin(), shown.omitted_backends.end(), name) !=
                                shown.omitted_backends.end();
          if (active && backing.priority == consumer.active_priority && !consumer.omitted[b]) {
            consumer.weights[b] = backing.weight;
          }
        }
        consumer.recorded_message = std::make_unique<std::string>(shown.message);
      }
    }
    record.consumers.push_back(std::move(consumer));
  }
  if (recorded) {
    record.failover_count = recorded->failover_count;
    record.last_failover_time = recorded->last_failover_time;
    record.conditions = recorded->conditions;
  }
}

}  // namespace switchyard::core
