#include "switchyard/core/parse.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "switchyard/core/data_plane.h"
#include "switchyard/core/json_fields.h"
#include "switchyard/core/http_route.h"
#include "switchyard/core/names.h"
#include "switchyard/core/overrides.h"

namespace switchyard::core {
namespace {

using json::FieldReader;

constexpr std::int64_t kMaxSeconds = 86400;
constexpr std::int64_t kMaxWeight = 1'000'000;

// Reads a name field and checks it against a Kubernetes name rule.
std::optional<std::string> read_name(FieldReader& fields, std::string_view key, bool required,
                                     std::optional<std::string> (*rule)(std::string_view)) {
  auto value = required ? fields.required_string(key) : fields.optional_string(key);
  if (!value) return std::nullopt;
  if (auto problem = rule(*value)) {
    fields.error(key, *problem);
    return std::nullopt;
  }
  return value;
}

std::optional<std::string> dns1035_label_problem(std::string_view name) {
  if (auto problem = dns1123_label_problem(name)) return problem;
  if (name.front() < 'a' || name.front() > 'z') {
    return "\"" + std::string(name) + "\" must start with a letter (a Service name is a DNS-1035 label)";
  }
  return std::nullopt;
}

void read_backing_services(const rapidjson::Value& list, const std::string& path, FailoverSpec& spec,
                           std::vector<FieldError>& errors) {
  if (list.Size() == 0) {
    errors.push_back({path, "must list at least one backing service"});
    return;
  }
  if (list.Size() > kMaxBackingServices) {
    errors.push_back({path, "at most " + std::to_string(kMaxBackingServices) + " backing services, got " +
                                std::to_string(list.Size())});
    return;
  }
  for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
    const auto entry_path = json::indexed(path, i);
    const auto& entry = list[i];
    if (!entry.IsObject()) {
      errors.push_back({entry_path, "must be an object"});
      continue;
    }
    FieldReader fields(entry, entry_path, errors);
    BackingService backing;
    auto cluster = read_name(fields, "cluster", true, dns1123_label_problem);
    auto namespace_name = read_name(fields, "namespace", true, dns1123_label_problem);
    auto name = read_name(fields, "name", true, dns1035_label_problem);
    auto priority = fields.optional_int("priority", 0, INT32_MAX);
    auto weight = fields.optional_int("weight", 1, kMaxWeight);
    if (cluster) backing.cluster = *cluster;
    if (namespace_name) backing.namespace_name = *namespace_name;
    if (name) backing.name = *name;
    backing.priority = priority ? static_cast<std::int32_t>(*priority) : static_cast<std::int32_t>(i);
    backing.weight = weight ? static_cast<std::uint32_t>(*weight) : 1;
    spec.backing_services.push_back(std::move(backing));
  }
}

void read_health(const rapidjson::Value* health, HealthPolicy& policy, std::vector<FieldError>& errors) {
  if (health == nullptr) return;
  FieldReader fields(*health, "spec.health", errors);
  if (auto v = fields.optional_int("minReadyEndpoints", 1, 1'000'000)) policy.min_ready_endpoints = static_cast<std::uint32_t>(*v);
  if (auto v = fields.optional_bool("requireMirrorReady")) policy.require_mirror_ready = *v;
  if (auto v = fields.optional_int("unknownAfterSeconds", 1, kMaxSeconds)) policy.unknown_after_seconds = static_cast<std::uint32_t>(*v);
  if (auto v = fields.optional_int("silentFailoverSeconds", 1, kMaxSeconds)) policy.silent_failover_seconds = static_cast<std::uint32_t>(*v);
  read_data_plane_policy(health, policy.data_plane, errors);
}

// spec.backingServices[].health, once spec.health is read: each override
// starts from spec.health's data-plane checks and replaces what it names.
void read_backing_health(const rapidjson::Value& list, FailoverSpec& spec, std::vector<FieldError>& errors) {
  if (list.Size() != spec.backing_services.size()) return;  // the list had errors: already reported
  for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
    const auto path = json::indexed("spec.backingServices", i);
    FieldReader fields(list[i], path, errors);
    const auto* health = fields.object("health", false);
    if (health == nullptr) continue;
    auto policy = spec.health.data_plane;
    read_data_plane_policy(health, policy, errors, path + ".health");
    spec.backing_services[i].data_plane = std::move(policy);
  }
}

