// A JSON document from text, for the plugin's tests; the test fails on a parse error.
#pragma once

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

namespace switchyard::plugin::testing {

inline rapidjson::Document json(const char* text) {
  rapidjson::Document d;
  d.Parse(text);
  REQUIRE_FALSE(d.HasParseError());
  return d;
}

}  // namespace switchyard::plugin::testing
