#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <thread>
#include <vector>

#include "switchyard/telemetry/free_memory_releaser.h"

using namespace switchyard;
using namespace std::chrono_literals;

namespace {

// Resident pages of this process, in bytes (/proc/self/statm, second field).
long resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  long size = 0, resident = 0;
  statm >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

bool wait_for_releases(const telemetry::FreeMemoryReleaser& releaser, std::uint64_t count) {
  for (int i = 0; i < 500 && releaser.releases() < count; ++i) std::this_thread::sleep_for(10ms);
  return releaser.releases() >= count;
}

}  // namespace

TEST_CASE("freed heap pages pinned below a live allocation are given back", "[telemetry]") {
  // 32 MiB in 16 KiB blocks (below the mmap threshold, so from the heap),
  // then one more above them that stays allocated (as large, so that no
  // earlier free chunk can take it): glibc cannot trim past it, so freeing
  // the blocks alone leaves their pages resident.
  constexpr std::size_t kBlock = 16 * 1024, kBlocks = 2048;
  std::vector<void*> blocks;
  blocks.reserve(kBlocks);
  for (std::size_t i = 0; i < kBlocks; ++i) {
    blocks.push_back(std::malloc(kBlock));
    std::memset(blocks.back(), 1, kBlock);
  }
  // Written through a volatile pointer: an allocation nothing reads may be
  // left out by the compiler, and then nothing pins the blocks.
  auto* volatile pin = static_cast<char*>(std::malloc(kBlock));
  pin[0] = 1;
  const auto allocated = resident_bytes();  // also keeps the writes above from being optimised away
  for (auto* block : blocks) std::free(block);
  const auto before = resident_bytes();
  REQUIRE(before > allocated - static_cast<long>(kBlock * kBlocks / 2));  // free() alone kept them

  telemetry::FreeMemoryReleaser releaser(10ms);
  releaser.start();
  REQUIRE(wait_for_releases(releaser, 2));
  const auto after = resident_bytes();
  releaser.stop();
  std::free(pin);
  INFO("resident before " << before << " B, after " << after << " B");
  CHECK(before - after >= static_cast<long>(kBlock * kBlocks / 2));
}

TEST_CASE("the releaser stops at once, not at its next interval", "[telemetry]") {
  telemetry::FreeMemoryReleaser releaser(std::chrono::hours(1));
  releaser.start();
  const auto asked = std::chrono::steady_clock::now();
  releaser.stop();
  CHECK(std::chrono::steady_clock::now() - asked < 5s);
  CHECK(releaser.releases() == 0);
  releaser.stop();  // twice is harmless
}
