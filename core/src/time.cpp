#include "switchyard/core/time.h"

#include <cstdio>
#include <ctime>

namespace switchyard::core {

std::string format_rfc3339(TimeMs time) {
  const std::time_t seconds = static_cast<std::time_t>(time / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02dZ", utc.tm_year + 1900, utc.tm_mon + 1,
                utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
  return buffer;
}

bool parse_rfc3339(const std::string& text, TimeMs& out) {
  std::tm utc{};
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &utc.tm_year, &utc.tm_mon, &utc.tm_mday,
                  &utc.tm_hour, &utc.tm_min, &utc.tm_sec, &consumed) != 6) {
    return false;
  }
  std::size_t rest = static_cast<std::size_t>(consumed);
  if (rest < text.size() && text[rest] == '.') {
    ++rest;
    while (rest < text.size() && text[rest] >= '0' && text[rest] <= '9') ++rest;
  }
  if (rest + 1 != text.size() || text[rest] != 'Z') return false;
  utc.tm_year -= 1900;
  utc.tm_mon -= 1;
  const std::tm asked = utc;
  const std::time_t seconds = timegm(&utc);
  // timegm normalizes month 13 or February 30 into another date: a time
  // that does not come back as written does not exist.
  std::tm back{};
  gmtime_r(&seconds, &back);
  if (back.tm_year != asked.tm_year || back.tm_mon != asked.tm_mon || back.tm_mday != asked.tm_mday ||
      back.tm_hour != asked.tm_hour || back.tm_min != asked.tm_min || back.tm_sec != asked.tm_sec) {
    return false;
  }
  out = static_cast<TimeMs>(seconds) * 1000;
  return true;
}

}  // namespace switchyard::core
