#include <catch2/catch.hpp>

#include "switchyard/telemetry/log.h"

using namespace switchyard;

TEST_CASE("text log lines carry level, message and quoted fields", "[telemetry]") {
  const auto line = log::format_line(log::Format::Text, log::Level::Warn, "2026-11-24T12:00:00.000Z",
                                     "report refused",
                                     {{"cluster", "east"}, {"error", "seq: must be \"1\""}});
  CHECK(line == R"(2026-11-24T12:00:00.000Z warn report refused cluster=east error="seq: must be \"1\"")");
}

TEST_CASE("json log lines are one object with escaped values", "[telemetry]") {
  const auto line = log::format_line(log::Format::Json, log::Level::Error, "t", "bad \"body\"",
                                     {{"cluster", "west"}});
  CHECK(line == R"({"ts":"t","level":"error","msg":"bad \"body\"","cluster":"west"})");
}

TEST_CASE("log levels and formats parse from flag values", "[telemetry]") {
  CHECK(log::parse_level("debug") == log::Level::Debug);
  CHECK(log::parse_level("warning") == log::Level::Warn);
  CHECK_FALSE(log::parse_level("loud").has_value());
  CHECK(log::parse_format("json") == log::Format::Json);
  CHECK_FALSE(log::parse_format("xml").has_value());
}
