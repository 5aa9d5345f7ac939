// JSON codecs for the agent <-> hub messages (schemas in docs/protocol/).
//
// Decoders take untrusted bytes: they never throw, report every problem at
// once with the field it concerns, reject trailing junk and invalid UTF-8, and
// ignore unknown fields (a newer peer may send more). Encoders produce compact
// JSON that the matching decoder accepts.
#pragma once

#include <string>
#include <string_view>

#include "switchyard/protocol/decoded.h"
#include "switchyard/protocol/messages.h"

namespace switchyard::protocol {

[[nodiscard]] Decoded<Report> decode_report(std::string_view body);
[[nodiscard]] std::string encode_report(const Report& report);

// The 200 answer to a report: {"outcome":"Applied"} or {"outcome":"Duplicate"}.
// An unknown outcome, a missing one, or a body that is not JSON (an older
// hub's `{}`, a proxy's page) decodes as Applied: the status code already
// said the report was taken.
[[nodiscard]] std::string encode_report_answer(ReportOutcome outcome);
[[nodiscard]] ReportOutcome decode_report_answer(std::string_view body);

[[nodiscard]] Decoded<Assignment> decode_assignment(std::string_view body);
[[nodiscard]] std::string encode_assignment(const Assignment& assignment);

// One watch entry's "checks" object, compact: for an encoder that
// assembles assignments from pieces (the hub's).
[[nodiscard]] std::string encode_data_plane_checks(const DataPlaneChecks& checks);

}  // namespace switchyard::protocol
