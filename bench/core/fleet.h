// The fleet decision_bench times and decision_events counts (callgrind):
// N FailoverServices over 100 clusters, every agent has reported all
// healthy, and one event is one reported service flipping (see
// decision_bench.cpp for what the fleet and an event are).
#pragma once

#include <algorithm>
#include <memory>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "switchyard/core/engine.h"
#include "switchyard/core/parse.h"

namespace decision_fleet {

using namespace switchyard::core;

inline constexpr int kClusters = 100;
inline constexpr TimeMs kNow = 1'700'000'000'000;

inline std::string cluster_name(int c) { return "cluster-" + std::to_string(c); }

struct Backing {
  ClusterId cluster;  // resolved once, as the hub does when the MemberCluster appears
  std::string name;
  std::uint32_t ready = 2;
};

// A backing service as a per-connection id cache holds it.
struct BackingById {
  ClusterId cluster;
  ServiceId service;
  std::uint32_t ready = 2;
};

struct Fleet {
  Engine engine{EngineOptions{kNow, 40'000}};
  std::vector<Backing> backings;  // every backing service, to flip at random
  std::vector<BackingById> by_id;  // the same, ids resolved once
};

// One FailoverService `name` backed by `clusters` (first = primary), with
// every backing cluster as a consumer.
inline void add_failover_service(Fleet& fleet, const std::string& name, const std::vector<int>& clusters) {
  std::string list;
  for (int c : clusters) {
    list += std::string(list.empty() ? "" : ",") + R"({"cluster":")" + cluster_name(c) +
            R"(","namespace":"prod","name":")" + name + "\"}";
  }
  auto parsed = parse_failover_service(R"({"metadata":{"name":")" + name + R"(","namespace":"prod"},"spec":{"backingServices":[)" +
                                       list + R"(],"failback":{"delaySeconds":0}}})");
  if (!parsed.ok()) throw std::runtime_error(parsed.message());
  fleet.engine.upsert(*parsed.value, std::nullopt, kNow);
}

// Every agent reports: each backing service healthy, each mirror reachable.
inline void report_all_healthy(Fleet& fleet, const std::vector<std::vector<int>>& clusters_of,
                        const std::vector<std::string>& names) {
  auto& engine = fleet.engine;
  for (int c = 0; c < kClusters; ++c) engine.heard_from(engine.cluster_id(cluster_name(c)), kNow);
  for (std::size_t i = 0; i < names.size(); ++i) {
    for (int c : clusters_of[i]) {
      const auto cluster = engine.cluster_id(cluster_name(c));
      engine.observe(engine.service_id(cluster, "prod", names[i], ServiceRole::Local), {true, 2, 2});
      for (int consumer : clusters_of[i]) {
        if (consumer == c) continue;
        engine.observe(engine.service_id(engine.cluster_id(cluster_name(consumer)), "prod",
                                         names[i] + "-" + cluster_name(c), ServiceRole::Mirror),
                       {true, 1, 1});
      }
    }
  }
  std::vector<Change> changes;
  engine.evaluate(kNow, changes);
}

// N FailoverServices with 2-3 backing services in random distinct clusters.
// The first `sharing` of them also name the service "shared" in cluster-0
// as their last (lowest-priority) backing service.
inline std::unique_ptr<Fleet> build_fleet(int fos_count, int sharing = 0) {
  auto fleet = std::make_unique<Fleet>();
  std::set<std::string, std::less<>> members;
  for (int c = 0; c < kClusters; ++c) members.insert(cluster_name(c));
  fleet->engine.set_member_clusters(members, kNow);
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> pick(1, kClusters - 1), extra(0, 1);
  std::vector<std::vector<int>> clusters_of;
  std::vector<std::string> names;
  for (int i = 0; i < fos_count; ++i) {
    std::vector<int> clusters;
    const int n = 2 + extra(rng);
    while (static_cast<int>(clusters.size()) < n) {
      const int c = pick(rng);
      if (std::find(clusters.begin(), clusters.end(), c) == clusters.end()) clusters.push_back(c);
    }
    names.push_back("svc-" + std::to_string(i));
    for (int c : clusters) fleet->backings.push_back({fleet->engine.cluster_id(cluster_name(c)), names.back()});
    add_failover_service(*fleet, names.back(), clusters);
    clusters_of.push_back(std::move(clusters));
  }
  for (int i = 0; i < sharing; ++i) {
    // A separate FailoverService over the shared service; its mirrors are
    // named after "shared", so they are reported below.
    auto clusters = clusters_of[static_cast<std::size_t>(i)];
    clusters.push_back(0);
    std::string list;
    for (std::size_t k = 0; k < clusters.size(); ++k) {
      const auto& name = k + 1 == clusters.size() ? std::string("shared") : names[static_cast<std::size_t>(i)];
      list += std::string(list.empty() ? "" : ",") + R"({"cluster":")" + cluster_name(clusters[k]) +
              R"(","namespace":"prod","name":")" + name + "\"}";
    }
    auto parsed = parse_failover_service(R"({"metadata":{"name":"shared-)" + std::to_string(i) +
                                         R"(","namespace":"prod"},"spec":{"backingServices":[)" + list +
                                         R"(],"mirror":{"nameTemplate":"{name}-{cluster}"},"failback":{"delaySeconds":0}}})");
    if (!parsed.ok()) throw std::runtime_error(parsed.message());
    fleet->engine.upsert(*parsed.value, std::nullopt, kNow);
  }
  report_all_healthy(*fleet, clusters_of, names);
  for (const auto& backing : fleet->backings) {
    fleet->by_id.push_back(
        {backing.cluster, fleet->engine.service_id(backing.cluster, "prod", backing.name, ServiceRole::Local)});
  }
  if (sharing > 0) {
    auto& engine = fleet->engine;
    engine.observe(engine.service_id(engine.cluster_id(cluster_name(0)), "prod", "shared", ServiceRole::Local),
                   {true, 2, 2});
    for (int c = 1; c < kClusters; ++c) {
      engine.observe(engine.service_id(engine.cluster_id(cluster_name(c)), "prod", "shared-" + cluster_name(0),
                                       ServiceRole::Mirror),
                     {true, 1, 1});
    }
    std::vector<Change> changes;
    engine.evaluate(kNow, changes);
  }
  return fleet;
}

// A report of one service, as the hub handles it: heard_from, name -> id,
// observe, evaluate. Returns the number of FailoverServices whose decision
// or status changed (`changes` holds them).
inline std::size_t flip_by_name(Fleet& fleet, Backing& backing, std::vector<Change>& changes) {
  auto& engine = fleet.engine;
  backing.ready = 2 - backing.ready;
  engine.heard_from(backing.cluster, kNow);
  engine.observe(engine.service_id(backing.cluster, "prod", backing.name, ServiceRole::Local),
                 {true, backing.ready, 2});
  engine.evaluate(kNow, changes);
  return changes.size();
}

// The same report with the id already resolved.
inline std::size_t flip_by_id(Fleet& fleet, BackingById& backing, std::vector<Change>& changes) {
  auto& engine = fleet.engine;
  backing.ready = 2 - backing.ready;
  engine.heard_from(backing.cluster, kNow);
  engine.observe(backing.service, {true, backing.ready, 2});
  engine.evaluate(kNow, changes);
  return changes.size();
}

}  // namespace decision_fleet
