// One cluster's services by (namespace, name, role): the name lookup of every
// reported service (Engine::service_id). Internal to core/.
//
// Open addressing over (hash tag, id) pairs in one array per cluster, so a
// lookup hashes the name once, reads one cache line of slots and compares
// the name of the one candidate whose tag matches (whose state observe reads
// next anyway); no key string is built and nothing is allocated. Services
// are never removed (ids are permanent), so there are no tombstones.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "switchyard/core/engine.h"

namespace switchyard::core {

inline constexpr ServiceId kNoService = UINT32_MAX;

class ServiceIndex {
 public:
  [[nodiscard]] static std::uint64_t hash(std::string_view namespace_name, std::string_view name, ServiceRole role);

  // The id whose slot carries `hash` and for which `matches(id)` holds, or
  // kNoService.
  template <class Matches>
  [[nodiscard]] ServiceId find(std::uint64_t hash, Matches&& matches) const {
    if (slots_.empty()) return kNoService;
    const auto mask = slots_.size() - 1;
    const auto tag = static_cast<std::uint32_t>(hash >> 32);
    for (auto i = static_cast<std::size_t>(tag) & mask;; i = (i + 1) & mask) {
      const auto slot = slots_[i];
      const auto id = static_cast<ServiceId>(slot);
      if (id == kNoService) return kNoService;
      if (static_cast<std::uint32_t>(slot >> 32) == tag && matches(id)) return id;
    }
  }

  // `id` must not be in the index yet. The slot position comes from the
  // tag (the hash's high half), which the slot keeps, so growing rehashes
  // without the names.
  void insert(std::uint64_t hash, ServiceId id);

 private:
  void place(std::uint64_t hash_tag_slot);
  std::vector<std::uint64_t> slots_;  // tag << 32 | id; id kNoService: empty
  std::size_t count_ = 0;
};

}  // namespace switchyard::core
