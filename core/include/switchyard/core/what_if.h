// What a failure would do (issue 17, `kubectl switchyard what-if`): from the
// live state as the API server shows it (FailoverServices with the status
// the hub recorded, MemberClusters), the weights each consumer would get if
// a cluster or one backend failed now.
//
// Pure: the decision is the hub's own Engine (engine.h), run on a copy of
// the state rebuilt from status, never a second implementation of the
// rules. What status does not show is assumed: a remote backend's mirror in
// a consumer is ready unless status lists it as omitted there, and the
// failback timers start now (a failback already pending is not predicted).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "switchyard/core/failover_service.h"
#include "switchyard/core/field_error.h"
#include "switchyard/core/overrides.h"
#include "switchyard/core/status.h"
#include "switchyard/core/time.h"

namespace switchyard::core {

// A FailoverService as the API server shows it.
struct LiveFailoverService {
  FailoverService fos;
  std::optional<FosStatus> status;  // as the hub recorded it; nothing before its first decision
};

// A MemberCluster as the API server shows it.
struct LiveCluster {
  std::string name;
  std::optional<Drain> drain;
  // Its agent's last heartbeat while status says it is not connected
  // (status.lastHeartbeatTime); nothing when connected (heard now) or never heard.
  std::optional<TimeMs> silent_since;
  bool connected = true;
};

struct LiveState {
  std::vector<LiveCluster> clusters;
  std::vector<LiveFailoverService> services;
};

// The failure to imagine: a whole cluster (every backend in it unusable and
// its agent silent past every silentFailoverSeconds: it hears no decision and
// keeps its own routes, rule 1b), or one backend (no ready endpoints, as its
// agent would report it).
struct Failure {
  std::string cluster;
  std::string namespace_name, name;  // both empty: the whole cluster
  [[nodiscard]] bool whole_cluster() const { return name.empty(); }
  [[nodiscard]] std::string to_string() const {
    return whole_cluster() ? "cluster " + cluster : cluster + "/" + namespace_name + "/" + name;
  }
};

// "west" or "west/emojivoto/web-svc"; the error names the argument.
[[nodiscard]] Decoded<Failure> parse_failure(std::string_view text);

struct PredictedWeight {
  std::string backend;  // "east/emojivoto/web-svc"
  std::uint32_t weight = 0;
  bool operator==(const PredictedWeight&) const = default;
};

struct ConsumerPrediction {
  std::string cluster;
  // One entry per backend its route lists (a backend whose mirror is missing
  // there is left out, rule 7); empty while no decision was ever made.
  std::vector<PredictedWeight> now, after;
  // The failed cluster itself: its agent is silent, so it receives nothing
  // and keeps `now` (rule 1b).
  bool silent = false;
  [[nodiscard]] bool moves() const { return now != after; }
};

struct ServicePrediction {
  ObjectKey key;
  std::string invalid;  // non-empty: the spec is refused (the message), nothing is decided
  FosState state_now = FosState::Primary, state_after = FosState::Primary;
  std::vector<ConsumerPrediction> consumers;
};

// Every FailoverService of `live` (in the given order), before and after
// `failure`, at `now`. A failure naming nothing in the state changes nothing.
[[nodiscard]] std::vector<ServicePrediction> what_if(const LiveState& live, const Failure& failure, TimeMs now);

}  // namespace switchyard::core
