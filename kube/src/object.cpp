#include "switchyard/kube/object.h"

#include <algorithm>

#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "json_util.h"

namespace switchyard::kube {

Result<ObjectPtr> Object::parse(std::string_view json_text, std::string_view what) {
  rapidjson::Document document;
  if (auto error = json::parse(json_text, document, what); !error.message.empty()) return error;
  if (!document.IsObject()) {
    return ApiError{0, "BadResponse", std::string(what) + ": expected a JSON object", {}, {}};
  }
  return adopt(std::move(document));
}

ObjectPtr Object::adopt(rapidjson::Document&& document) {
  return std::make_shared<const Object>(document, document.GetAllocator().Size());
}

Object::Object(const rapidjson::Value& value, std::size_t bytes)
    : pool_(std::make_unique<rapidjson::MemoryPoolAllocator<>>(std::max<std::size_t>(bytes, 256))),
      document_(pool_.get()) {
  document_.CopyFrom(value, *pool_);
}

const rapidjson::Value* Object::member(std::string_view key) const {
  return json::find(document_, key);
}

const rapidjson::Value* Object::metadata_member(std::string_view key) const {
  const auto* metadata = member("metadata");
  return metadata != nullptr ? json::find(*metadata, key) : nullptr;
}

std::string_view Object::metadata_string(std::string_view key) const {
  return json::string_or_empty(metadata_member(key));
}

std::string_view Object::name() const { return metadata_string("name"); }
std::string_view Object::namespace_name() const { return metadata_string("namespace"); }
std::string_view Object::resource_version() const { return metadata_string("resourceVersion"); }
std::string_view Object::uid() const { return metadata_string("uid"); }
std::string_view Object::creation_timestamp() const { return metadata_string("creationTimestamp"); }
std::string_view Object::kind() const { return json::string_or_empty(member("kind")); }
std::string_view Object::api_version() const { return json::string_or_empty(member("apiVersion")); }

std::int64_t Object::generation() const {
  const auto* value = metadata_member("generation");
  return value != nullptr && value->IsInt64() ? value->GetInt64() : 0;
}

bool Object::being_deleted() const {
  const auto* value = metadata_member("deletionTimestamp");
  return value != nullptr && value->IsString();
}

const rapidjson::Value* Object::labels() const {
  const auto* value = metadata_member("labels");
  return value != nullptr && value->IsObject() ? value : nullptr;
}

const rapidjson::Value* Object::annotations() const {
  const auto* value = metadata_member("annotations");
  return value != nullptr && value->IsObject() ? value : nullptr;
}

std::string_view Object::label(std::string_view key) const {
  const auto* map = labels();
  return map != nullptr ? json::string_or_empty(json::find(*map, key)) : std::string_view{};
}

std::string_view Object::annotation(std::string_view key) const {
  const auto* map = annotations();
  return map != nullptr ? json::string_or_empty(json::find(*map, key)) : std::string_view{};
}

std::string Object::to_json() const { return json::serialize(document_); }

}  // namespace switchyard::kube
