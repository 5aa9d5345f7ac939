#include "json_util.h"

#include <malloc.h>

#include "switchyard/devcluster/objects/yaml_json.h"

namespace switchyard::devcluster {

bool yaml_safe_for_parser(std::string_view text, std::string& error) {
  // YAML allows no C0 control characters but tab, LF and CR, and must be
  // valid UTF-8 (go-yaml refuses both the same way); yaml-cpp instead can
  // spin forever on some (a NUL or a stray 0xEC after a flow indicator).
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto byte = static_cast<unsigned char>(text[i]);
    if ((byte < 0x20 && byte != '\t' && byte != '\n' && byte != '\r') || byte == 0x7f) {
      error = "yaml: control characters are not allowed";
      return false;
    }
    if (byte < 0x80) continue;
    std::size_t extra = byte >= 0xf0 && byte <= 0xf4 ? 3 : byte >= 0xe0 ? 2 : byte >= 0xc2 && byte < 0xe0 ? 1 : 0;
    if (byte > 0xf4 || extra == 0) {
      error = "yaml: invalid leading UTF-8 octet";
      return false;
    }
    for (std::size_t k = 1; k <= extra; ++k) {
      if (i + k >= text.size() || (static_cast<unsigned char>(text[i + k]) & 0xc0) != 0x80) {
        error = "yaml: invalid trailing UTF-8 octet";
        return false;
      }
    }
    i += extra;
  }
  return true;
}

bool parse_body(std::string_view text, bool yaml, rapidjson::Document& out, std::string& error) {
  if (yaml && !yaml_safe_for_parser(text, error)) return false;
  std::optional<std::string> failure = yaml ? objects::yaml_to_json(text, out) : objects::parse_json(text, out);
  // yaml-cpp's nodes cost about 500 bytes per value (up to ~110 MB for the
  // 200,000 values a body may hold), freed in pieces glibc keeps: hand the
  // free pages back after a large YAML body so a burst of them does not
  // leave the server that much bigger for good.
  constexpr std::size_t kTrimAfterYamlBytes = 64 * 1024;
  if (yaml && text.size() >= kTrimAfterYamlBytes) malloc_trim(0);
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
