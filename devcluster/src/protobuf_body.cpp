#include "protobuf_body.h"

#include <openssl/evp.h>

#include <cstdint>
#include <optional>

#include "base64.h"
#include "json_util.h"
#include "protobuf_schema.h"

namespace switchyard::devcluster {

namespace {

using Allocator = rapidjson::Document::AllocatorType;

// One protobuf message: a sequence of (field number, wire type, value).
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  [[nodiscard]] bool done() const { return at_ >= data_.size(); }
  [[nodiscard]] bool failed() const { return failed_; }

  // Reads the next field; for length-delimited fields `bytes` is set, for
  // varints `number`. Other wire types are skipped.
  bool next(std::uint32_t& field, std::uint32_t& wire, std::string_view& bytes, std::uint64_t& number) {
    std::uint64_t key = 0;
    if (!varint(key)) return false;
    field = static_cast<std::uint32_t>(key >> 3);
    wire = static_cast<std::uint32_t>(key & 7);
    switch (wire) {
      case 0:
        return varint(number);
      case 1:
        return skip(8);
      case 2: {
        std::uint64_t length = 0;
        if (!varint(length) || length > data_.size() - at_) return fail();
        bytes = data_.substr(at_, length);
        at_ += length;
        return true;
      }
      case 5:
        return skip(4);
      default:
        return fail();
    }
  }

 private:
  bool varint(std::uint64_t& value) {
    value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (at_ >= data_.size()) return fail();
      auto byte = static_cast<unsigned char>(data_[at_++]);
      value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return true;
    }
    return fail();
  }
  bool skip(std::size_t n) {
    if (n > data_.size() - at_) return fail();
    at_ += n;
    return true;
  }
  bool fail() {
    failed_ = true;
    return false;
  }

  std::string_view data_;
  std::size_t at_ = 0;
  bool failed_ = false;
};

rapidjson::Value text(std::string_view value, Allocator& allocator) {
  return rapidjson::Value(value.data(), static_cast<rapidjson::SizeType>(value.size()), allocator);
}

enum class Outcome { kOk, kMalformed, kUnsupported };

// Decodes messages by the tables of protobuf_schema.h into the JSON the rest
// of the server works on, with the API server's JSON conventions: zero
// scalars dropped unless the Go field is a pointer, server-set fields
// ignored. A field the tables do not know is an error only when it carries
// a value: kubectl sends every non-pointer field, zero or not.
class Decoder {
 public:
  explicit Decoder(Allocator& allocator) : allocator_(allocator) {}

  Outcome message(const protobuf::MessageType& type, std::string_view data, rapidjson::Value& out,
                  const std::string& path) {
    Reader reader(data);
    std::uint32_t number = 0, wire = 0;
    std::string_view bytes;
    std::uint64_t varint = 0;
    while (!reader.done()) {
      bytes = {};
      varint = 0;
      if (!reader.next(number, wire, bytes, varint)) return malformed(path, type);
      const protobuf::Field* field = find(type, number);
      if (field == nullptr) {
        if ((wire == 2 && bytes.empty()) || (wire == 0 && varint == 0) || wire == 1 || wire == 5) continue;
        error = "protobuf field " + std::to_string(number) + " of " + where(path, type) +
                " is not decoded by devcluster; send application/json";
        return Outcome::kUnsupported;
      }
      const auto outcome = value(*field, wire, bytes, varint, out, path);
      if (outcome != Outcome::kOk) return outcome;
    }
    return Outcome::kOk;
  }

  std::string error;

 private:
  static const protobuf::Field* find(const protobuf::MessageType& type, std::uint32_t number) {
    for (const auto& field : type.fields) {
      if (field.number == number) return &field;
    }
    return nullptr;
  }
  static std::string where(const std::string& path, const protobuf::MessageType& type) {
    return (path.empty() ? std::string("the object") : path) + " (" + std::string(type.name) + ")";
  }
  Outcome malformed(const std::string& path, const protobuf::MessageType& type) {
    error = "malformed protobuf in " + where(path, type);
    return Outcome::kMalformed;
  }
  static std::string child(const std::string& path, std::string_view json) {
    if (json.empty()) return path;
    return path.empty() ? std::string(json) : path + "." + std::string(json);
  }

