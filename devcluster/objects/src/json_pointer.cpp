#include "switchyard/devcluster/objects/json_pointer.h"

#include "switchyard/devcluster/objects/json_document.h"

namespace switchyard::devcluster::objects {

std::optional<JsonPointer> parse_json_pointer(std::string_view text) {
  JsonPointer pointer;
  if (text.empty()) return pointer;
  if (text.front() != '/') return std::nullopt;
  std::string token;
  for (std::size_t i = 1; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '/') {
      pointer.tokens.push_back(std::move(token));
      token.clear();
      continue;
    }
    if (text[i] == '~') {
      if (i + 1 >= text.size() || (text[i + 1] != '0' && text[i + 1] != '1')) return std::nullopt;
      token += text[i + 1] == '0' ? '~' : '/';
      ++i;
      continue;
    }
    token += text[i];
  }
  return pointer;
}

std::string escape_pointer_token(std::string_view token) {
  std::string out;
  for (char c : token) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

std::optional<std::size_t> parse_array_index(std::string_view token) {
  if (token.empty() || token.size() > 18) return std::nullopt;
  if (token.size() > 1 && token[0] == '0') return std::nullopt;
  std::size_t index = 0;
  for (char c : token) {
    if (c < '0' || c > '9') return std::nullopt;
    index = index * 10 + static_cast<std::size_t>(c - '0');
  }
  return index;
}

rapidjson::Value* resolve_pointer(rapidjson::Value& root, const JsonPointer& pointer,
                                  std::size_t token_count) {
  rapidjson::Value* node = &root;
  for (std::size_t i = 0; i < token_count; ++i) {
    const std::string& token = pointer.tokens[i];
    if (node->IsObject()) {
      node = find_member(*node, token);
    } else if (node->IsArray()) {
      std::optional<std::size_t> index = parse_array_index(token);
      if (!index || *index >= node->Size()) return nullptr;
      node = &(*node)[static_cast<rapidjson::SizeType>(*index)];
    } else {
      return nullptr;
    }
    if (node == nullptr) return nullptr;
  }
  return node;
}

const rapidjson::Value* resolve_pointer(const rapidjson::Value& root, const JsonPointer& pointer) {
  return resolve_pointer(const_cast<rapidjson::Value&>(root), pointer, pointer.tokens.size());
}

}  // namespace switchyard::devcluster::objects
