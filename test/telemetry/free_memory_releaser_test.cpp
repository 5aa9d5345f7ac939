#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include "switchyard/telemetry/free_memory_releaser.h"

using namespace switchyard;
using namespace std::chrono_literals;

namespace {

template <typename Count>
bool wait_until(Count count, std::uint64_t at_least) {
  for (int i = 0; i < 500 && count() < at_least; ++i) std::this_thread::sleep_for(10ms);
  return count() >= at_least;
}

}  // namespace

TEST_CASE("after the process has grown, freed heap pages pinned below a live allocation are given back",
          "[telemetry]") {
  constexpr std::size_t kBlock = 16 * 1024, kBlocks = 2048;  // 32 MiB
  // Its first look is 2 s after start: the allocations and frees below
  // take a few milliseconds (over 500 ms on a machine at load 70), so it
  // sees them done. It releases once 8 MiB have been added since it started.
  telemetry::FreeMemoryReleaser releaser(2s, 8 << 20);
  releaser.start();

  // 32 MiB in 16 KiB blocks (below the mmap threshold, so from the heap),
  // then one more above them that stays allocated (as large, so that no
  // earlier free chunk can take it): glibc cannot trim past it, so freeing
  // the blocks alone leaves their pages resident. Written through a
  // volatile pointer: an allocation nothing reads may be left out by the
  // compiler, and then nothing pins the blocks.
  std::vector<void*> blocks;
  blocks.reserve(kBlocks);
  for (std::size_t i = 0; i < kBlocks; ++i) {
    blocks.push_back(std::malloc(kBlock));
    std::memset(blocks.back(), 1, kBlock);
  }
  auto* volatile pin = static_cast<char*>(std::malloc(kBlock));
  pin[0] = 1;
  for (auto* block : blocks) std::free(block);
  const auto freed = telemetry::resident_bytes();
  const auto checks_before = releaser.checks();

  REQUIRE(wait_until([&] { return releaser.releases(); }, 1));
  const auto released = telemetry::resident_bytes();
  releaser.stop();
  std::free(pin);
  INFO("resident: after free() " << freed << " B, after the release " << released << " B; checks before "
                                 << checks_before);
  REQUIRE(checks_before == 0);  // the frees were done before it looked (else this run proves nothing)
  CHECK(freed - released >= static_cast<std::int64_t>(kBlock * kBlocks / 2));
}

TEST_CASE("a process that has not grown is left alone", "[telemetry]") {
  telemetry::FreeMemoryReleaser releaser(10ms, std::int64_t{1} << 40);
  releaser.start();
  REQUIRE(wait_until([&] { return releaser.checks(); }, 5));
  CHECK(releaser.releases() == 0);
}

TEST_CASE("the releaser stops at once, not at its next interval", "[telemetry]") {
  telemetry::FreeMemoryReleaser releaser(std::chrono::hours(1), 0);
  releaser.start();
  const auto asked = std::chrono::steady_clock::now();
  releaser.stop();
  CHECK(std::chrono::steady_clock::now() - asked < 5s);
  CHECK(releaser.checks() == 0);
  releaser.stop();  // twice is harmless
}
