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

[[nodiscard]] Decoded<Assignment> decode_assignment(std::string_view body);
[[nodiscard]] std::string encode_assignment(const Assignment& assignment);

}  // namespace switchyard::protocol
