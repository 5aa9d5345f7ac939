#include "service_index.h"

namespace switchyard::core {
namespace {

constexpr std::uint64_t kEmpty = UINT64_MAX;

// FNV-1a: short names (tens of bytes) hash in a few dozen cycles.
void mix(std::uint64_t& h, std::string_view bytes) {
  for (const char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
}

}  // namespace

std::uint64_t ServiceIndex::hash(std::string_view namespace_name, std::string_view name, ServiceRole role) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  mix(h, namespace_name);
  mix(h, role == ServiceRole::Local ? std::string_view("/L/") : std::string_view("/M/"));
  mix(h, name);
  // The high half picks the slot and is the tag: fold the low bits into it.
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 32;
  return h;
}

void ServiceIndex::insert(std::uint64_t hash, ServiceId id) {
  // At most half full, so probes stay short.
  if ((count_ + 1) * 2 > slots_.size()) {
    std::vector<std::uint64_t> old(slots_.size() < 8 ? 16 : slots_.size() * 2, kEmpty);
    old.swap(slots_);
    for (const auto slot : old) {
      if (slot != kEmpty) place(slot);
    }
  }
  place((hash & 0xffffffff00000000ULL) | id);
  ++count_;
}

void ServiceIndex::place(std::uint64_t slot) {
  const auto mask = slots_.size() - 1;
  for (auto i = static_cast<std::size_t>(slot >> 32) & mask;; i = (i + 1) & mask) {
    if (slots_[i] == kEmpty) {
      slots_[i] = slot;
      return;
    }
  }
}

}  // namespace switchyard::core
