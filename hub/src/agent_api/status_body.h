// Error answers of the agent API, shaped as a Kubernetes Status so that the
// agent and humans with curl read them the way they read API server errors.
#pragma once

#include <string>

#include "switchyard/hub/agent_api_handler.h"

namespace switchyard::hub {

[[nodiscard]] ApiResponse status_response(int code, const std::string& reason, const std::string& message);

}  // namespace switchyard::hub
