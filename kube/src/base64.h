// Standard base64 (kubeconfig *-data fields, Secret data).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace switchyard::kube::base64 {

// Ignores whitespace (kubeconfig writers wrap long lines); nothing on any
// other invalid character or bad padding.
std::optional<std::string> decode(std::string_view text);
std::string encode(std::string_view bytes);

}  // namespace switchyard::kube::base64
