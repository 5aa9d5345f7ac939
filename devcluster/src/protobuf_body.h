// kubectl's generators send built-in objects as Kubernetes protobuf
// (`application/vnd.kubernetes.protobuf`: `kubectl create namespace`,
// `configmap`, `secret`, `serviceaccount`, `service`, `deployment`, `role`,
// `rolebinding`, ...). This decodes that envelope for the kinds listed in
// protobuf_schema.h into the JSON form the rest of the server works on. Pure.
#pragma once

#include <rapidjson/document.h>

#include <string>
#include <string_view>

namespace switchyard::devcluster {

inline constexpr const char* kProtobufMediaType = "application/vnd.kubernetes.protobuf";

// False with `error` set for a malformed body, or with `unsupported_kind`
// for another kind or a field the tables do not decode (the caller answers
// 415 for those: JSON works for everything).
[[nodiscard]] bool decode_protobuf_object(std::string_view body, rapidjson::Document& out, std::string& error,
                                          bool& unsupported_kind);

}  // namespace switchyard::devcluster
