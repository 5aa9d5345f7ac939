// Test helpers: parse JSON text (failing the test on bad input) and compare
// documents structurally.
#pragma once

#include <string>
#include <string_view>

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include "switchyard/devcluster/objects/json_document.h"

namespace objects_test {

inline rapidjson::Document json(std::string_view text) {
  rapidjson::Document document;
  auto error = switchyard::devcluster::objects::parse_json(text, document);
  INFO("parsing " << text);
  REQUIRE_FALSE(error.has_value());
  return document;
}

// Structural equality printed as JSON on failure.
#define REQUIRE_JSON_EQ(actual, expected_text)                                          \
  do {                                                                                  \
    rapidjson::Document expected_doc = objects_test::json(expected_text);               \
    INFO("actual:   " << switchyard::devcluster::objects::to_json(actual));             \
    INFO("expected: " << switchyard::devcluster::objects::to_json(expected_doc));       \
    REQUIRE((actual) == expected_doc);                                                  \
  } while (false)

}  // namespace objects_test
