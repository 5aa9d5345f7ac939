#include "status_body.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace switchyard::hub {

ApiResponse status_response(int code, const std::string& reason, const std::string& message) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> out(buffer);
  out.StartObject();
  out.Key("kind");
  out.String("Status");
  out.Key("apiVersion");
  out.String("v1");
  out.Key("status");
  out.String("Failure");
  out.Key("message");
  out.String(message);
  out.Key("reason");
  out.String(reason);
  out.Key("code");
  out.Int(code);
  out.EndObject();
  return ApiResponse{code, std::string(buffer.GetString(), buffer.GetSize()), {}};
}

}  // namespace switchyard::hub
