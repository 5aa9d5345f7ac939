#include "json_util.h"

#include "switchyard/devcluster/objects/yaml_json.h"

namespace switchyard::devcluster {

bool parse_body(std::string_view text, bool yaml, rapidjson::Document& out, std::string& error) {
  std::optional<std::string> failure = yaml ? objects::yaml_to_json(text, out) : objects::parse_json(text, out);
  if (!failure) return true;
  error = *failure;
  return false;
}

void set_string(rapidjson::Value& object, std::string_view key, std::string_view text,
                rapidjson::Document::AllocatorType& allocator) {
  set_member(object, key, rapidjson::Value(text.data(), static_cast<rapidjson::SizeType>(text.size()), allocator),
             allocator);
}

rapidjson::Value& object_member(rapidjson::Value& object, std::string_view key,
                                rapidjson::Document::AllocatorType& allocator) {
  rapidjson::Value* existing = member(object, key);
  if (existing != nullptr && existing->IsObject()) return *existing;
  set_member(object, key, rapidjson::Value(rapidjson::kObjectType), allocator);
  return *member(object, key);
}

std::unique_ptr<rapidjson::Document> copy_document(const rapidjson::Value& value) {
  auto copy = std::make_unique<rapidjson::Document>();
  copy->CopyFrom(value, copy->GetAllocator());
  return copy;
}

}  // namespace switchyard::devcluster
