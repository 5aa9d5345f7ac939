// Persistence for --data-dir: the whole store as one JSON file, written to a
// temporary file and renamed so a crash never leaves half a snapshot.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "json_util.h"

namespace switchyard::devcluster {

struct Snapshot {
  std::uint64_t resource_version = 0;
  std::vector<std::pair<std::string, ObjectPtr>> objects;  // storage key, object
};

[[nodiscard]] bool write_snapshot(const std::string& data_dir, const Snapshot& snapshot, std::string& error);
// A missing file is an empty snapshot, not an error. A file the store could
// not stand on is refused with a message naming it and the object: objects
// without metadata or a name, a resourceVersion newer than the file's own
// (versions would go backwards after the restart), the file's version past
// int64 (clients' versions would wrap), the same object twice.
[[nodiscard]] bool read_snapshot(const std::string& data_dir, Snapshot& snapshot, std::string& error);

}  // namespace switchyard::devcluster
