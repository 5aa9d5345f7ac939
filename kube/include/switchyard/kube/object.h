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
  // An already parsed document that must be an object, copied into memory
  // of its own size (the document's pool is dropped).
  static ObjectPtr adopt(rapidjson::Document&& document);

  // A copy of `value` in a pool of `bytes` (at least), its whole size: an
  // informer keeps thousands of objects for hours, and RapidJSON's default
  // pool of 64 KiB per document made each cost that much once its pages
  // had been touched.
  Object(const rapidjson::Value& value, std::size_t bytes);

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

  std::unique_ptr<rapidjson::MemoryPoolAllocator<>> pool_;  // before document_, which uses it
  rapidjson::Document document_;
};

}  // namespace switchyard::kube
