#include "snapshot_file.h"

#include "object_rules.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <tuple>

namespace switchyard::devcluster {

namespace {
std::string snapshot_path(const std::string& data_dir) { return data_dir + "/devcluster-store.json"; }

// etcd's revisions, and so every client's idea of a resourceVersion, are
// int64: a version past this would wrap for them (and the store's counter
// has nowhere left to go).
constexpr std::uint64_t kMaxResourceVersion = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());

// Checks what the store relies on for one restored object: metadata with a
// name, a resourceVersion the file's own does not precede. Returns the
// problem, or "" when there is none; `ns` and `name` are set on success.
std::string object_problem(const rapidjson::Value& object, std::uint64_t file_version, std::string& ns,
                           std::string& name) {
  const rapidjson::Value* metadata = member(object, "metadata");
  if (metadata == nullptr || !metadata->IsObject()) return "metadata (object) is required";
  auto found_name = string_member(*metadata, "name");
  if (!found_name || found_name->empty()) return "metadata.name (non-empty string) is required";
  name = std::string(*found_name);
  const rapidjson::Value* found_ns = member(*metadata, "namespace");
  if (found_ns != nullptr && !found_ns->IsString()) return "metadata.namespace must be a string";
  ns = found_ns != nullptr ? std::string(found_ns->GetString(), found_ns->GetStringLength()) : "";
  auto version_text = string_member(*metadata, "resourceVersion");
  if (!version_text) return "metadata.resourceVersion (string) is required";
  auto version = parse_resource_version(std::string(*version_text));
  if (!version || *version == 0) return "metadata.resourceVersion \"" + std::string(*version_text) + "\" is not a positive number";
  if (*version > file_version) {
    return "metadata.resourceVersion " + std::to_string(*version) + " is newer than the file's resourceVersion " +
           std::to_string(file_version) + " (the store's version would go backwards)";
  }
  return "";
}

}  // namespace

bool write_snapshot(const std::string& data_dir, const Snapshot& snapshot, std::string& error) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  std::string path = snapshot_path(data_dir);
  std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    if (!out) {
      error = "cannot write " + temporary;
      return false;
    }
    out << "{\"resourceVersion\":" << snapshot.resource_version << ",\"objects\":[";
    for (std::size_t i = 0; i < snapshot.objects.size(); ++i) {
      if (i > 0) out << ",\n";
      rapidjson::Value key(snapshot.objects[i].first.c_str(),
                           static_cast<rapidjson::SizeType>(snapshot.objects[i].first.size()));
      out << "{\"key\":" << to_json(key) << ",\"object\":" << to_json(*snapshot.objects[i].second) << "}";
    }
    out << "]}\n";
    if (!out.flush()) {
      error = "cannot write " + temporary;
      return false;
    }
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    error = "cannot rename " + temporary + " to " + path;
    return false;
  }
  return true;
}

bool read_snapshot(const std::string& data_dir, Snapshot& snapshot, std::string& error) {
  std::string path = snapshot_path(data_dir);
  std::ifstream in(path);
  if (!in) return true;
  std::stringstream text;
  text << in.rdbuf();
  rapidjson::Document document;
  if (!parse_body(text.str(), false, document, error)) {
    error = path + ": " + error;
    return false;
  }
  const rapidjson::Value* version = member(document, "resourceVersion");
  const rapidjson::Value* objects = member(document, "objects");
  if (version == nullptr || !version->IsUint64() || objects == nullptr || !objects->IsArray()) {
    error = path + ": resourceVersion (number) and objects (array) are required";
    return false;
  }
  snapshot.resource_version = version->GetUint64();
  if (snapshot.resource_version > kMaxResourceVersion) {
    error = path + ": resourceVersion " + std::to_string(snapshot.resource_version) + " is past " +
            std::to_string(kMaxResourceVersion) + ", where clients' resourceVersions wrap";
    return false;
  }
  std::set<std::tuple<std::string, std::string, std::string>> seen;  // key, namespace, name
  for (rapidjson::SizeType i = 0; i < objects->Size(); ++i) {
    const rapidjson::Value& entry = (*objects)[i];
    auto key = string_member(entry, "key");
    const rapidjson::Value* object = member(entry, "object");
    if (!key || object == nullptr || !object->IsObject()) {
      error = path + ": objects[" + std::to_string(i) + "]: key (string) and object (object) are required";
      return false;
    }
    std::string ns, name;
    std::string problem = object_problem(*object, snapshot.resource_version, ns, name);
    std::string where = path + ": objects[" + std::to_string(i) + "]";
    if (!name.empty()) where += " (" + std::string(*key) + " " + (ns.empty() ? "" : ns + "/") + name + ")";
    if (problem.empty() && !seen.emplace(std::string(*key), ns, name).second) problem = "appears twice";
    if (!problem.empty()) {
      error = where + ": " + problem + "; refusing to start from it";
      return false;
    }
    snapshot.objects.emplace_back(std::string(*key), ObjectPtr(copy_document(*object)));
  }
  return true;
}

}  // namespace switchyard::devcluster
