// Standard base64 (with padding), as Kubernetes JSON carries bytes.
#pragma once

#include <openssl/evp.h>

#include <string>
#include <string_view>

namespace switchyard::devcluster {

[[nodiscard]] inline std::string base64_encode(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

}  // namespace switchyard::devcluster
