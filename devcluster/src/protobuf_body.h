// kubectl sends some built-in objects as Kubernetes protobuf
// (`application/vnd.kubernetes.protobuf`: `kubectl create namespace`,
// `create configmap`, `create secret`). This decodes that envelope for the
// kinds those commands create (Namespace, ConfigMap, Secret) into the JSON
// form the rest of the server works on. Pure.
#pragma once

#include <rapidjson/document.h>

#include <string>
#include <string_view>

namespace switchyard::devcluster {

inline constexpr const char* kProtobufMediaType = "application/vnd.kubernetes.protobuf";

// False with `error` set for a malformed body or another kind (the caller
// answers 415 for those: JSON works for every kind).
[[nodiscard]] bool decode_protobuf_object(std::string_view body, rapidjson::Document& out, std::string& error,
                                          bool& unsupported_kind);

}  // namespace switchyard::devcluster
