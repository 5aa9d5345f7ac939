#include "leader_lease.h"

#include "json_util.h"
#include "switchyard/kube/resource.h"

namespace switchyard::kube {
namespace {

int int_member(const rapidjson::Value& object, std::string_view key) {
  const rapidjson::Value* value = json::find(object, key);
  return value && value->IsInt() ? value->GetInt() : 0;
}

void set_member(rapidjson::Value& object, const char* key, rapidjson::Value value,
                rapidjson::Document::AllocatorType& allocator) {
  auto found = object.FindMember(key);
  if (found != object.MemberEnd()) {
    found->value = std::move(value);
  } else {
    object.AddMember(rapidjson::StringRef(key), std::move(value), allocator);
  }
}

void write_record(rapidjson::Value& spec, const LeaseRecord& record,
                  rapidjson::Document::AllocatorType& allocator) {
  auto text = [&](const std::string& s) { return rapidjson::Value(s.c_str(), static_cast<rapidjson::SizeType>(s.size()), allocator); };
  set_member(spec, "holderIdentity", text(record.holder_identity), allocator);
  set_member(spec, "leaseDurationSeconds", rapidjson::Value(record.lease_duration_seconds), allocator);
  // An empty MicroTime is not valid JSON for the API server; null is "unset".
  auto time = [&](const std::string& s) { return s.empty() ? rapidjson::Value() : text(s); };
  set_member(spec, "acquireTime", time(record.acquire_time), allocator);
  set_member(spec, "renewTime", time(record.renew_time), allocator);
  set_member(spec, "leaseTransitions", rapidjson::Value(record.lease_transitions), allocator);
}

}  // namespace

LeaseRecord lease_record_from(const Object& lease) {
  LeaseRecord record;
  const rapidjson::Value* spec = lease.member("spec");
  if (!spec || !spec->IsObject()) return record;
  record.holder_identity = json::string_member(*spec, "holderIdentity");
  record.lease_duration_seconds = int_member(*spec, "leaseDurationSeconds");
  record.acquire_time = json::string_member(*spec, "acquireTime");
  record.renew_time = json::string_member(*spec, "renewTime");
  record.lease_transitions = int_member(*spec, "leaseTransitions");
  return record;
}

std::string new_lease_json(std::string_view ns, std::string_view name, const LeaseRecord& record) {
  rapidjson::Document lease(rapidjson::kObjectType);
  auto& allocator = lease.GetAllocator();
  auto text = [&](std::string_view s) { return rapidjson::Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), allocator); };
  lease.AddMember("apiVersion", text(kLeases.api_version()), allocator);
  lease.AddMember("kind", text(kLeases.kind), allocator);
  rapidjson::Value metadata(rapidjson::kObjectType);
  metadata.AddMember("name", text(name), allocator);
  metadata.AddMember("namespace", text(ns), allocator);
  lease.AddMember("metadata", std::move(metadata), allocator);
  rapidjson::Value spec(rapidjson::kObjectType);
  write_record(spec, record, allocator);
  lease.AddMember("spec", std::move(spec), allocator);
  return json::serialize(lease);
}

std::string updated_lease_json(const Object& current, const LeaseRecord& record) {
  rapidjson::Document lease;
  lease.CopyFrom(current.json(), lease.GetAllocator());
  auto& allocator = lease.GetAllocator();
  auto spec = lease.FindMember("spec");
  if (spec == lease.MemberEnd() || !spec->value.IsObject()) {
    set_member(lease, "spec", rapidjson::Value(rapidjson::kObjectType), allocator);
    spec = lease.FindMember("spec");
  }
  write_record(spec->value, record, allocator);
  return json::serialize(lease);
}

}  // namespace switchyard::kube
