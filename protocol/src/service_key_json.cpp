#include "service_key_json.h"

#include "switchyard/core/names.h"

namespace switchyard::protocol::detail {
namespace {

std::optional<ServiceRole> parse_role(std::string_view text) {
  if (text == "local") return ServiceRole::Local;
  if (text == "mirror") return ServiceRole::Mirror;
  return std::nullopt;
}

}  // namespace

std::optional<ServiceKey> read_service_key(core::json::FieldReader& fields) {
  auto namespace_name = fields.required_string("namespace");
  auto name = fields.required_string("name");
  auto role_text = fields.required_string("role");
  if (namespace_name) {
    if (auto problem = core::dns1123_label_problem(*namespace_name)) {
      fields.error("namespace", *problem);
      namespace_name.reset();
    }
  }
  if (name) {
    if (auto problem = core::dns1123_label_problem(*name)) {
      fields.error("name", *problem);
      name.reset();
    }
  }
  std::optional<ServiceRole> role;
  if (role_text) {
    role = parse_role(*role_text);
    if (!role) fields.error("role", "must be \"local\" or \"mirror\", got \"" + *role_text + "\"");
  }
  if (!namespace_name || !name || !role) return std::nullopt;
  return ServiceKey{std::move(*namespace_name), std::move(*name), *role};
}

void write_service_key_fields(JsonWriter& out, const ServiceKey& key) {
  out.Key("namespace");
  out.String(key.namespace_name);
  out.Key("name");
  out.String(key.name);
  out.Key("role");
  out.String(to_string(key.role));
}

}  // namespace switchyard::protocol::detail
