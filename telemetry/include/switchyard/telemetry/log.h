// Structured logging to stderr, as text or one JSON object per line
// (--log-format text|json, --log-level debug|info|warn|error).
//
// Thread-safe: any thread may log; lines never interleave. Configure once at
// start-up, before other threads run.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace switchyard::log {

enum class Level { Debug, Info, Warn, Error };
enum class Format { Text, Json };

[[nodiscard]] std::optional<Level> parse_level(std::string_view text);
[[nodiscard]] std::optional<Format> parse_format(std::string_view text);

void configure(Level minimum, Format format);

using Fields = std::vector<std::pair<std::string, std::string>>;

// `message` says what happened; `fields` name the objects it concerns
// (cluster, failoverservice, field, error), so that logs can be filtered.
void write(Level level, std::string_view message, const Fields& fields = {});

inline void debug(std::string_view message, const Fields& fields = {}) { write(Level::Debug, message, fields); }
inline void info(std::string_view message, const Fields& fields = {}) { write(Level::Info, message, fields); }
inline void warn(std::string_view message, const Fields& fields = {}) { write(Level::Warn, message, fields); }
inline void error(std::string_view message, const Fields& fields = {}) { write(Level::Error, message, fields); }

// The line `write` would print, without printing it (for tests).
[[nodiscard]] std::string format_line(Format format, Level level, std::string_view timestamp,
                                      std::string_view message, const Fields& fields);

}  // namespace switchyard::log
