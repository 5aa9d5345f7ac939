// Error answers of the agent API, shaped as a Kubernetes Status so that the
// agent and humans with curl read them the way they read API server errors.
#pragma once

#include <httplib.h>

#include <string>

namespace switchyard::hub {

void write_status(httplib::Response& response, int code, const std::string& reason,
                  const std::string& message);

}  // namespace switchyard::hub
