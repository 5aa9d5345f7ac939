// The Kubernetes objects the hub reads (FailoverService, MemberCluster,
// Secret), translated at the edge from the JSON the API serves into typed
// values for the controller. Nothing past these functions sees their JSON.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include <rapidjson/document.h>

#include "switchyard/core/failover_service.h"
#include "switchyard/core/overrides.h"
#include "switchyard/core/field_error.h"
#include "switchyard/core/status.h"

namespace switchyard::hub {

struct FailoverServiceObject {
  core::ObjectKey key;
  std::string uid;
  std::int64_t generation = 0;
  // The spec, or every problem with its field (the object is then Invalid).
  core::Decoded<core::FailoverService> spec;
  // The status as recorded in the object (after a hub restart: the decisions
  // to resume), and its canonical JSON form for "has it changed" comparisons.
  std::optional<core::FosStatus> recorded;
  std::string recorded_json;
};

// Null when the object has no metadata.name/namespace (the API never serves such).
[[nodiscard]] std::optional<FailoverServiceObject> read_failover_service(const rapidjson::Value& object);

struct SecretRef {
  std::string namespace_name, name, key;
  bool operator==(const SecretRef&) const = default;
};

// The part of MemberCluster.status the hub writes and compares.
struct MemberStatusView {
  bool connected = false;
  std::string agent_version;
  std::uint64_t reported_services = 0;
  std::int64_t applied_revision = 0;
  // The TokenConflict condition's message: which other MemberClusters have
  // this cluster's token (then it authenticates neither); empty: none.
  std::string token_conflict;
  // status.drained: who drained it, when and why (core::describe_drain);
  // empty when spec.drain is unset.
  std::string drained;
  bool operator==(const MemberStatusView&) const = default;
};

struct MemberClusterObject {
  std::string name;
  std::string uid;
  std::int64_t generation = 0;
  // Unset (with `problem` naming the field) when spec.tokenSecretRef is
  // missing or malformed: the cluster exists but no agent may speak for it.
  std::optional<SecretRef> token_ref;
  std::string problem;
  // spec.output: the output kind of FailoverServices that name none. Unset
  // when absent or invalid (`output_problem` names the field); TrafficSplit
  // then, as before the field existed.
  std::optional<core::OutputKind> output;
  std::string output_problem;
  std::optional<MemberStatusView> recorded;  // unset when the object has no status yet
  std::int64_t connected_since_ms = 0;       // the Connected condition's lastTransitionTime
  // spec.drain (core/overrides.h). A malformed one (which the CRD's schema
  // refuses) counts as a drain, named in `drain_problem`: the operator meant
  // to drain, and undraining by mistake would move traffic back.
  std::optional<core::Drain> drain;
  std::string drain_problem;
  // The annotation switchyard.io/undrain: now (core/overrides.h): when this
  // version removes spec.drain, traffic returns without the failback delay.
  core::Undrain undrain = core::Undrain::AfterFailbackDelay;
};

[[nodiscard]] std::optional<MemberClusterObject> read_member_cluster(const rapidjson::Value& object);

struct SecretObject {
  std::string namespace_name, name;
  std::map<std::string, std::string> data;  // base64-decoded values; undecodable keys are left out
};

[[nodiscard]] std::optional<SecretObject> read_secret(const rapidjson::Value& object);

// The status block written to a MemberCluster.
[[nodiscard]] std::string member_status_to_json(const MemberStatusView& view, std::int64_t last_heartbeat_ms,
                                                std::int64_t connected_since_ms, std::int64_t generation,
                                                std::int64_t token_conflict_since_ms = 0);

// Standard base64 (RFC 4648) with padding, as Secret data is served; nullopt
// on any other character or bad length.
[[nodiscard]] std::optional<std::string> decode_base64(std::string_view text);

}  // namespace switchyard::hub