void read_output(const rapidjson::Value* output, FailoverSpec& spec, std::vector<FieldError>& errors) {
  if (output == nullptr) return;
  FieldReader fields(*output, "spec.output", errors);
  if (auto kind = fields.optional_string("kind")) {
    if (auto parsed = output_kind_from(*kind)) {
      spec.output_kind = parsed;
    } else {
      fields.error("kind", "must be TrafficSplit, HTTPRoute, LinkerdHTTPRoute or Auto, got \"" + *kind + "\"");
    }
  }
  if (auto version = fields.optional_string("apiVersion")) {
    if (*version == "split.smi-spec.io/v1alpha1") {
      spec.output_version = SplitApiVersion::V1Alpha1;
    } else if (*version == "split.smi-spec.io/v1alpha2") {
      spec.output_version = SplitApiVersion::V1Alpha2;
    } else if (*version == "split.smi-spec.io/v1alpha4") {
      spec.output_version = SplitApiVersion::V1Alpha4;
    } else {
      fields.error("apiVersion", "must be split.smi-spec.io/v1alpha1, v1alpha2 or v1alpha4, got \"" + *version + "\"");
    }
  }
  if (auto port = fields.optional_int("port", 1, 65535)) spec.output_port = static_cast<std::uint16_t>(*port);
  const bool http_route = spec.output_kind == OutputKind::HTTPRoute || spec.output_kind == OutputKind::LinkerdHTTPRoute;
  if (http_route && spec.output_port == 0) {
    fields.error("port", std::string("required with kind ") + to_string(*spec.output_kind) +
                             ": Linkerd and the Gateway API route to a Service backendRef only with its port");
  }
}

// Checks a mirror name template: only the three tokens, balanced braces.
std::optional<std::string> template_problem(const std::string& name_template) {
  if (name_template.empty()) return "must not be empty";
  std::size_t at = 0;
  while (at < name_template.size()) {
    const char c = name_template[at];
    if (c == '}') return "unbalanced '}' at offset " + std::to_string(at);
    if (c != '{') {
      ++at;
      continue;
    }
    const auto close = name_template.find('}', at);
    if (close == std::string::npos) return "unbalanced '{' at offset " + std::to_string(at);
    const auto token = name_template.substr(at + 1, close - at - 1);
    if (token != "name" && token != "cluster" && token != "namespace") {
      return "unknown token {" + token + "}; the tokens are {name}, {cluster} and {namespace}";
    }
    at = close + 1;
  }
  return std::nullopt;
}

}  // namespace

const char* api_version_string(SplitApiVersion version) {
  switch (version) {
    case SplitApiVersion::V1Alpha1: return "split.smi-spec.io/v1alpha1";
    case SplitApiVersion::V1Alpha2: return "split.smi-spec.io/v1alpha2";
    case SplitApiVersion::V1Alpha4: return "split.smi-spec.io/v1alpha4";
  }
  return "split.smi-spec.io/v1alpha2";
}

const char* to_string(OutputKind kind) {
  switch (kind) {
    case OutputKind::TrafficSplit: return "TrafficSplit";
    case OutputKind::HTTPRoute: return "HTTPRoute";
    case OutputKind::LinkerdHTTPRoute: return "LinkerdHTTPRoute";
    case OutputKind::Auto: return "Auto";
  }
  return "TrafficSplit";
}

std::optional<OutputKind> output_kind_from(std::string_view text) {
  for (auto kind : {OutputKind::TrafficSplit, OutputKind::HTTPRoute, OutputKind::LinkerdHTTPRoute, OutputKind::Auto}) {
    if (text == to_string(kind)) return kind;
  }
  return std::nullopt;
}

