#include "switchyard/kube/result.h"

namespace switchyard::kube {

std::string ApiError::to_string() const {
  std::string text;
  if (code == 0) {
    text = reason.empty() ? "transport" : reason;
  } else {
    text = std::to_string(code);
    if (!reason.empty()) text += " " + reason;
  }
  text += ": " + message;
  for (const auto& cause : causes) {
    if (message.find(cause) == std::string::npos) text += "; " + cause;
  }
  return text;
}

}  // namespace switchyard::kube
