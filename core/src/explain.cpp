// explain (explain.h): api.md's rules read off a spec and its status.
#include "switchyard/core/explain.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "switchyard/core/overrides.h"

namespace switchyard::core {
namespace {

std::string seconds_text(TimeMs ms) { return std::to_string(std::max<TimeMs>(0, ms) / 1000) + "s"; }

std::string percent(double fraction) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g%%", fraction * 100);
  return buffer;
}

const BackendStatus* shown_of(const std::optional<FosStatus>& status, const BackingService& backing) {
  if (!status) return nullptr;
  for (const auto& b : status->backing_services) {
    if (b.cluster == backing.cluster && b.namespace_name == backing.namespace_name && b.name == backing.name) return &b;
  }
  return nullptr;
}

const LiveCluster* cluster_of(const std::vector<LiveCluster>& clusters, const std::string& name) {
  for (const auto& c : clusters) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

// Rule 1 (and 1a) for one backend.
void explain_health(const FailoverSpec& spec, const BackingService& backing, const BackendStatus* shown,
                    const LiveCluster* cluster, TimeMs now, std::vector<ExplainLine>& out) {
  const auto name = backing.to_string();
  const auto min_ready = std::to_string(spec.health.min_ready_endpoints);
  if (shown == nullptr) {
    out.push_back({"1", name + ": no health recorded yet (its agent has not reported since the FailoverService appeared)"});
    return;
  }
  const auto since = " since " + format_rfc3339(shown->last_transition_time);
  switch (shown->health) {
    case Health::Healthy:
      out.push_back({"1", name + ": Healthy, " + std::to_string(shown->ready_endpoints) +
                              " ready endpoints >= minReadyEndpoints " + min_ready + since});
      break;
    case Health::Unhealthy:
      if (shown->ready_endpoints < spec.health.min_ready_endpoints) {
        out.push_back({"1", name + ": Unhealthy, " + std::to_string(shown->ready_endpoints) +
                                " ready endpoints < minReadyEndpoints " + min_ready + since});
      } else {
        out.push_back({"1", name + ": Unhealthy although " + std::to_string(shown->ready_endpoints) +
                                " ready endpoints suffice: its data-plane checks fail (rule 1a)" + since});
      }
      break;
    case Health::Unknown: {
      std::string text = name + ": Unknown: cluster " + backing.cluster + "'s agent is silent";
      if (cluster != nullptr && cluster->silent_since) {
        const auto silence = now - *cluster->silent_since;
        text += " for " + seconds_text(silence);
        const auto silent_ms = seconds_ms(spec.health.silent_failover_seconds);
        text += silence >= silent_ms
                    ? " (>= silentFailoverSeconds " + std::to_string(spec.health.silent_failover_seconds) +
                          ": presumed down, unusable for the other consumers)"
                    : " (unknownAfterSeconds " + std::to_string(spec.health.unknown_after_seconds) +
                          ": its last known health decides; presumed down after silentFailoverSeconds " +
                          std::to_string(spec.health.silent_failover_seconds) + ")";
      } else {
        text += " (its last known health decides until silentFailoverSeconds " +
                std::to_string(spec.health.silent_failover_seconds) + ")";
      }
      out.push_back({"1", text});
      break;
    }
  }
  if (!shown->data_plane || !spec.health.data_plane.any()) return;
  const auto& dp = *shown->data_plane;
  const auto& policy = spec.health.data_plane;
  std::string text = name + ": data plane " + dp.verdict + ", last evaluation " + dp.last + " (" +
                     std::to_string(dp.consecutive) + " in a row; failureThreshold " +
                     std::to_string(policy.failure_threshold) + ", successThreshold " +
                     std::to_string(policy.success_threshold) + ")";
  if (dp.success_rate && dp.min_success_rate) {
    text += ", success rate " + percent(*dp.success_rate) + " (minimum " + percent(*dp.min_success_rate) + ")";
  }
  if (dp.latency_ms && dp.max_latency_ms) {
    char buffer[96];
    std::snprintf(buffer, sizeof buffer, ", latency %gms (maximum %gms)", *dp.latency_ms, *dp.max_latency_ms);
    text += buffer;
  }
  if (dp.latency_within_share && dp.max_latency_ms && dp.latency_quantile) {
    char buffer[128];
    std::snprintf(buffer, sizeof buffer, ", %s of requests within %gms (minimum %s)",
                  percent(*dp.latency_within_share).c_str(), *dp.max_latency_ms, percent(*dp.latency_quantile).c_str());
    text += buffer;
  }
  if (!dp.message.empty()) text += ": " + dp.message;
  out.push_back({"1a", text});
}

bool usable_health(const BackendStatus* shown) { return shown != nullptr && shown->health == Health::Healthy; }

}  // namespace

std::vector<ExplainLine> explain(const LiveFailoverService& service, const std::vector<LiveCluster>& clusters,
                                 TimeMs now) {
  const auto& spec = service.fos.spec;
  const auto& status = service.status;
  std::vector<ExplainLine> out;
  if (!status) {
    out.push_back({"state", "no status yet: the hub has not decided on this FailoverService"});
    return out;
  }
  out.push_back({"state", std::string(to_string(status->state)) +
                              (status->message.empty() ? "" : ": " + status->message)});
  if (status->state == FosState::Invalid) return out;

  for (const auto& backing : spec.backing_services) {
    explain_health(spec, backing, shown_of(status, backing), cluster_of(clusters, backing.cluster), now, out);
  }

  // Operator overrides, applied before the group is chosen.
  for (const auto& cluster : clusters) {
    if (!cluster.drain) continue;
    const bool named = std::any_of(spec.backing_services.begin(), spec.backing_services.end(),
                                   [&](const BackingService& b) { return b.cluster == cluster.name; });
    if (named) out.push_back({"overrides", "cluster " + cluster.name + " " + describe_drain(*cluster.drain) +
                                               ": its backends are unusable in every consumer"});
  }
  if (spec.pin) {
    std::string text = "spec.pin: " + spec.backing_services[spec.pin->backing].to_string();
    if (spec.pin->until_ms && !pin_in_force(*spec.pin, now)) {
      text += " expired at " + format_rfc3339(*spec.pin->until_ms) + "; automatic decisions";
    } else {
      text += spec.pin->force ? " carries all traffic even when not usable (force)"
                              : " carries all traffic while usable";
      if (spec.pin->until_ms) {
        text += ", until " + format_rfc3339(*spec.pin->until_ms) + " (" + seconds_text(*spec.pin->until_ms - now) +
                " left)";
      }
    }
    out.push_back({"overrides", text});
  }
  if (spec.mode == Mode::Observe) {
    out.push_back({"overrides", "spec.mode Observe: decisions are shown (status.consumers[].wouldApply), no route is written"});
  }

  // Groups, in priority order.
  std::map<std::int32_t, std::vector<std::size_t>> groups;
  for (std::size_t b = 0; b < spec.backing_services.size(); ++b) groups[spec.backing_services[b].priority].push_back(b);
  const auto delay_ms = seconds_ms(spec.failback_delay_seconds);
  for (const auto& consumer : spec.consumers) {
    const ConsumerStatus* shown = nullptr;
    for (const auto& c : status->consumers) {
      if (c.cluster == consumer) shown = &c;
    }
    const auto prefix = "in " + consumer + ": ";
    for (std::size_t b = 0; b < spec.backing_services.size(); ++b) {
      const auto name = spec.backing_services[b].to_string();
      if (shown != nullptr &&
          std::find(shown->omitted_backends.begin(), shown->omitted_backends.end(), name) != shown->omitted_backends.end()) {
        out.push_back({"2", prefix + name + " is left out: its mirror does not exist here (rule 7)"});
      }
    }
    if (shown == nullptr || !shown->active_priority) {
      out.push_back({"3", prefix + "no decision yet" + (shown && !shown->message.empty() ? ": " + shown->message : "")});
      continue;
    }
    const auto active = *shown->active_priority;
    std::string text = prefix + "priority group " + std::to_string(active) + " is active";
    if (shown->active_since) text += " since " + format_rfc3339(*shown->active_since);
    if (!shown->message.empty()) text += " (" + shown->message + ")";
    out.push_back({"3", text});
    // Rule 4: a higher group that looks usable again waits for the delay.
    for (const auto& [priority, members] : groups) {
      if (priority >= active) break;
      std::optional<TimeMs> healthy_since;
      for (const auto b : members) {
        const auto& backing = spec.backing_services[b];
        const auto* health = shown_of(status, backing);
        const auto* cluster = cluster_of(clusters, backing.cluster);
        if (!usable_health(health) || (cluster != nullptr && cluster->drain)) continue;
        auto since = health->last_transition_time;
        if (shown->active_since) since = std::max(since, *shown->active_since);
        if (!healthy_since || since < *healthy_since) healthy_since = since;
      }
      if (!healthy_since) {
        out.push_back({"4", prefix + "priority group " + std::to_string(priority) + " has no usable member"});
        continue;
      }
      const auto left = *healthy_since + delay_ms - now;
      out.push_back({"4", prefix + "priority group " + std::to_string(priority) +
                              " is healthy again; traffic returns after failback.delaySeconds " +
                              std::to_string(spec.failback_delay_seconds) + ": about " + seconds_text(left) +
                              " left (its mirror here must be ready too, rule 2)"});
    }
    // Rule 5: the weights.
    std::string weights;
    for (const auto& name : shown->active_backends) {
      for (const auto& backing : spec.backing_services) {
        if (backing.to_string() == name) {
          weights += (weights.empty() ? "" : ", ") + name + " weight " + std::to_string(backing.weight);
        }
      }
    }
    out.push_back({"5", prefix + (weights.empty() ? "no backend carries traffic (weights kept, rule 3)" : weights)});
  }
  return out;
}

}  // namespace switchyard::core
