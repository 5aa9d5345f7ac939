// Operator overrides (api.md rule 4, issue 17): a drained MemberCluster,
// a FailoverService's pin and its mode. They are inputs like any other fact:
// read here, and applied in one named step of the decision, before the
// active group is chosen (decide.cpp calls apply_overrides), so that a
// status line or an Event can name the override that decided.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "switchyard/core/failover_service.h"
#include "switchyard/core/field_error.h"
#include "switchyard/core/json_fields.h"
#include "switchyard/core/time.h"

namespace switchyard::core {

// MemberCluster spec.drain, with who asked as Kubernetes records it: a
// controller never sees the user of an update, only metadata.managedFields,
// whose entry owning spec.drain names the field manager (kubectl's
// "kubectl-patch", the plugin's "kubectl-switchyard") and the time.
struct Drain {
  std::string reason;
  std::string manager;            // empty when no managedFields entry owns spec.drain
  std::optional<TimeMs> since;    // that entry's time
  bool operator==(const Drain&) const = default;
};

// The MemberCluster annotation `switchyard.io/undrain: now` (api.md is
// silent on it; issue 17: "an option returns it at once"): written with the
// removal of spec.drain (kubectl switchyard undrain --now), it makes that
// undrain return the cluster's backends without the failback delay, once.
// A plain undrain clears it, so it cannot skip the delay of a later one.
inline constexpr const char* kUndrainNowAnnotation = "switchyard.io/undrain";
inline constexpr const char* kUndrainNowValue = "now";

// How an undrain returns traffic (Engine::set_drain).
enum class Undrain { AfterFailbackDelay, Now };

// Undrain::Now when the MemberCluster object carries the annotation above
// with the value "now"; anything else (absent, another value) waits.
[[nodiscard]] Undrain undrain_of(const rapidjson::Value& member_cluster);

// Reads spec.mode and spec.pin of a FailoverService into `spec` (whose
// backing services are already read: the pin is resolved to one of them).
void read_overrides(json::FieldReader& spec_fields, FailoverSpec& spec, std::vector<FieldError>& errors);

// Reads a MemberCluster's spec.drain (nothing when absent). Errors name the
// field (`spec.drain.reason: ...`).
[[nodiscard]] Decoded<std::optional<Drain>> parse_drain(const rapidjson::Value& member_cluster);

// "drained by kubectl-switchyard at 2026-12-04T17:00:00Z: node pool upgrade"
[[nodiscard]] std::string describe_drain(const Drain& drain);

// True while `pin` is in force at `now` (no expiry, or not reached yet).
[[nodiscard]] inline bool pin_in_force(const Pin& pin, TimeMs now) { return !pin.until_ms || now < *pin.until_ms; }

}  // namespace switchyard::core
