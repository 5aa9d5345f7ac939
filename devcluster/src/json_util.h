// RapidJSON helpers the server uses on top of the objects library's:
// snapshots shared between threads, and a few member setters.
#pragma once

#include <rapidjson/document.h>

#include <memory>
#include <string>
#include <string_view>

#include "switchyard/devcluster/objects/json_document.h"

namespace switchyard::devcluster {

// Stored objects are immutable snapshots shared between the store, the event
// ring and watch streams; a write makes a new one.
using ObjectPtr = std::shared_ptr<const rapidjson::Document>;

using objects::remove_member;
using objects::set_member;
using objects::string_member;
using objects::to_json;

[[nodiscard]] inline const rapidjson::Value* member(const rapidjson::Value& object, std::string_view key) {
  return objects::find_member(object, key);
}
[[nodiscard]] inline rapidjson::Value* member(rapidjson::Value& object, std::string_view key) {
  return objects::find_member(object, key);
}

// Whether YAML text is free of control characters and valid UTF-8, as YAML
// requires; false with go-yaml's message in `error` otherwise. parse_body
// checks it first because yaml-cpp can loop forever on such input.
[[nodiscard]] bool yaml_safe_for_parser(std::string_view text, std::string& error);

// Parses one JSON (or YAML, for `yaml`) body; false with `error` set on failure.
[[nodiscard]] bool parse_body(std::string_view text, bool yaml, rapidjson::Document& out, std::string& error);

void set_string(rapidjson::Value& object, std::string_view key, std::string_view text,
                rapidjson::Document::AllocatorType& allocator);

// `object[key]`, made an empty object first when missing or not an object.
rapidjson::Value& object_member(rapidjson::Value& object, std::string_view key,
                                rapidjson::Document::AllocatorType& allocator);

[[nodiscard]] std::unique_ptr<rapidjson::Document> copy_document(const rapidjson::Value& value);

}  // namespace switchyard::devcluster
