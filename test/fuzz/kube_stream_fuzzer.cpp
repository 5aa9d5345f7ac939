// libFuzzer target: what the kube client reads from an API server for an
// informer: a *List body (kube/src/decode.cpp) and a watch stream split into
// lines across arbitrary chunk boundaries, decoded event by event, and the
// events applied to an informer's store as informer_list_watch.cpp does.
//
// Input: one byte that sets the chunk size (1..256), then the bytes, which
// are decoded both as a list body and as a watch stream.
//
// Checked (a violation traps, which libFuzzer reports):
//   - a stream split into chunks yields the same lines as the stream whole;
//   - every decoded object re-parses from its own JSON (to_json);
//   - the store stays consistent: size() == list().size(), every listed
//     object is found by its key, and a DELETED event leaves it absent.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "decode.h"
#include "informer_store.h"
#include "switchyard/kube/object.h"

namespace {

using namespace switchyard::kube;

std::vector<std::string> lines_of(std::string_view stream, std::size_t chunk) {
  LineSplitter splitter;
  std::vector<std::string> lines;
  for (std::size_t at = 0; at < stream.size(); at += chunk) {
    (void)splitter.feed(stream.substr(at, chunk), [&](std::string_view line) {
      lines.emplace_back(line);
      return true;
    });
  }
  if (!splitter.remainder().empty()) lines.push_back(splitter.remainder());
  return lines;
}

void check_reparses(const ObjectPtr& object) {
  if (!object) return;
  if (!Object::parse(object->to_json()).ok()) std::abort();
}

void check_store(const InformerStore& store) {
  const auto listed = store.list();
  if (listed.size() != store.size()) std::abort();
  for (const auto& object : listed) {
    if (store.find(object->namespace_name(), object->name()) != object) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t chunk = std::size_t{data[0]} + 1;
  const std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);

  InformerStore store;
  auto list = decode_list(stream, "fuzz list");
  if (list.ok()) {
    for (const auto& item : list.value().items) check_reparses(item);
    (void)store.replace(list.value().items, list.value().resource_version);
    check_store(store);
  }

  const auto whole = lines_of(stream, stream.size() + 1);
  if (lines_of(stream, chunk) != whole) std::abort();
  for (const auto& line : whole) {
    auto event = decode_watch_line(line);
    if (!event.ok()) continue;
    auto& value = event.value();
    check_reparses(value.object);
    if (!value.object) continue;
    switch (value.type) {
      case WatchEvent::Type::Added:
      case WatchEvent::Type::Modified:
      case WatchEvent::Type::Deleted: {
        const auto what = value.type == WatchEvent::Type::Added      ? WatchChange::Added
                          : value.type == WatchEvent::Type::Modified ? WatchChange::Modified
                                                                     : WatchChange::Deleted;
        (void)store.apply(what, value.object);
        if (what == WatchChange::Deleted &&
            store.find(value.object->namespace_name(), value.object->name()) != nullptr) {
          std::abort();
        }
        break;
      }
      case WatchEvent::Type::Bookmark:
        store.bookmark(std::string(value.object->resource_version()));
        break;
      case WatchEvent::Type::Error:
        break;
    }
    check_store(store);
  }
  return 0;
}
