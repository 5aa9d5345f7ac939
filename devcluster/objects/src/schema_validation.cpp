#include "switchyard/devcluster/objects/schema_validation.h"

#include <cmath>
#include <regex>
#include <string>
#include <string_view>
#include <unordered_set>

#include "switchyard/devcluster/objects/json_document.h"

namespace switchyard::devcluster::objects {
namespace {

bool is_integer_value(const rapidjson::Value& value) {
  if (value.IsInt64() || value.IsUint64()) return true;
  return value.IsDouble() && std::isfinite(value.GetDouble()) &&
         value.GetDouble() == std::trunc(value.GetDouble());
}

bool matches_type(const SchemaNode& schema, const rapidjson::Value& value) {
  if (schema.int_or_string) return value.IsString() || is_integer_value(value);
  switch (schema.type) {
    case SchemaType::kAny: return true;
    case SchemaType::kObject: return value.IsObject();
    case SchemaType::kArray: return value.IsArray();
    case SchemaType::kString: return value.IsString();
    case SchemaType::kInteger: return is_integer_value(value);
    case SchemaType::kNumber: return value.IsNumber();
    case SchemaType::kBoolean: return value.IsBool();
  }
  return false;
}

// RFC 3339 as the OpenAPI date-time format accepts it.
const std::regex& date_time_format() {
  static const std::regex format(
      R"(^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$)");
  return format;
}
const std::regex& date_format() {
  static const std::regex format(R"(^\d{4}-\d{2}-\d{2}$)");
  return format;
}

std::string joined_supported_values(const rapidjson::Value& values) {
  std::string joined;
  for (const auto& value : values.GetArray()) {
    if (!joined.empty()) joined += ", ";
    // Go quotes fmt.Sprint of each value.
    joined += value.IsString() ? go_quote({value.GetString(), value.GetStringLength()})
                               : go_quote(value.IsNull() ? "<nil>" : go_value(value));
  }
  return joined;
}

class Validator {
 public:
  explicit Validator(std::vector<FieldCause>& causes) : causes_(causes) {}

  void validate(const SchemaNode& schema, const rapidjson::Value& value, const std::string& path) {
    if (value.IsNull()) {
      if (schema.nullable || (schema.type == SchemaType::kAny && !schema.int_or_string)) return;
      type_error(schema, value, path);
      return;
    }
    if (!matches_type(schema, value)) {
      type_error(schema, value, path);
      return;
    }
    check_enum(schema, value, path);
    if (value.IsNumber()) check_number(schema, value, path);
    if (value.IsString()) check_string(schema, value, path);
    if (value.IsArray()) check_array(schema, value, path);
    if (value.IsObject()) check_object(schema, value, path);
  }

 private:
  void add(CauseReason reason, const std::string& path, std::string message) {
    causes_.push_back({reason, path, std::move(message)});
  }
  // "Invalid value: <v>: <path> in body <detail>"
  void invalid(const std::string& path, const rapidjson::Value& value, const std::string& detail) {
    add(CauseReason::kInvalid, path, "Invalid value: " + go_value(value) + ": " + path + " in body " + detail);
  }

  void type_error(const SchemaNode& schema, const rapidjson::Value& value, const std::string& path) {
    std::string actual(json_type_name(value));
    std::string expected = schema.int_or_string ? std::string("integer,string") : schema.type_name;
    add(CauseReason::kTypeInvalid, path,
        "Invalid value: " + go_quote(actual) + ": " + path + " in body must be of type " +
            expected + ": " + go_quote(actual));
  }

  void check_enum(const SchemaNode& schema, const rapidjson::Value& value, const std::string& path) {
    if (!schema.enum_values.IsArray() || schema.enum_values.Empty()) return;
    for (const auto& allowed : schema.enum_values.GetArray())
      if (allowed == value) return;
    add(CauseReason::kNotSupported, path,
        "Unsupported value: " + go_value(value) + ": supported values: " +
            joined_supported_values(schema.enum_values));
  }

  void check_number(const SchemaNode& schema, const rapidjson::Value& value, const std::string& path) {
    const double number = value.GetDouble();
    if (schema.multiple_of && *schema.multiple_of > 0) {
      double quotient = number / *schema.multiple_of;
      if (quotient != std::trunc(quotient))
        invalid(path, value, "should be a multiple of " + go_float(*schema.multiple_of));
    }
    if (schema.maximum) {
      bool over = schema.exclusive_maximum ? number >= *schema.maximum : number > *schema.maximum;
      if (over)
        invalid(path, value,
                std::string(schema.exclusive_maximum ? "should be less than "
                                                     : "should be less than or equal to ") +
                    go_float(*schema.maximum));
    }
    if (schema.minimum) {
      bool under = schema.exclusive_minimum ? number <= *schema.minimum : number < *schema.minimum;
      if (under)
        invalid(path, value,
                std::string(schema.exclusive_minimum ? "should be greater than "
                                                     : "should be greater than or equal to ") +
                    go_float(*schema.minimum));
    }
  }

  static std::size_t rune_count(std::string_view text) {
    std::size_t count = 0;
    for (unsigned char c : text)
      if ((c & 0xC0) != 0x80) ++count;
    return count;
  }

