// Engine::Impl::prefetch: the state one decision reads, requested ahead.
//
// At 10,000 FailoverServices and more nothing of a random record is in
// cache, and a decision walks pointers (record -> its consumers -> their
// vectors, backing -> its service's health), so its cache and TLB misses
// would follow one another: about 20 lines of 64 bytes that miss per event
// (callgrind, docs/benchmarks.md "Decision engine"). Requesting each address
// first, with nothing waiting on the result, lets the processor have them in
// flight at once. A prefetch is only a hint: it changes no result.
#include "engine_impl.h"

namespace switchyard::core {
namespace {

// Every cache line of `bytes` bytes at `at`.
void prefetch_lines(const void* at, std::size_t bytes) {
  const auto* first = static_cast<const char*>(at);
  for (std::size_t offset = 0; offset < bytes; offset += 64) __builtin_prefetch(first + offset);
  __builtin_prefetch(first + bytes - 1);
}

template <class T>
void prefetch_vector(const std::vector<T>& items) {
  if (!items.empty()) prefetch_lines(items.data(), items.size() * sizeof(T));
}

// The bytes of `object` before its member `end`: the part every decision reads.
template <class T, class Member>
void prefetch_head(const T& object, const Member& end) {
  prefetch_lines(&object, static_cast<std::size_t>(reinterpret_cast<const char*>(&end) -
                                                   reinterpret_cast<const char*>(&object)));
}

}  // namespace

void Engine::Impl::prefetch(const Record& record) const {
  prefetch_head(record, record.fos);
  prefetch_vector(record.backings);
  for (const auto& consumer : record.consumers) prefetch_head(consumer, consumer.backend_names);
  prefetch_vector(record.priorities);
  prefetch_vector(record.group_of);
  for (const auto& backing : record.backings) __builtin_prefetch(&health[backing.service]);
  for (const auto& consumer : record.consumers) {
    prefetch_vector(consumer.mirrors);
    prefetch_vector(consumer.weights);
    prefetch_vector(consumer.omitted);
    prefetch_vector(consumer.usable_since);
    prefetch_vector(consumer.line.carrying);
    prefetch_vector(consumer.line.because);
  }
  for (const auto& consumer : record.consumers) {
    for (const auto mirror : consumer.mirrors) {
      if (mirror != kNoService) __builtin_prefetch(&health[mirror]);
    }
  }
}

}  // namespace switchyard::core
