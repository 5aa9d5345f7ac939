#include "json_util.h"

#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace switchyard::kube::json {

ApiError parse(std::string_view text, rapidjson::Document& out, std::string_view what) {
  constexpr unsigned kFlags = rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;
  out.Parse<kFlags>(text.data(), text.size());
  if (!out.HasParseError()) return {};
  return ApiError{0, "BadResponse",
                  std::string(what) + ": invalid JSON at offset " +
                      std::to_string(out.GetErrorOffset()) + ": " +
                      rapidjson::GetParseError_En(out.GetParseError()),
                  {}, {}};
}

const rapidjson::Value* find(const rapidjson::Value& object, std::string_view key) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(
      rapidjson::Value(rapidjson::StringRef(key.data(), static_cast<rapidjson::SizeType>(key.size()))));
  return it == object.MemberEnd() ? nullptr : &it->value;
}

std::string_view string_or_empty(const rapidjson::Value* value) {
  if (value == nullptr || !value->IsString()) return {};
  return {value->GetString(), value->GetStringLength()};
}

std::string string_member(const rapidjson::Value& object, std::string_view key) {
  return std::string(string_or_empty(find(object, key)));
}

std::string serialize(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return {buffer.GetString(), buffer.GetSize()};
}

std::string quote(std::string_view text) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  return {buffer.GetString(), buffer.GetSize()};
}

ApiError status_error_from(const rapidjson::Value& status, int fallback_code) {
  ApiError error;
  const auto* code = find(status, "code");
  error.code = code != nullptr && code->IsInt() && code->GetInt() > 0 ? code->GetInt() : fallback_code;
  error.reason = string_member(status, "reason");
  error.message = string_member(status, "message");
  if (const auto* details = find(status, "details"); details != nullptr) {
    if (const auto* causes = find(*details, "causes"); causes != nullptr && causes->IsArray()) {
      for (const auto& cause : causes->GetArray()) {
        std::string field = string_member(cause, "field");
        std::string message = string_member(cause, "message");
        error.causes.push_back(field.empty() ? message : field + ": " + message);
      }
    }
  }
  return error;
}

ApiError status_error(int code, std::string_view body) {
  rapidjson::Document document;
  if (parse(body, document, "Status").message.empty() && document.IsObject() &&
      string_member(document, "kind") == "Status") {
    auto error = status_error_from(document, code);
    error.code = code;  // the HTTP status is authoritative
    if (error.message.empty()) error.message = "(no message)";
    return error;
  }
  // Not a Status (a proxy, a load balancer, an older server): keep the text.
  ApiError error;
  error.code = code;
  std::string text(body.substr(0, 512));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  error.message = text.empty() ? "HTTP " + std::to_string(code) : text;
  return error;
}

}  // namespace switchyard::kube::json
