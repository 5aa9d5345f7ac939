#include "decode.h"

#include "json_util.h"

namespace switchyard::kube {
namespace {

ApiError bad_response(std::string message) { return ApiError{0, "BadResponse", std::move(message), {}, {}}; }

}  // namespace

Result<ListPage> decode_list(std::string_view body, std::string_view what) {
  rapidjson::Document document;
  if (auto error = json::parse(body, document, what); !error.message.empty()) return error;
  if (!document.IsObject()) return bad_response(std::string(what) + ": expected a JSON object");
  ListPage page;
  if (const auto* metadata = json::find(document, "metadata"); metadata != nullptr) {
    page.resource_version = json::string_member(*metadata, "resourceVersion");
    page.continue_token = json::string_member(*metadata, "continue");
  }
  std::string kind = json::string_member(document, "kind");
  if (kind.size() > 4 && kind.compare(kind.size() - 4, 4, "List") == 0) kind.resize(kind.size() - 4);
  const std::string api_version = json::string_member(document, "apiVersion");
  const auto* items = json::find(document, "items");
  if (items == nullptr || items->IsNull()) return page;  // an empty list may omit or null items
  if (!items->IsArray()) return bad_response(std::string(what) + ": items: expected an array");
  page.items.reserve(items->Size());
  // Each item is completed in a scratch pool, reused, then copied once into
  // memory of its own size.
  rapidjson::MemoryPoolAllocator<> scratch;
  for (rapidjson::SizeType i = 0; i < items->Size(); ++i) {
    const auto& item = (*items)[i];
    if (!item.IsObject()) {
      return bad_response(std::string(what) + ": items[" + std::to_string(i) + "]: expected an object");
    }
    scratch.Clear();
    rapidjson::Value copy(item, scratch);
    if (!copy.HasMember("apiVersion") && !api_version.empty()) {
      copy.AddMember("apiVersion", rapidjson::Value(api_version.c_str(), scratch), scratch);
    }
    if (!copy.HasMember("kind") && !kind.empty()) {
      copy.AddMember("kind", rapidjson::Value(kind.c_str(), scratch), scratch);
    }
    page.items.push_back(std::make_shared<const Object>(copy, scratch.Size()));
  }
  return page;
}

Result<WatchEvent> decode_watch_line(std::string_view line) {
  rapidjson::Document document;
  if (auto error = json::parse(line, document, "watch event"); !error.message.empty()) return error;
  if (!document.IsObject()) return bad_response("watch event: expected a JSON object");
  const std::string type = json::string_member(document, "type");
  auto member = document.FindMember("object");
  if (member == document.MemberEnd() || !member->value.IsObject()) {
    return bad_response("watch event \"" + type + "\": object: expected a JSON object");
  }
  WatchEvent event;
  if (type == "ERROR") {
    event.type = WatchEvent::Type::Error;
    event.error = json::status_error_from(member->value, 500);
    if (event.error.reason.empty() && event.error.code == 410) event.error.reason = "Expired";
    return event;
  }
  if (type == "ADDED") {
    event.type = WatchEvent::Type::Added;
  } else if (type == "MODIFIED") {
    event.type = WatchEvent::Type::Modified;
  } else if (type == "DELETED") {
    event.type = WatchEvent::Type::Deleted;
  } else if (type == "BOOKMARK") {
    event.type = WatchEvent::Type::Bookmark;
  } else {
    return bad_response("watch event: type: unknown \"" + type + "\"");
  }
  // Make the object the document's root without copying: the memory stays
  // in the document's pool allocator, which the new root keeps.
  rapidjson::Value object;
  object.Swap(member->value);
  static_cast<rapidjson::Value&>(document).Swap(object);
  event.object = Object::adopt(std::move(document));
  return event;
}

}  // namespace switchyard::kube