  void check_string(const SchemaNode& schema, const rapidjson::Value& value, const std::string& path) {
    std::string_view text(value.GetString(), value.GetStringLength());
    const std::size_t length = rune_count(text);
    if (schema.max_length && length > *schema.max_length) {
      add(CauseReason::kTooLong, path,
          "Too long: may not be more than " + std::to_string(*schema.max_length) +
              (*schema.max_length == 1 ? " byte" : " bytes"));
    }
    if (schema.min_length && length < *schema.min_length)
      invalid(path, value, "should be at least " + std::to_string(*schema.min_length) + " chars long");
    if (schema.pattern) {
      if (text.size() > kMaxPatternInput) {
        add(CauseReason::kInvalid, path,
            "Invalid value: string of " + std::to_string(text.size()) + " bytes: " + path +
                " in body is too long to match against '" + schema.pattern_text + "'");
      } else if (!std::regex_search(text.begin(), text.end(), *schema.pattern)) {
        invalid(path, value, "should match '" + schema.pattern_text + "'");
      }
    }
    const std::regex* format = schema.format == "date-time" ? &date_time_format()
                               : schema.format == "date"    ? &date_format()
                                                            : nullptr;
    if (format != nullptr && !std::regex_match(text.begin(), text.end(), *format))
      invalid(path, value, "must be of type " + schema.format + ": " + go_quote(text));
  }

  void check_array(const SchemaNode& schema, const rapidjson::Value& value, const std::string& path) {
    const std::size_t size = value.Size();
    rapidjson::Value size_value(static_cast<uint64_t>(size));
    if (schema.max_items && size > *schema.max_items)
      add(CauseReason::kTooMany, path,
          "Too many: " + std::to_string(size) + ": must have at most " +
              std::to_string(*schema.max_items) + " items");
    if (schema.min_items && size < *schema.min_items)
      invalid(path, size_value,
              "should have at least " + std::to_string(*schema.min_items) + " items");
    if (schema.unique_items) {
      std::unordered_set<std::string> seen;
      for (const auto& item : value.GetArray())
        if (!seen.insert(canonical_json(item)).second)
          add(CauseReason::kDuplicate, path, "Duplicate value: " + go_value(item));
    }
    if (schema.items) {
      for (std::size_t i = 0; i < size; ++i)
        validate(*schema.items, value[static_cast<rapidjson::SizeType>(i)], index_path(path, i));
    }
    if (schema.list_type == "set") check_set(value, path);
    if (schema.list_type == "map" && !schema.list_map_keys.empty()) check_map_list(schema, value, path);
  }

  void check_set(const rapidjson::Value& value, const std::string& path) {
    std::unordered_set<std::string> seen;
    for (rapidjson::SizeType i = 0; i < value.Size(); ++i)
      if (!seen.insert(canonical_json(value[i])).second)
        add(CauseReason::kDuplicate, index_path(path, i), "Duplicate value: " + go_value(value[i]));
  }

  // Two entries with the same values for all list-map-keys are duplicates;
  // absent keys compare equal to each other.
  void check_map_list(const SchemaNode& schema, const rapidjson::Value& value, const std::string& path) {
    std::unordered_set<std::string> seen;
    for (rapidjson::SizeType i = 0; i < value.Size(); ++i) {
      if (!value[i].IsObject()) continue;
      rapidjson::Document keys(rapidjson::kObjectType);
      for (const std::string& key : schema.list_map_keys) {
        if (const rapidjson::Value* key_value = find_member(value[i], key)) {
          rapidjson::Value copy(*key_value, keys.GetAllocator());
          set_member(keys, key, std::move(copy), keys.GetAllocator());
        }
      }
      if (!seen.insert(canonical_json(keys)).second)
        add(CauseReason::kDuplicate, index_path(path, i), "Duplicate value: " + go_value(keys));
    }
  }

  void check_object(const SchemaNode& schema, const rapidjson::Value& value, const std::string& path) {
    const std::size_t count = value.MemberCount();
    if (schema.max_properties && count > *schema.max_properties)
      invalid(path, rapidjson::Value(static_cast<uint64_t>(count)),
              "should have at most " + std::to_string(*schema.max_properties) + " properties");
    if (schema.min_properties && count < *schema.min_properties)
      invalid(path, rapidjson::Value(static_cast<uint64_t>(count)),
              "should have at least " + std::to_string(*schema.min_properties) + " properties");
    for (const std::string& name : schema.required)
      if (find_member(value, name) == nullptr)
        add(CauseReason::kRequired, child_path(path, name), "Required value");
    for (const auto& member : value.GetObject()) {
      std::string_view name(member.name.GetString(), member.name.GetStringLength());
      if (const SchemaNode* property = schema.property(name)) {
        validate(*property, member.value, child_path(path, name));
      } else if (schema.additional_properties) {
        validate(*schema.additional_properties, member.value, key_path(path, name));
      }
    }
  }

  std::vector<FieldCause>& causes_;
};

}  // namespace

std::vector<FieldCause> validate_against_schema(const SchemaNode& schema,
                                                const rapidjson::Value& object) {
  std::vector<FieldCause> causes;
  Validator(causes).validate(schema, object, "");
  return causes;
}

}  // namespace switchyard::devcluster::objects
