#include "switchyard/telemetry/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace switchyard::log {
namespace {

std::atomic<Level> g_minimum{Level::Info};
std::atomic<Format> g_format{Format::Text};
std::mutex g_output_mutex;  // guards stderr so that lines never interleave

const char* level_name(Level level) {
  switch (level) {
    case Level::Debug: return "debug";
    case Level::Info: return "info";
    case Level::Warn: return "warn";
    case Level::Error: return "error";
  }
  return "info";
}

std::string now_rfc3339_millis() {
  const auto now = std::chrono::system_clock::now();
  const auto seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[64];  // room for any int the compiler can imagine in each field
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(millis));
  return buffer;
}

// Text values with spaces, quotes or '=' are quoted so a line stays parseable.
void append_text_value(std::string& line, std::string_view value) {
  const bool needs_quotes = value.empty() || value.find_first_of(" \"=\t\n") != std::string_view::npos;
  if (!needs_quotes) {
    line += value;
    return;
  }
  line += '"';
  for (char c : value) {
    if (c == '"' || c == '\\') line += '\\';
    if (c == '\n') {
      line += "\\n";
      continue;
    }
    line += c;
  }
  line += '"';
}

}  // namespace

std::optional<Level> parse_level(std::string_view text) {
  if (text == "debug") return Level::Debug;
  if (text == "info") return Level::Info;
  if (text == "warn" || text == "warning") return Level::Warn;
  if (text == "error") return Level::Error;
  return std::nullopt;
}

std::optional<Format> parse_format(std::string_view text) {
  if (text == "text") return Format::Text;
  if (text == "json") return Format::Json;
  return std::nullopt;
}

void configure(Level minimum, Format format) {
  g_minimum = minimum;
  g_format = format;
}

std::string format_line(Format format, Level level, std::string_view timestamp,
                        std::string_view message, const Fields& fields) {
  if (format == Format::Json) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> out(buffer);
    out.StartObject();
    out.Key("ts");
    out.String(timestamp.data(), static_cast<rapidjson::SizeType>(timestamp.size()));
    out.Key("level");
    out.String(level_name(level));
    out.Key("msg");
    out.String(message.data(), static_cast<rapidjson::SizeType>(message.size()));
    for (const auto& [key, value] : fields) {
      out.Key(key.c_str(), static_cast<rapidjson::SizeType>(key.size()));
      out.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
    }
    out.EndObject();
    return {buffer.GetString(), buffer.GetSize()};
  }
  std::string line;
  line += timestamp;
  line += ' ';
  line += level_name(level);
  line += ' ';
  line += message;
  for (const auto& [key, value] : fields) {
    line += ' ';
    line += key;
    line += '=';
    append_text_value(line, value);
  }
  return line;
}

void write(Level level, std::string_view message, const Fields& fields) {
  if (level < g_minimum.load(std::memory_order_relaxed)) return;
  auto line = format_line(g_format.load(std::memory_order_relaxed), level, now_rfc3339_millis(),
                          message, fields);
  line += '\n';
  std::lock_guard lock(g_output_mutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace switchyard::log