  // `out[json]`, created as `kind` when missing.
  rapidjson::Value& slot(rapidjson::Value& out, std::string_view json, rapidjson::Type kind) {
    if (auto* existing = member(out, json); existing != nullptr && existing->GetType() == kind) return *existing;
    set_member(out, json, rapidjson::Value(kind), allocator_);
    return *member(out, json);
  }

  void put(const protobuf::Field& field, rapidjson::Value& out, rapidjson::Value value) {
    if (field.repeated) {
      slot(out, field.json, rapidjson::kArrayType).PushBack(value, allocator_);
    } else {
      set_member(out, field.json, std::move(value), allocator_);
    }
  }

  Outcome value(const protobuf::Field& field, std::uint32_t wire, std::string_view bytes, std::uint64_t varint,
                rapidjson::Value& out, const std::string& path) {
    using protobuf::ValueType;
    const bool scalar = field.type == ValueType::kInt || field.type == ValueType::kBool;
    if (field.type == ValueType::kServerSet) return Outcome::kOk;
    if (wire != (scalar ? 0u : 2u)) {
      error = "protobuf field " + std::to_string(field.number) + " (" + child(path, field.json) +
              ") has the wrong wire type";
      return Outcome::kMalformed;
    }
    switch (field.type) {
      case ValueType::kString:
        if (bytes.empty() && !field.pointer && !field.repeated) return Outcome::kOk;
        put(field, out, text(bytes, allocator_));
        return Outcome::kOk;
      case ValueType::kBytes:
        put(field, out, text(base64_encode(bytes), allocator_));
        return Outcome::kOk;
      case ValueType::kInt:
        if (varint == 0 && !field.pointer && !field.repeated) return Outcome::kOk;
        put(field, out, rapidjson::Value(static_cast<std::int64_t>(varint)));
        return Outcome::kOk;
      case ValueType::kBool:
        if (varint == 0 && !field.pointer && !field.repeated) return Outcome::kOk;
        put(field, out, rapidjson::Value(varint != 0));
        return Outcome::kOk;
      case ValueType::kMessage: {
        if (field.json.empty()) return message(*field.message, bytes, out, path);  // embedded: inlined
        std::string at = child(path, field.json);
        if (field.repeated) {
          const auto* list = member(out, field.json);
          at += "[" + std::to_string(list != nullptr && list->IsArray() ? list->Size() : 0) + "]";
        }
        rapidjson::Value nested(rapidjson::kObjectType);
        const auto outcome = message(*field.message, bytes, nested, at);
        if (outcome != Outcome::kOk) return outcome;
        put(field, out, std::move(nested));
        return Outcome::kOk;
      }
      case ValueType::kStringMap:
      case ValueType::kBytesMap:
      case ValueType::kQuantityMap:
        return map_entry(field, bytes, out, path);
      case ValueType::kIntOrString:
        return int_or_string(field, bytes, out, path);
      case ValueType::kServerSet:
        break;
    }
    return Outcome::kOk;
  }

  // A map entry: key = 1, value = 2 (a Quantity's value is its field 1).
  Outcome map_entry(const protobuf::Field& field, std::string_view entry, rapidjson::Value& out,
                    const std::string& path) {
    Reader reader(entry);
    std::string_view key, value;
    std::uint32_t number = 0, wire = 0;
    std::string_view bytes;
    std::uint64_t varint = 0;
    while (!reader.done()) {
      if (!reader.next(number, wire, bytes, varint)) return map_malformed(field, path);
      if (number == 1 && wire == 2) key = bytes;
      if (number == 2 && wire == 2) value = bytes;
    }
    if (field.type == protobuf::ValueType::kQuantityMap) {
      Reader quantity(value);
      std::string_view amount;
      while (!quantity.done()) {
        if (!quantity.next(number, wire, bytes, varint)) return map_malformed(field, path);
        if (number == 1 && wire == 2) amount = bytes;
      }
      value = amount;
    }
    auto& map = slot(out, field.json, rapidjson::kObjectType);
    set_member(map, key,
               field.type == protobuf::ValueType::kBytesMap ? text(base64_encode(value), allocator_)
                                                            : text(value, allocator_),
               allocator_);
    return Outcome::kOk;
  }
  Outcome map_malformed(const protobuf::Field& field, const std::string& path) {
    error = "malformed protobuf map entry in " + child(path, field.json);
    return Outcome::kMalformed;
  }

