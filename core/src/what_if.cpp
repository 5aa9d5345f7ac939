// what_if (what_if.h): the live state rebuilt in a fresh Engine, decided once
// as it is and once with the failure, by the hub's own rules.
#include "switchyard/core/what_if.h"

#include <algorithm>

#include "switchyard/core/engine.h"

namespace switchyard::core {
namespace {

// The engine's start, far enough back that no start-up grace applies: a
// cluster never heard from is presumed down, as a live hub would have it.
constexpr TimeMs kLongAgo = 10LL * 24 * 3600 * 1000;

// A measurement every data-plane check fails, to replay a Failing verdict
// that status shows (status keeps the verdict, not the streak behind it).
DataPlaneSample failing_sample() {
  DataPlaneSample sample;
  sample.request_rate = 1e9;
  sample.success_rate = 0;
  sample.latency_ms = 1e12;
  return sample;
}

struct Decided {
  std::vector<FosState> states;
  std::vector<std::string> invalid;
  // Per service, per consumer (spec order): the route's weights.
  std::vector<std::vector<std::vector<PredictedWeight>>> weights;
};

// The route's backends of `consumer` as backing names: the split lists them
// in spec order, less those left out (rule 7).
std::vector<PredictedWeight> weights_of(const FailoverSpec& spec, const std::string& consumer,
                                        const TrafficSplit& split) {
  std::vector<PredictedWeight> out;
  std::size_t next = 0;
  for (const auto& backing : spec.backing_services) {
    const auto route_name =
        backing.cluster == consumer ? backing.name : mirror_name(spec.mirror_name_template, backing);
    if (next < split.backends.size() && split.backends[next].service == route_name) {
      out.push_back({backing.to_string(), split.backends[next].weight});
      ++next;
    }
  }
  return out;
}

void observe_status(Engine& engine, const LiveFailoverService& live, std::vector<ServiceId>& failing_data_plane) {
  const auto& spec = live.fos.spec;
  if (live.status) {
    for (const auto& shown : live.status->backing_services) {
      // Unknown: the engine keeps what the recorded status says (upsert).
      if (shown.health == Health::Unknown) continue;
      const auto id = engine.service_id(engine.cluster_id(shown.cluster), shown.namespace_name, shown.name,
                                        ServiceRole::Local);
      engine.observe(id, Observation{true, shown.ready_endpoints, shown.ready_endpoints});
      if (shown.data_plane && shown.data_plane->verdict == "Failing") failing_data_plane.push_back(id);
    }
  }
  // Mirrors: status says which are missing in a consumer; the rest count as
  // ready (status does not show mirror readiness).
  for (const auto& consumer : spec.consumers) {
    const ConsumerStatus* shown = nullptr;
    if (live.status) {
      for (const auto& c : live.status->consumers) {
        if (c.cluster == consumer) shown = &c;
      }
    }
    for (const auto& backing : spec.backing_services) {
      if (backing.cluster == consumer) continue;
      const bool missing = shown != nullptr && std::find(shown->omitted_backends.begin(), shown->omitted_backends.end(),
                                                         backing.to_string()) != shown->omitted_backends.end();
      const auto id = engine.service_id(engine.cluster_id(consumer), backing.namespace_name,
                                        mirror_name(spec.mirror_name_template, backing), ServiceRole::Mirror);
      engine.observe(id, Observation{!missing, missing ? 0u : 1u, missing ? 0u : 1u});
    }
  }
}

Decided decide(const LiveState& live, const Failure* failure, TimeMs now) {
  Engine engine(EngineOptions{now - kLongAgo, EngineOptions{}.fleet_silent_after_ms});
  std::set<std::string, std::less<>> members;
  for (const auto& cluster : live.clusters) members.insert(cluster.name);
  // Members first: a later change of membership recompiles without the recorded status.
  engine.set_member_clusters(members, now);
  for (const auto& cluster : live.clusters) engine.set_drain(engine.cluster_id(cluster.name), cluster.drain);

  std::vector<RecordId> ids;
  std::vector<ServiceId> failing_data_plane;
  std::uint32_t failure_threshold = 1;
  for (const auto& service : live.services) {
    ids.push_back(engine.upsert(service.fos, service.status, now));
    observe_status(engine, service, failing_data_plane);
    failure_threshold = std::max(failure_threshold, service.fos.spec.health.data_plane.failure_threshold);
  }
  for (const auto& cluster : live.clusters) {
    const auto id = engine.cluster_id(cluster.name);
    if (failure != nullptr && failure->whole_cluster() && failure->cluster == cluster.name) continue;  // silent
    if (cluster.connected) {
      engine.heard_from(id, now);
    } else if (cluster.silent_since) {
      engine.heard_from(id, std::min(*cluster.silent_since, now));
    }
  }
  for (const auto service : failing_data_plane) engine.observe_data_plane(service, failing_sample());
  if (!failing_data_plane.empty()) {
    for (const auto& cluster : live.clusters) {
      for (std::uint32_t i = 0; i < failure_threshold; ++i) engine.data_plane_evaluated(engine.cluster_id(cluster.name));
    }
  }

  if (failure != nullptr) {
    const Observation none{true, 0, 0};
    if (failure->whole_cluster()) {
      for (const auto& service : live.services) {
        for (const auto& backing : service.fos.spec.backing_services) {
          if (backing.cluster != failure->cluster) continue;
          engine.observe(engine.service_id(engine.cluster_id(backing.cluster), backing.namespace_name, backing.name,
                                           ServiceRole::Local),
                         none);
        }
      }
    } else {
      engine.observe(engine.service_id(engine.cluster_id(failure->cluster), failure->namespace_name, failure->name,
                                       ServiceRole::Local),
                     none);
    }
  }

  std::vector<Change> changes;
  engine.evaluate(now, changes);

  Decided decided;
  const std::map<std::string, Revisions, std::less<>> no_revisions;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const auto status = engine.status(ids[i], now, no_revisions);
    decided.states.push_back(status.state);
    decided.invalid.push_back(status.state == FosState::Invalid ? status.message : "");
    auto& per_consumer = decided.weights.emplace_back();
    const auto& spec = live.services[i].fos.spec;
    for (std::size_t c = 0; c < engine.consumer_count(ids[i]); ++c) {
      const auto split = engine.traffic_split(ids[i], c);
      per_consumer.push_back(split ? weights_of(spec, engine.consumer_cluster(ids[i], c), *split)
                                   : std::vector<PredictedWeight>{});
    }
  }
  return decided;
}

}  // namespace

