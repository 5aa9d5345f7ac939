// Time in the core: milliseconds since the Unix epoch, always passed in by the
// caller (the hub's clock, a test's fake clock). Nothing in core/ reads a clock.
#pragma once

#include <cstdint>
#include <string>

namespace switchyard::core {

using TimeMs = std::int64_t;

inline constexpr TimeMs seconds_ms(std::int64_t seconds) { return seconds * 1000; }

// RFC 3339 in UTC with second precision ("2026-11-24T12:01:07Z"), as
// Kubernetes writes metav1.Time.
[[nodiscard]] std::string format_rfc3339(TimeMs time);
// Parses what format_rfc3339 writes (fractional seconds are accepted and
// dropped). Returns false when `text` is not such a time.
[[nodiscard]] bool parse_rfc3339(const std::string& text, TimeMs& out);

}  // namespace switchyard::core
