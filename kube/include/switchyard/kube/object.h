// One Kubernetes API object as JSON, parsed once and immutable once shared
// through ObjectPtr (safe to read from any thread).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "switchyard/kube/result.h"

namespace switchyard::kube {

class Object;
using ObjectPtr = std::shared_ptr<const Object>;

class Object {
 public:
  // Parses one JSON object (iterative, UTF-8 validated, trailing junk
  // rejected). The error names `what` (e.g. "GET /api/v1/...: body").
  static Result<ObjectPtr> parse(std::string_view json_text, std::string_view what = "object");
  // Takes ownership of an already parsed document that must be an object.
  static ObjectPtr adopt(rapidjson::Document&& document);

  explicit Object(rapidjson::Document&& document);

  // metadata.* and top-level fields; empty / 0 / nullptr when absent.
  std::string_view name() const;
  std::string_view namespace_name() const;
  std::string_view resource_version() const;
  std::string_view uid() const;
  std::string_view kind() const;
  std::string_view api_version() const;
  std::string_view creation_timestamp() const;
  std::int64_t generation() const;
  bool being_deleted() const;  // metadata.deletionTimestamp set
  const rapidjson::Value* labels() const;       // metadata.labels (object) or nullptr
  const rapidjson::Value* annotations() const;  // metadata.annotations (object) or nullptr
  std::string_view label(std::string_view key) const;       // "" when absent
  std::string_view annotation(std::string_view key) const;  // "" when absent
  // Top-level member (e.g. "spec", "status") or nullptr.
  const rapidjson::Value* member(std::string_view key) const;

  const rapidjson::Value& json() const { return document_; }
  std::string to_json() const;

 private:
  const rapidjson::Value* metadata_member(std::string_view key) const;
  std::string_view metadata_string(std::string_view key) const;

  rapidjson::Document document_;
};

}  // namespace switchyard::kube