  // intstr.IntOrString: type = 1 (0 int, 1 string), intVal = 2, strVal = 3.
  // An int 0 is the unset value (a Service's targetPort then defaults).
  Outcome int_or_string(const protobuf::Field& field, std::string_view data, rapidjson::Value& out,
                        const std::string& path) {
    Reader reader(data);
    std::uint64_t kind = 0, int_value = 0;
    std::string_view string_value;
    std::uint32_t number = 0, wire = 0;
    std::string_view bytes;
    std::uint64_t varint = 0;
    while (!reader.done()) {
      if (!reader.next(number, wire, bytes, varint)) {
        error = "malformed protobuf IntOrString in " + child(path, field.json);
        return Outcome::kMalformed;
      }
      if (number == 1 && wire == 0) kind = varint;
      if (number == 2 && wire == 0) int_value = varint;
      if (number == 3 && wire == 2) string_value = bytes;
    }
    if (kind == 1) {
      put(field, out, text(string_value, allocator_));
    } else if (int_value != 0) {
      put(field, out, rapidjson::Value(static_cast<std::int64_t>(int_value)));
    }
    return Outcome::kOk;
  }

  Allocator& allocator_;
};

std::string accepted_kinds() {
  std::string list;
  for (const auto& kind : protobuf::top_level_kinds()) {
    if (!list.empty()) list += ", ";
    list.append(kind.api_version).append(" ").append(kind.kind);
  }
  return list;
}

}  // namespace

bool decode_protobuf_object(std::string_view body, rapidjson::Document& out, std::string& error,
                            bool& unsupported_kind) {
  unsupported_kind = false;
  static constexpr std::string_view kMagic("k8s\0", 4);
  if (body.substr(0, 4) != kMagic) {
    error = "protobuf body without the k8s envelope prefix";
    return false;
  }
  // runtime.Unknown: typeMeta = 1 (apiVersion = 1, kind = 2), raw = 2.
  Reader envelope(body.substr(4));
  std::string api_version, kind;
  std::string_view raw;
  std::uint32_t field = 0, wire = 0;
  std::string_view bytes;
  std::uint64_t number = 0;
  while (!envelope.done()) {
    if (!envelope.next(field, wire, bytes, number)) break;
    if (field == 1 && wire == 2) {
      Reader type_meta(bytes);
      std::uint32_t f = 0, w = 0;
      std::string_view b;
      std::uint64_t n = 0;
      while (!type_meta.done() && type_meta.next(f, w, b, n)) {
        if (f == 1 && w == 2) api_version = std::string(b);
        if (f == 2 && w == 2) kind = std::string(b);
      }
    } else if (field == 2 && wire == 2) {
      raw = bytes;
    }
  }
  if (envelope.failed()) {
    error = "malformed protobuf envelope";
    return false;
  }
  const protobuf::MessageType* type = nullptr;
  for (const auto& known : protobuf::top_level_kinds()) {
    if (known.api_version == api_version && known.kind == kind) type = known.message;
  }
  if (type == nullptr) {
    unsupported_kind = true;
    error = "protobuf bodies are accepted for " + accepted_kinds() + " only (got " + api_version + " " + kind +
            "); send application/json";
    return false;
  }
  out.SetObject();
  set_member(out, "apiVersion", text(api_version, out.GetAllocator()), out.GetAllocator());
  set_member(out, "kind", text(kind, out.GetAllocator()), out.GetAllocator());
  Decoder decoder(out.GetAllocator());
  const auto outcome = decoder.message(*type, raw, out, "");
  if (outcome != Outcome::kOk) {
    unsupported_kind = outcome == Outcome::kUnsupported;
    error = kind + ": " + decoder.error;
    return false;
  }
  return true;
}

}  // namespace switchyard::devcluster
