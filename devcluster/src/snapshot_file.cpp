#include "snapshot_file.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace switchyard::devcluster {

namespace {
std::string snapshot_path(const std::string& data_dir) { return data_dir + "/devcluster-store.json"; }
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
  for (rapidjson::SizeType i = 0; i < objects->Size(); ++i) {
    const rapidjson::Value& entry = (*objects)[i];
    auto key = string_member(entry, "key");
    const rapidjson::Value* object = member(entry, "object");
    if (!key || object == nullptr || !object->IsObject()) {
      error = path + ": objects[" + std::to_string(i) + "]: key (string) and object (object) are required";
      return false;
    }
    snapshot.objects.emplace_back(std::string(*key), ObjectPtr(copy_document(*object)));
  }
  return true;
}

}  // namespace switchyard::devcluster
