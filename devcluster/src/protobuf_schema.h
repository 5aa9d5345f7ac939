// The Kubernetes protobuf messages devcluster decodes, as tables: for each
// message, its field numbers (from k8s.io/api's generated.proto) with their
// JSON names and value types. kubectl's generators (`create namespace`,
// `configmap`, `secret`, `serviceaccount`, `service`, `deployment`, `role`,
// `clusterrole`, `rolebinding`, `clusterrolebinding`) send these kinds as
// protobuf; the tables cover every field those commands can set and the
// common ones around them. Pure data.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace switchyard::devcluster::protobuf {

enum class ValueType : std::uint8_t {
  kString,       // length-delimited UTF-8
  kBytes,        // length-delimited, base64 in JSON
  kInt,          // varint (int32/int64, negative as two's complement)
  kBool,         // varint 0/1
  kMessage,      // length-delimited nested message (`message` says which)
  kStringMap,    // map<string, string> entries
  kBytesMap,     // map<string, bytes> entries (base64 values)
  kQuantityMap,  // map<string, resource.Quantity> entries
  kIntOrString,  // intstr.IntOrString
  kServerSet,    // set by the server, never taken from a client (status, timestamps, selfLink, managedFields)
};

struct MessageType;

struct Field {
  std::uint32_t number;
  std::string_view json;  // empty: an embedded struct whose fields are inlined into the parent
  ValueType type;
  bool repeated = false;
  // A Go pointer (`*int32`, `*bool`, `*string`): kept in JSON even when zero,
  // because set-to-zero differs from unset. Other scalars follow Go's
  // `omitempty`: the zero value is dropped, as the API server's JSON drops it.
  bool pointer = false;
  const MessageType* message = nullptr;
};

struct MessageType {
  std::string_view name;  // for error messages
  std::span<const Field> fields;
};

struct TopLevelKind {
  std::string_view api_version;
  std::string_view kind;
  const MessageType* message;
};

// Every kind devcluster accepts as a protobuf body.
[[nodiscard]] std::span<const TopLevelKind> top_level_kinds();

}  // namespace switchyard::devcluster::protobuf
