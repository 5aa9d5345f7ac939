#include "switchyard/hub/encoded_splits.h"

#include <cassert>

namespace switchyard::hub {

EncodedSplits::EncodedSplits(std::vector<std::string> pieces) {
  for (std::size_t start = 0; start < pieces.size(); start += kChunk) {
    auto chunk = std::make_shared<Chunk>();
    const auto end = std::min(pieces.size(), start + kChunk);
    chunk->reserve(end - start);
    for (std::size_t i = start; i < end; ++i) {
      bytes_ += pieces[i].size();
      chunk->push_back(std::move(pieces[i]));
    }
    chunks_.push_back(std::move(chunk));
  }
  size_ = pieces.size();
}

std::pair<std::size_t, std::size_t> EncodedSplits::locate(std::size_t index) const {
  for (std::size_t at = 0; at < chunks_.size(); ++at) {
    if (index < chunks_[at]->size() || at + 1 == chunks_.size()) return {at, index};
    index -= chunks_[at]->size();
  }
  return {0, 0};
}

const std::string& EncodedSplits::at(std::size_t index) const {
  assert(index < size_);
  const auto [chunk, offset] = locate(index);
  return (*chunks_[chunk])[offset];
}

EncodedSplits::Chunk& EncodedSplits::writable(std::size_t at) {
  // Only this list's owner copies chunk pointers, so a count of one cannot
  // rise behind its back.
  if (chunks_[at].use_count() > 1) chunks_[at] = std::make_shared<Chunk>(*chunks_[at]);
  return *chunks_[at];
}

void EncodedSplits::insert(std::size_t index, std::string piece) {
  assert(index <= size_);
  bytes_ += piece.size();
  ++size_;
  if (chunks_.empty()) {
    chunks_.push_back(std::make_shared<Chunk>(Chunk{std::move(piece)}));
    return;
  }
  const auto [at, offset] = locate(index);
  auto& chunk = writable(at);
  chunk.insert(chunk.begin() + static_cast<std::ptrdiff_t>(offset), std::move(piece));
  if (chunk.size() >= 2 * kChunk) {
    auto tail = std::make_shared<Chunk>(std::make_move_iterator(chunk.begin() + kChunk),
                                        std::make_move_iterator(chunk.end()));
    chunk.resize(kChunk);
    chunks_.insert(chunks_.begin() + static_cast<std::ptrdiff_t>(at) + 1, std::move(tail));
  }
}

void EncodedSplits::erase(std::size_t index) {
  assert(index < size_);
  const auto [at, offset] = locate(index);
  auto& chunk = writable(at);
  bytes_ -= chunk[offset].size();
  --size_;
  chunk.erase(chunk.begin() + static_cast<std::ptrdiff_t>(offset));
  if (chunk.empty()) chunks_.erase(chunks_.begin() + static_cast<std::ptrdiff_t>(at));
}

}  // namespace switchyard::hub
