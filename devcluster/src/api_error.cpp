#include "api_error.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace switchyard::devcluster {

namespace {

void write_status_head(rapidjson::Writer<rapidjson::StringBuffer>& writer) {
  writer.Key("kind");
  writer.String("Status");
  writer.Key("apiVersion");
  writer.String("v1");
  writer.Key("metadata");
  writer.StartObject();
  writer.EndObject();
}

}  // namespace

std::string status_json(const ApiError& error) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  write_status_head(writer);
  writer.Key("status");
  writer.String("Failure");
  writer.Key("message");
  writer.String(error.message.c_str(), static_cast<rapidjson::SizeType>(error.message.size()));
  writer.Key("reason");
  writer.String(error.reason.c_str(), static_cast<rapidjson::SizeType>(error.reason.size()));
  if (!error.name.empty() || !error.kind.empty() || !error.causes.empty() || error.retry_after_seconds > 0) {
    writer.Key("details");
    writer.StartObject();
    if (!error.name.empty()) {
      writer.Key("name");
      writer.String(error.name.c_str());
    }
    if (!error.group.empty()) {
      writer.Key("group");
      writer.String(error.group.c_str());
    }
    if (!error.kind.empty()) {
      writer.Key("kind");
      writer.String(error.kind.c_str());
    }
    if (!error.causes.empty()) {
      writer.Key("causes");
      writer.StartArray();
      for (const auto& cause : error.causes) {
        writer.StartObject();
        writer.Key("reason");
        writer.String(cause.reason.c_str());
        writer.Key("message");
        writer.String(cause.message.c_str(), static_cast<rapidjson::SizeType>(cause.message.size()));
        if (!cause.field.empty()) {
          writer.Key("field");
          writer.String(cause.field.c_str());
        }
        writer.EndObject();
      }
      writer.EndArray();
    }
    if (error.retry_after_seconds > 0) {
      writer.Key("retryAfterSeconds");
      writer.Int(error.retry_after_seconds);
    }
    writer.EndObject();
  }
  writer.Key("code");
  writer.Int(error.code);
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string success_status_json(const std::string& name, const std::string& group, const std::string& kind,
                                const std::string& uid) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  write_status_head(writer);
  writer.Key("status");
  writer.String("Success");
  writer.Key("details");
  writer.StartObject();
  writer.Key("name");
  writer.String(name.c_str());
  if (!group.empty()) {
    writer.Key("group");
    writer.String(group.c_str());
  }
  writer.Key("kind");
  writer.String(kind.c_str());
  writer.Key("uid");
  writer.String(uid.c_str());
  writer.EndObject();
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

ApiError not_found(const std::string& qualified, const std::string& group, const std::string& resource,
                   const std::string& name) {
  return ApiError{404, "NotFound", qualified + " \"" + name + "\" not found", name, group, resource, {}};
}

ApiError already_exists(const std::string& qualified, const std::string& group, const std::string& resource,
                        const std::string& name) {
  return ApiError{409, "AlreadyExists", qualified + " \"" + name + "\" already exists", name, group, resource, {}};
}

ApiError conflict(const std::string& qualified, const std::string& group, const std::string& resource,
                  const std::string& name) {
  return ApiError{409,
                  "Conflict",
                  "Operation cannot be fulfilled on " + qualified + " \"" + name +
                      "\": the object has been modified; please apply your changes to the latest version and try "
                      "again",
                  name,
                  group,
                  resource,
                  {}};
}

ApiError bad_request(std::string message) { return ApiError{400, "BadRequest", std::move(message), "", "", "", {}}; }

ApiError invalid(const std::string& kind_qualified, const std::string& group, const std::string& kind,
                 const std::string& name, std::vector<StatusCause> causes) {
  std::string joined;
  for (std::size_t i = 0; i < causes.size(); ++i) {
    if (i > 0) joined += ", ";
    joined += (causes[i].field.empty() ? "" : causes[i].field + ": ") + causes[i].message;
  }
  if (causes.size() > 1) joined = "[" + joined + "]";
  return ApiError{422, "Invalid", kind_qualified + " \"" + name + "\" is invalid: " + joined, name, group, kind,
                  std::move(causes)};
}

ApiError unsupported_media_type(std::string message) {
  return ApiError{415, "UnsupportedMediaType", std::move(message), "", "", "", {}};
}

ApiError method_not_allowed(std::string message) {
  return ApiError{405, "MethodNotAllowed", std::move(message), "", "", "", {}};
}

ApiError expired(std::string message) { return ApiError{410, "Expired", std::move(message), "", "", "", {}}; }

ApiError unauthorized() { return ApiError{401, "Unauthorized", "Unauthorized", "", "", "", {}}; }

ApiError internal_error(std::string message) {
  return ApiError{500, "InternalError", std::move(message), "", "", "", {}};
}

}  // namespace switchyard::devcluster
