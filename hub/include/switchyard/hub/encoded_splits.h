// A cluster's encoded TrafficSplits, in order, kept in chunks that copies
// share: copying the list (a published revision's snapshot) copies a few
// dozen pointers, and changing one TrafficSplit copies only its chunk when a
// snapshot still holds it. So a failover costs the same whatever the number
// of TrafficSplits in the cluster.
//
// Thread-safety: a copy may be read on any thread while the original is
// changed on its owner's; each object itself is changed by one thread.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace switchyard::hub {

class EncodedSplits {
 public:
  EncodedSplits() = default;
  explicit EncodedSplits(std::vector<std::string> pieces);

  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] std::size_t bytes() const { return bytes_; }
  [[nodiscard]] const std::string& at(std::size_t index) const;
  void insert(std::size_t index, std::string piece);
  void erase(std::size_t index);

  template <typename Visit>
  void for_each(Visit&& visit) const {
    for (const auto& chunk : chunks_) {
      for (const auto& piece : *chunk) visit(piece);
    }
  }

 private:
  using Chunk = std::vector<std::string>;
  static constexpr std::size_t kChunk = 128;  // pieces per chunk as built; split at twice that

  // The chunk holding `index` (or, for index == size(), the last) and the offset in it.
  [[nodiscard]] std::pair<std::size_t, std::size_t> locate(std::size_t index) const;
  // Chunk `at`, copied first if a copy of this list shares it.
  Chunk& writable(std::size_t at);

  std::vector<std::shared_ptr<Chunk>> chunks_;
  std::size_t size_ = 0;
  std::size_t bytes_ = 0;
};

}  // namespace switchyard::hub