std::string mirror_name(const std::string& name_template, const BackingService& backing) {
  std::string out;
  std::size_t at = 0;
  while (at < name_template.size()) {
    if (name_template[at] == '{') {
      const auto close = name_template.find('}', at);
      const auto token = name_template.substr(at + 1, close - at - 1);
      if (token == "name") out += backing.name;
      if (token == "cluster") out += backing.cluster;
      if (token == "namespace") out += backing.namespace_name;
      at = close + 1;
      continue;
    }
    out += name_template[at++];
  }
  return out;
}

Decoded<FailoverService> parse_failover_service(std::string_view text) {
  Decoded<FailoverService> result;
  rapidjson::Document document;
  if (!json::parse_body(text, document, result.errors)) return result;
  return parse_failover_service(document);
}

Decoded<FailoverService> parse_failover_service(const rapidjson::Value& object) {
  Decoded<FailoverService> result;
  auto& errors = result.errors;
  if (!object.IsObject()) {
    errors.push_back({"", "a FailoverService must be a JSON object"});
    return result;
  }
  FailoverService fos;
  FieldReader top(object, "", errors);
  if (const auto* metadata = top.object("metadata", true)) {
    FieldReader meta(*metadata, "metadata", errors);
    if (auto name = meta.required_string("name")) fos.key.name = *name;
    if (auto namespace_name = meta.required_string("namespace")) fos.key.namespace_name = *namespace_name;
    if (auto generation = meta.optional_int("generation", 0, INT64_MAX)) fos.generation = *generation;
  }
  const auto* spec_value = top.object("spec", true);
  if (spec_value == nullptr) return result;

  FailoverSpec& spec = fos.spec;
  FieldReader fields(*spec_value, "spec", errors);
  if (const auto* list = fields.array("backingServices", true)) {
    read_backing_services(*list, "spec.backingServices", spec, errors);
  }
  const auto service = read_name(fields, "service", false, dns1035_label_problem);
  const auto target_namespace = read_name(fields, "targetNamespace", false, dns1123_label_problem);
  const auto* consumers = fields.array("consumers", false);
  if (consumers != nullptr) {
    for (rapidjson::SizeType i = 0; i < consumers->Size(); ++i) {
      const auto& entry = (*consumers)[i];
      const auto path = json::indexed("spec.consumers", i);
      if (!entry.IsString()) {
        errors.push_back({path, "must be a string"});
        continue;
      }
      const std::string cluster(entry.GetString(), entry.GetStringLength());
      if (auto problem = dns1123_label_problem(cluster)) {
        errors.push_back({path, *problem});
        continue;
      }
      spec.consumers.push_back(cluster);
    }
  }
  read_health(fields.object("health", false), spec.health, errors);
  if (const auto* list = fields.array("backingServices", false)) read_backing_health(*list, spec, errors);
  if (const auto* failback = fields.object("failback", false)) {
    FieldReader failback_fields(*failback, "spec.failback", errors);
    if (auto v = failback_fields.optional_int("delaySeconds", 0, kMaxSeconds)) {
      spec.failback_delay_seconds = static_cast<std::uint32_t>(*v);
    }
  }
  if (const auto* mirror = fields.object("mirror", false)) {
    FieldReader mirror_fields(*mirror, "spec.mirror", errors);
    if (auto name_template = mirror_fields.optional_string("nameTemplate")) {
      if (auto problem = template_problem(*name_template)) {
        mirror_fields.error("nameTemplate", *problem);
      } else {
        spec.mirror_name_template = *name_template;
      }
    }
  }
  read_output(fields.object("output", false), spec, errors);
  read_overrides(fields, spec, errors);

  if (!spec.backing_services.empty()) {
    const auto& first = spec.backing_services.front();
    spec.service = service.value_or(first.name);
    spec.target_namespace = target_namespace.value_or(first.namespace_name);
    if (consumers == nullptr) {
      for (const auto& backing : spec.backing_services) {
        if (std::find(spec.consumers.begin(), spec.consumers.end(), backing.cluster) == spec.consumers.end()) {
          spec.consumers.push_back(backing.cluster);
        }
      }
    }
  }
  if (errors.empty()) result.value = std::move(fos);
  return result;
}

