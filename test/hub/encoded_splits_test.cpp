// EncodedSplits against a plain vector: the same contents after any inserts
// and erases, and a copy taken earlier never sees later changes.
#include <catch2/catch.hpp>

#include <random>

#include "switchyard/hub/encoded_splits.h"

using switchyard::hub::EncodedSplits;

namespace {

std::vector<std::string> contents(const EncodedSplits& splits) {
  std::vector<std::string> out;
  splits.for_each([&](const std::string& piece) { out.push_back(piece); });
  return out;
}

std::size_t bytes_of(const std::vector<std::string>& pieces) {
  std::size_t bytes = 0;
  for (const auto& piece : pieces) bytes += piece.size();
  return bytes;
}

}  // namespace

TEST_CASE("encoded splits keep order through inserts and erases across chunks, and copies stay as they were",
          "[hub]") {
  std::mt19937 random(7);
  for (std::size_t initial : {0u, 1u, 127u, 128u, 1000u}) {
    std::vector<std::string> model;
    for (std::size_t i = 0; i < initial; ++i) model.push_back("s" + std::to_string(i));
    EncodedSplits splits(model);
    std::vector<std::pair<EncodedSplits, std::vector<std::string>>> snapshots;
    for (int step = 0; step < 3000; ++step) {
      if (!model.empty() && random() % 2 == 0) {
        const auto at = random() % model.size();
        model.erase(model.begin() + static_cast<std::ptrdiff_t>(at));
        splits.erase(at);
      } else {
        const auto at = random() % (model.size() + 1);
        auto piece = "n" + std::to_string(step) + std::string(random() % 5, 'x');
        model.insert(model.begin() + static_cast<std::ptrdiff_t>(at), piece);
        splits.insert(at, piece);
      }
      if (step % 500 == 0) snapshots.emplace_back(splits, model);
    }
    INFO("initial size " << initial);
    REQUIRE(splits.size() == model.size());
    CHECK(splits.bytes() == bytes_of(model));
    CHECK(contents(splits) == model);
    for (std::size_t i = 0; i < model.size(); i += 97) CHECK(splits.at(i) == model[i]);
    for (const auto& [snapshot, then] : snapshots) {
      CHECK(contents(snapshot) == then);
      CHECK(snapshot.size() == then.size());
    }
  }
}
