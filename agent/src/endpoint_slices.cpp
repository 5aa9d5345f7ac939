#include "switchyard/agent/endpoint_slices.h"

#include <map>
#include <set>

#include <rapidjson/document.h>

namespace switchyard::agent {
namespace {

constexpr const char* kServiceNameLabel = "kubernetes.io/service-name";

const rapidjson::Value* member(const rapidjson::Value& object, const char* key) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(key);
  if (it == object.MemberEnd() || it->value.IsNull()) return nullptr;
  return &it->value;
}

std::string string_or_empty(const rapidjson::Value* value) {
  return value != nullptr && value->IsString() ? std::string(value->GetString(), value->GetStringLength())
                                               : std::string();
}

std::optional<bool> optional_bool(const rapidjson::Value* value) {
  if (value == nullptr || !value->IsBool()) return std::nullopt;
  return value->GetBool();
}

bool counts_as_ready(const SliceEndpoint& endpoint) {
  if (endpoint.terminating.value_or(false)) return false;
  return endpoint.ready.value_or(true);
}

}  // namespace

std::optional<EndpointSlice> decode_endpoint_slice(std::string_view json, std::string& error) {
  rapidjson::Document document;
  document.Parse<rapidjson::kParseValidateEncodingFlag>(json.data(), json.size());
  if (document.HasParseError() || !document.IsObject()) {
    error = "EndpointSlice: not a JSON object";
    return std::nullopt;
  }
  const auto* metadata = member(document, "metadata");
  if (metadata == nullptr || !metadata->IsObject()) {
    error = "EndpointSlice: metadata: required";
    return std::nullopt;
  }
  EndpointSlice slice;
  slice.namespace_name = string_or_empty(member(*metadata, "namespace"));
  slice.name = string_or_empty(member(*metadata, "name"));
  if (const auto* labels = member(*metadata, "labels")) {
    slice.service_name = string_or_empty(member(*labels, kServiceNameLabel));
  }
  slice.address_type = string_or_empty(member(document, "addressType"));

  const auto* endpoints = member(document, "endpoints");
  if (endpoints == nullptr) return slice;  // a slice of a Service with no endpoints
  if (!endpoints->IsArray()) {
    error = "EndpointSlice " + slice.namespace_name + "/" + slice.name + ": endpoints: must be a list";
    return std::nullopt;
  }
  for (const auto& entry : endpoints->GetArray()) {
    SliceEndpoint endpoint;
    if (const auto* addresses = member(entry, "addresses"); addresses != nullptr && addresses->IsArray()) {
      for (const auto& address : addresses->GetArray()) {
        if (address.IsString()) endpoint.addresses.emplace_back(address.GetString(), address.GetStringLength());
      }
    }
    if (const auto* conditions = member(entry, "conditions")) {
      endpoint.ready = optional_bool(member(*conditions, "ready"));
      endpoint.terminating = optional_bool(member(*conditions, "terminating"));
    }
    if (const auto* target = member(entry, "targetRef"); target != nullptr && target->IsObject()) {
      if (string_or_empty(member(*target, "kind")) == "Pod") endpoint.pod = string_or_empty(member(*target, "name"));
    }
    slice.endpoints.push_back(std::move(endpoint));
  }
  return slice;
}

EndpointCount count_endpoints(const std::vector<const EndpointSlice*>& slices) {
  struct AddressSets {
    std::set<std::string> all;
    std::set<std::string> ready;
  };
  std::map<std::string, AddressSets> by_address_type;
  for (const auto* slice : slices) {
    auto& sets = by_address_type[slice->address_type];
    for (const auto& endpoint : slice->endpoints) {
      // An endpoint's addresses are one backend (the API allows exactly one
      // today); it is keyed by its first.
      if (endpoint.addresses.empty()) continue;
      const auto& key = endpoint.addresses.front();
      sets.all.insert(key);
      if (counts_as_ready(endpoint)) sets.ready.insert(key);
    }
  }
  EndpointCount count;
  for (const auto& [type, sets] : by_address_type) {
    if (sets.all.size() > count.total ||
        (sets.all.size() == count.total && sets.ready.size() > count.ready)) {
      count.total = static_cast<std::uint32_t>(sets.all.size());
      count.ready = static_cast<std::uint32_t>(sets.ready.size());
    }
  }
  return count;
}

}  // namespace switchyard::agent
