#include "field_set.h"

#include "switchyard/devcluster/objects/json_document.h"

namespace switchyard::devcluster::objects {
namespace {

void collect(const FieldSet& set, std::vector<std::string>& prefix, std::vector<std::vector<std::string>>& out) {
  for (const auto& [key, child] : set.children) {
    prefix.push_back(key);
    if (child.empty()) out.push_back(prefix);
    else collect(child, prefix, out);
    prefix.pop_back();
  }
}

}  // namespace

std::vector<std::vector<std::string>> FieldSet::leaves() const {
  std::vector<std::vector<std::string>> out;
  std::vector<std::string> prefix;
  collect(*this, prefix, out);
  return out;
}

bool FieldSet::contains(const std::vector<std::string>& path) const {
  const FieldSet* node = this;
  for (const std::string& key : path) {
    auto it = node->children.find(key);
    if (it == node->children.end()) return false;
    node = &it->second;
  }
  return node->empty();
}

bool FieldSet::has_prefix(const std::vector<std::string>& prefix) const {
  const FieldSet* node = this;
  for (const std::string& key : prefix) {
    auto it = node->children.find(key);
    if (it == node->children.end()) return false;
    node = &it->second;
  }
  return true;
}

void FieldSet::insert(const std::vector<std::string>& path) {
  FieldSet* node = this;
  for (const std::string& key : path) node = &node->children[key];
}

void FieldSet::erase(const std::vector<std::string>& path) {
  if (path.empty()) return;
  std::vector<FieldSet*> chain{this};
  for (const std::string& key : path) {
    auto it = chain.back()->children.find(key);
    if (it == chain.back()->children.end()) return;
    chain.push_back(&it->second);
  }
  // Remove the leaf, then every ancestor left empty by it.
  for (std::size_t i = path.size(); i-- > 0;) {
    chain[i]->children.erase(path[i]);
    if (!chain[i]->empty()) break;
  }
}

FieldSet field_set_from_json(const rapidjson::Value& fields_v1) {
  FieldSet set;
  if (!fields_v1.IsObject()) return set;
  for (const auto& member : fields_v1.GetObject())
    set.children[std::string(member.name.GetString(), member.name.GetStringLength())] =
        field_set_from_json(member.value);
  return set;
}

rapidjson::Value field_set_to_json(const FieldSet& set, rapidjson::Document::AllocatorType& allocator) {
  rapidjson::Value out(rapidjson::kObjectType);
  for (const auto& [key, child] : set.children)
    out.AddMember(rapidjson::Value(key.c_str(), static_cast<rapidjson::SizeType>(key.size()), allocator),
                  field_set_to_json(child, allocator), allocator);
  return out;
}

std::string field_path_text(const std::vector<std::string>& path) {
  std::string text;
  for (const std::string& key : path) {
    if (key.rfind("f:", 0) == 0) {
      text += "." + key.substr(2);
    } else if (key.rfind("k:", 0) == 0) {
      // k:{"name":"web"} -> [name="web"]
      rapidjson::Document keys;
      if (!parse_json(key.substr(2), keys) && keys.IsObject()) {
        text += "[";
        bool first = true;
        for (const auto& member : keys.GetObject()) {
          text += std::string(first ? "" : ",") + member.name.GetString() + "=" + to_json(member.value);
          first = false;
        }
        text += "]";
      }
    } else if (key.rfind("v:", 0) == 0) {
      text += "[=" + key.substr(2) + "]";
    }
  }
  return text;
}

}  // namespace switchyard::devcluster::objects
