// Property tests: random specs and random health sequences, checked against
// the invariants of api.md with an independent model of rules 1-2.
#include <catch2/catch.hpp>

#include <map>
#include <random>

#include <rapidjson/document.h>

#include "engine_fixture.h"

using namespace switchyard::core;
using namespace switchyard::core::testing;

namespace {

const std::vector<std::string> kClusterNames{"c0", "c1", "c2", "c3", "c4"};

struct RandomSpec {
  std::string json;
  FailoverService fos;
};

RandomSpec random_spec(std::mt19937& rng) {
  std::uniform_int_distribution<int> count(1, 5), priority(0, 2), weight(1, 4), coin(0, 1), cluster(0, 4);
  std::string backings;
  std::set<std::pair<int, int>> used;
  const int n = count(rng);
  for (int i = 0; i < n; ++i) {
    int c = cluster(rng);
    int svc = coin(rng);
    if (!used.insert({c, svc}).second) continue;
    backings += std::string(backings.empty() ? "" : ",") + R"({"cluster":")" + kClusterNames[c] +
                R"(","namespace":"emojivoto","name":"svc)" + std::to_string(svc) + R"(","priority":)" +
                std::to_string(priority(rng)) + R"(,"weight":)" + std::to_string(weight(rng)) + "}";
  }
  std::string consumers;
  for (const auto& name : kClusterNames) {
    if (coin(rng)) consumers += std::string(consumers.empty() ? "" : ",") + "\"" + name + "\"";
  }
  if (consumers.empty()) consumers = "\"c0\"";
  const int unknown = 10 + 5 * cluster(rng);
  const std::string spec = R"({"backingServices":[)" + backings + R"(],"consumers":[)" + consumers +
                           R"(],"health":{"unknownAfterSeconds":)" + std::to_string(unknown) +
                           R"(,"silentFailoverSeconds":)" + std::to_string(unknown * 2) +
                           R"(,"requireMirrorReady":)" + (coin(rng) ? "true" : "false") +
                           R"(},"failback":{"delaySeconds":)" + std::to_string(5 * cluster(rng)) + "}}";
  RandomSpec result;
  result.json = fos_json(spec, "random");
  result.fos = parse_ok(result.json);
  return result;
}

// What the test told the engine, kept independently of it.
struct Model {
  std::map<std::string, TimeMs> heard;  // absent: never reported
  std::map<std::tuple<std::string, std::string, ServiceRole>, Observation> seen;

  bool usable(const FailoverSpec& spec, const BackingService& b, const std::string& consumer, TimeMs now,
              bool& omitted) const {
    omitted = false;
    const TimeMs unknown = seconds_ms(spec.health.unknown_after_seconds);
    const TimeMs silent = seconds_ms(spec.health.silent_failover_seconds);
    const auto heard_at = heard.count(b.cluster) ? heard.at(b.cluster) : kStart;
    auto it = seen.find({b.cluster, b.name, ServiceRole::Local});
    const bool last_ok = it != seen.end() && it->second.exists &&
                         it->second.ready_endpoints >= spec.health.min_ready_endpoints;
    // Rule 1b: a consumer's own backends keep their last known health for it
    // however long its own silence; other consumers presume them down.
    if (b.cluster == consumer) return last_ok;
    const bool healthy = now - heard_at >= silent ? false : last_ok;
    auto mirror = seen.find({consumer, mirror_name(spec.mirror_name_template, b), ServiceRole::Mirror});
    if (mirror == seen.end()) return healthy;
    if (!mirror->second.exists) {
      omitted = true;  // known missing, whether the consumer is silent or not
      return false;
    }
    const bool consumer_silent = !heard.count(consumer) || now - heard.at(consumer) >= unknown;
    if (consumer_silent) return healthy;
    if (mirror->second.ready_endpoints == 0 && spec.health.require_mirror_ready) return false;
    return healthy;
  }

  // Rule 8, with the only FailoverService's unknownAfterSeconds as the threshold.
  bool frozen(const FailoverSpec& spec, TimeMs now) const {
    int silent = 0;
    for (const auto& name : kClusterNames) {
      const auto at = heard.count(name) ? heard.at(name) : kStart;
      if (now - at >= seconds_ms(spec.health.unknown_after_seconds)) ++silent;
    }
    return silent * 2 > static_cast<int>(kClusterNames.size());
  }
};

std::set<std::string, std::less<>> members() { return {kClusterNames.begin(), kClusterNames.end()}; }