Decoded<Failure> parse_failure(std::string_view text) {
  Decoded<Failure> result;
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const auto slash = text.find('/', start);
    parts.emplace_back(text.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  const bool blank = std::any_of(parts.begin(), parts.end(), [](const std::string& p) { return p.empty(); });
  if (blank || (parts.size() != 1 && parts.size() != 3)) {
    result.errors.push_back(
        {"--fail", "must be CLUSTER or CLUSTER/NAMESPACE/NAME, got \"" + std::string(text) + "\""});
    return result;
  }
  Failure failure;
  failure.cluster = parts[0];
  if (parts.size() == 3) {
    failure.namespace_name = parts[1];
    failure.name = parts[2];
  }
  result.value = std::move(failure);
  return result;
}

std::vector<ServicePrediction> what_if(const LiveState& live, const Failure& failure, TimeMs now) {
  const auto before = decide(live, nullptr, now);
  const auto after = decide(live, &failure, now);
  std::vector<ServicePrediction> out;
  for (std::size_t i = 0; i < live.services.size(); ++i) {
    const auto& spec = live.services[i].fos.spec;
    ServicePrediction prediction;
    prediction.key = live.services[i].fos.key;
    prediction.invalid = before.invalid[i];
    prediction.state_now = before.states[i];
    prediction.state_after = after.states[i];
    for (std::size_t c = 0; c < before.weights[i].size(); ++c) {
      ConsumerPrediction consumer;
      consumer.cluster = spec.consumers[c];
      consumer.now = before.weights[i][c];
      // The failed cluster hears nothing: its agent keeps what it applied.
      consumer.silent = failure.whole_cluster() && failure.cluster == consumer.cluster;
      consumer.after = consumer.silent ? consumer.now : after.weights[i][c];
      prediction.consumers.push_back(std::move(consumer));
    }
    out.push_back(std::move(prediction));
  }
  return out;
}

}  // namespace switchyard::core