std::vector<FieldError> validate_failover_service(const FailoverService& fos,
                                                  const std::set<std::string, std::less<>>& known_clusters) {
  std::vector<FieldError> errors;
  const auto& spec = fos.spec;
  std::map<std::tuple<std::string, std::string, std::string>, std::size_t> seen;
  for (std::size_t i = 0; i < spec.backing_services.size(); ++i) {
    const auto& backing = spec.backing_services[i];
    const auto path = json::indexed("spec.backingServices", i);
    if (known_clusters.count(backing.cluster) == 0) {
      errors.push_back({path + ".cluster", "unknown cluster \"" + backing.cluster + "\" (no MemberCluster of that name)"});
    }
    auto [it, inserted] = seen.emplace(std::make_tuple(backing.cluster, backing.namespace_name, backing.name), i);
    if (!inserted) {
      errors.push_back({path, "duplicates spec.backingServices[" + std::to_string(it->second) + "] (" +
                                  backing.to_string() + ")"});
    }
    if (backing.namespace_name != spec.target_namespace) {
      errors.push_back({path + ".namespace",
                        "is \"" + backing.namespace_name + "\" but the TrafficSplit goes to namespace \"" +
                            spec.target_namespace +
                            "\" (spec.targetNamespace): a TrafficSplit's backends are Services in its own namespace"});
    }
    const auto mirror = mirror_name(spec.mirror_name_template, backing);
    if (auto problem = dns1123_label_problem(mirror); problem || (mirror.front() < 'a' || mirror.front() > 'z')) {
      errors.push_back({"spec.mirror.nameTemplate",
                        "gives the mirror name \"" + mirror + "\" for " + path +
                            ", which is not a valid Service name (a DNS-1035 label of at most 63 characters)"});
    }
  }
  const bool http_route = spec.output_kind == OutputKind::HTTPRoute || spec.output_kind == OutputKind::LinkerdHTTPRoute;
  if (http_route && spec.backing_services.size() > kMaxHttpRouteBackends) {
    errors.push_back({"spec.backingServices", "has " + std::to_string(spec.backing_services.size()) +
                                                  " entries, but an HTTPRoute rule (spec.output.kind " +
                                                  to_string(*spec.output_kind) + ") holds at most " +
                                                  std::to_string(kMaxHttpRouteBackends) + " backendRefs"});
  }
  if (spec.consumers.empty()) {
    errors.push_back({"spec.consumers", "must name at least one cluster (or be left out to mean every backing cluster)"});
  }
  std::set<std::string> seen_consumers;
  for (std::size_t i = 0; i < spec.consumers.size(); ++i) {
    const auto& consumer = spec.consumers[i];
    const auto path = json::indexed("spec.consumers", i);
    if (known_clusters.count(consumer) == 0) {
      errors.push_back({path, "unknown cluster \"" + consumer + "\" (no MemberCluster of that name)"});
    }
    if (!seen_consumers.insert(consumer).second) errors.push_back({path, "lists \"" + consumer + "\" twice"});
  }
  if (spec.health.silent_failover_seconds < spec.health.unknown_after_seconds) {
    errors.push_back({"spec.health.silentFailoverSeconds",
                      "is " + std::to_string(spec.health.silent_failover_seconds) +
                          ", less than unknownAfterSeconds " + std::to_string(spec.health.unknown_after_seconds)});
  }
  return errors;
}

std::string describe(const ObjectKey& key, const std::vector<FieldError>& errors) {
  std::string text;
  for (const auto& error : errors) {
    if (!text.empty()) text += "; ";
    text += "failoverservice " + key.to_string() + ": " + error.to_string();
  }
  return text;
}

}  // namespace switchyard::core