// Every consumer's split as text ("c0: a=1 b-c1=0 | c1: <none>"), for
// comparisons that print readably.
std::string splits_of(const Engine& engine, RecordId id) {
  std::string out;
  for (std::size_t c = 0; c < engine.consumer_count(id); ++c) {
    out += (c ? " | " : "") + engine.consumer_cluster(id, c) + ":";
    const auto split = engine.traffic_split(id, c);
    if (!split) out += " <none>";
    for (const auto& backend : split ? split->backends : std::vector<SplitBackend>{}) {
      out += " " + backend.service + "=" + std::to_string(backend.weight);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("invariants hold over random specs and random health sequences", "[core][property]") {
  std::mt19937 rng(20261124);
  int checked_splits = 0;
  int restarts = 0;
  for (int round = 0; round < 150; ++round) {
    const auto spec = random_spec(rng);
    Engine engine(EngineOptions{kStart, 40'000});
    Engine twin(EngineOptions{kStart, 40'000});
    engine.set_member_clusters(members(), kStart);
    twin.set_member_clusters(members(), kStart);
    const auto id = engine.upsert(spec.fos, std::nullopt, kStart);
    const auto twin_id = twin.upsert(spec.fos, std::nullopt, kStart);
    Model model;
    TimeMs now = kStart;
    std::vector<Change> changes;
    std::uniform_int_distribution<int> pick_cluster(0, 4), ready(0, 2), action(0, 9), seconds(0, 12), svc(0, 1);

    for (int step = 0; step < 150; ++step) {
      const auto kind = action(rng);
      if (kind < 6) {
        // A report: a few services of one cluster, local and mirrors.
        const auto& cluster = kClusterNames[pick_cluster(rng)];
        std::vector<std::pair<ServiceId, Observation>> observations;
        for (int k = 0; k < 3; ++k) {
          const bool mirror = svc(rng) == 1;
          std::string name = "svc" + std::to_string(svc(rng));
          if (mirror) name += "-" + kClusterNames[pick_cluster(rng)];
          const auto role = mirror ? ServiceRole::Mirror : ServiceRole::Local;
          const int r = ready(rng);
          const bool exists = !(mirror && r == 2 && svc(rng) == 0);
          const Observation seen{exists, exists ? static_cast<std::uint32_t>(r) : 0, exists ? 2u : 0u};
          model.seen[{cluster, name, role}] = seen;
          for (auto* e : {&engine, &twin}) {
            const auto cid = e->cluster_id(cluster);
            e->heard_from(cid, now);
            e->observe(e->service_id(cid, "emojivoto", name, role), seen);
          }
        }
        model.heard[cluster] = now;
      } else {
        now += seconds_ms(seconds(rng));
      }
      engine.evaluate(now, changes);
      twin.evaluate(now, changes);

      // Same inputs, same outputs.
      REQUIRE(splits_of(engine, id) == splits_of(twin, twin_id));
      if (model.frozen(spec.fos.spec, now)) continue;

      const auto& fs = spec.fos.spec;
      for (std::size_t c = 0; c < engine.consumer_count(id); ++c) {
        const auto split = engine.traffic_split(id, c);
        if (!split) continue;
        ++checked_splits;
        const auto& consumer = fs.consumers[c];
        bool any_usable = false;
        std::set<std::int32_t> weighted_groups;
        std::size_t backend = 0;
        INFO("round " << round << " step " << step << " consumer " << consumer << " spec " << spec.json);
        INFO("split " << splits_of(engine, id) << " frozen " << engine.frozen());
        for (const auto& b : fs.backing_services) {
          bool omitted = false;
          const bool ok = model.usable(fs, b, consumer, now, omitted);
          any_usable |= ok;
          if (omitted) continue;  // rule 7: not in the split
          REQUIRE(backend < split->backends.size());
          if (split->backends[backend].weight > 0) weighted_groups.insert(b.priority);
          ++backend;
        }
        REQUIRE(backend == split->backends.size());
        // All weight inside one priority group.
        CHECK(weighted_groups.size() <= 1);
        // No weight on an unusable backend while a usable one exists.
        if (any_usable) {
          backend = 0;
          for (const auto& b : fs.backing_services) {
            bool omitted = false;
            const bool ok = model.usable(fs, b, consumer, now, omitted);
            if (omitted) continue;
            if (split->backends[backend].weight > 0) {
              INFO("round " << round << " step " << step << " consumer " << consumer << " backend " << b.to_string());
              CHECK(ok);
            }
            ++backend;
          }
        }
      }

      // A restart that restores the last decision changes nothing.
      if (step % 37 == 36) {
        ++restarts;
        std::map<std::string, Revisions, std::less<>> none;
        rapidjson::Document document;
        document.Parse(status_to_json(engine.status(id, now, none)).c_str());
        const auto recorded = status_from_json(document);
        Engine restarted(EngineOptions{now, 40'000});
        restarted.set_member_clusters(members(), now);
        const auto rid = restarted.upsert(spec.fos, recorded, now);
        restarted.evaluate(now, changes);
        CHECK(splits_of(restarted, rid) == splits_of(engine, id));
      }
    }
  }
  CHECK(checked_splits > 5000);
  CHECK(restarts > 300);
}
