#include "protobuf_body.h"

#include <openssl/evp.h>

#include <cstdint>
#include <optional>

#include "base64.h"
#include "json_util.h"

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


// A map<string, string|bytes> entry: key = 1, value = 2.
bool map_entry(std::string_view entry, rapidjson::Value& map, bool value_as_base64, Allocator& allocator) {
  Reader reader(entry);
  std::string_view key, value;
  std::uint32_t field = 0, wire = 0;
  std::string_view bytes;
  std::uint64_t number = 0;
  while (!reader.done()) {
    if (!reader.next(field, wire, bytes, number)) return false;
    if (field == 1 && wire == 2) key = bytes;
    if (field == 2 && wire == 2) value = bytes;
  }
  set_member(map, key, value_as_base64 ? text(base64_encode(value), allocator) : text(value, allocator), allocator);
  return true;
}

bool object_meta(std::string_view data, rapidjson::Value& metadata, Allocator& allocator) {
  Reader reader(data);
  rapidjson::Value labels(rapidjson::kObjectType), annotations(rapidjson::kObjectType);
  rapidjson::Value finalizers(rapidjson::kArrayType);
  std::uint32_t field = 0, wire = 0;
  std::string_view bytes;
  std::uint64_t number = 0;
  while (!reader.done()) {
    if (!reader.next(field, wire, bytes, number)) return false;
    if (wire != 2) continue;
    switch (field) {
      case 1:
        set_member(metadata, "name", text(bytes, allocator), allocator);
        break;
      case 2:
        set_member(metadata, "generateName", text(bytes, allocator), allocator);
        break;
      case 3:
        set_member(metadata, "namespace", text(bytes, allocator), allocator);
        break;
      case 6:
        set_member(metadata, "resourceVersion", text(bytes, allocator), allocator);
        break;
      case 11:
        if (!map_entry(bytes, labels, false, allocator)) return false;
        break;
      case 12:
        if (!map_entry(bytes, annotations, false, allocator)) return false;
        break;
      case 14:
        finalizers.PushBack(text(bytes, allocator), allocator);
        break;
      default:
        break;
    }
  }
  if (labels.MemberCount() > 0) set_member(metadata, "labels", std::move(labels), allocator);
  if (annotations.MemberCount() > 0) set_member(metadata, "annotations", std::move(annotations), allocator);
  if (!finalizers.Empty()) set_member(metadata, "finalizers", std::move(finalizers), allocator);
  return true;
}

// Namespace, ConfigMap or Secret from their generated.proto field numbers.
bool decode_kind(const std::string& kind, std::string_view raw, rapidjson::Document& out) {
  auto& allocator = out.GetAllocator();
  Reader reader(raw);
  rapidjson::Value metadata(rapidjson::kObjectType);
  rapidjson::Value data(rapidjson::kObjectType), binary(rapidjson::kObjectType), string_data(rapidjson::kObjectType);
  rapidjson::Value spec_finalizers(rapidjson::kArrayType);
  std::uint32_t field = 0, wire = 0;
  std::string_view bytes;
  std::uint64_t number = 0;
  while (!reader.done()) {
    if (!reader.next(field, wire, bytes, number)) return false;
    if (field == 1 && wire == 2) {
      if (!object_meta(bytes, metadata, allocator)) return false;
    } else if (kind == "Namespace" && field == 2 && wire == 2) {
      Reader spec(bytes);
      std::uint32_t f = 0, w = 0;
      std::string_view b;
      std::uint64_t n = 0;
      while (!spec.done()) {
        if (!spec.next(f, w, b, n)) return false;
        if (f == 1 && w == 2) spec_finalizers.PushBack(text(b, allocator), allocator);
      }
    } else if (kind == "ConfigMap" && field == 2 && wire == 2) {
      if (!map_entry(bytes, data, false, allocator)) return false;
    } else if (kind == "ConfigMap" && field == 3 && wire == 2) {
      if (!map_entry(bytes, binary, true, allocator)) return false;
    } else if (kind == "Secret" && field == 2 && wire == 2) {
      if (!map_entry(bytes, data, true, allocator)) return false;
    } else if (kind == "Secret" && field == 3 && wire == 2) {
      set_member(out, "type", text(bytes, allocator), allocator);
    } else if (kind == "Secret" && field == 4 && wire == 2) {
      if (!map_entry(bytes, string_data, false, allocator)) return false;
    } else if ((kind == "ConfigMap" && field == 4) || (kind == "Secret" && field == 5)) {
      if (wire == 0) set_member(out, "immutable", rapidjson::Value(number != 0), allocator);
    }
  }
  set_member(out, "metadata", std::move(metadata), allocator);
  if (!spec_finalizers.Empty()) {
    rapidjson::Value spec(rapidjson::kObjectType);
    spec.AddMember("finalizers", spec_finalizers, allocator);
    set_member(out, "spec", std::move(spec), allocator);
  }
  if (data.MemberCount() > 0) set_member(out, "data", std::move(data), allocator);
  if (binary.MemberCount() > 0) set_member(out, "binaryData", std::move(binary), allocator);
  if (string_data.MemberCount() > 0) set_member(out, "stringData", std::move(string_data), allocator);
  return true;
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
  if (api_version != "v1" || (kind != "Namespace" && kind != "ConfigMap" && kind != "Secret")) {
    unsupported_kind = true;
    error = "protobuf bodies are accepted for v1 Namespace, ConfigMap and Secret only (got " + api_version + " " +
            kind + "); send application/json";
    return false;
  }
  out.SetObject();
  set_member(out, "apiVersion", text(api_version, out.GetAllocator()), out.GetAllocator());
  set_member(out, "kind", text(kind, out.GetAllocator()), out.GetAllocator());
  if (!decode_kind(kind, raw, out)) {
    error = "malformed protobuf " + kind;
    return false;
  }
  return true;
}

}  // namespace switchyard::devcluster
