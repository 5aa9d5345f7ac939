// The coordination.k8s.io/v1 Lease as the leader elector reads and writes it:
// the JSON edge between Lease objects and LeaseRecord.
#pragma once

#include <string>
#include <string_view>

#include "leader_state.h"
#include "switchyard/kube/object.h"

namespace switchyard::kube {

// spec.holderIdentity, leaseDurationSeconds, acquireTime, renewTime,
// leaseTransitions; absent or mistyped fields read as empty / 0.
[[nodiscard]] LeaseRecord lease_record_from(const Object& lease);

// A new Lease object holding `record`.
[[nodiscard]] std::string new_lease_json(std::string_view ns, std::string_view name, const LeaseRecord& record);

// `current` with its spec's election fields replaced by `record`; metadata
// (resourceVersion included, so a stale write fails with 409) and any other
// spec fields are kept.
[[nodiscard]] std::string updated_lease_json(const Object& current, const LeaseRecord& record);

}  // namespace switchyard::kube
