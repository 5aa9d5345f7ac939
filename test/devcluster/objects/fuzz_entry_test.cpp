#include "switchyard/devcluster/objects/fuzz_entry.h"

#include <cstdint>
#include <random>
#include <string>

#include <catch2/catch.hpp>

using namespace switchyard::devcluster::objects;

namespace {
int run(const std::string& input) {
  return fuzz_apply_patch(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
}
}  // namespace

TEST_CASE("fuzz entry survives crafted and random inputs", "[devcluster][objects][fuzz]") {
  for (char selector = 0; selector < 4; ++selector) {
    std::string prefix(1, selector);
    REQUIRE(run("") == 0);
    REQUIRE(run(prefix) == 0);
    REQUIRE(run(prefix + R"({"spec":{"a":1}})" + "\n" + R"({"spec":{"a":null}})") == 0);
    REQUIRE(run(prefix + R"([{"op":"move","from":"/spec","path":"/spec/a"}])") == 0);
    REQUIRE(run(prefix + "not json\n" + R"([{"op":"add","path":"/x/-","value":1}])") == 0);
    REQUIRE(run(prefix + R"({"spec":{"$patch":"delete","containers":[{"name":"a","$patch":"replace"}]}})") == 0);
    REQUIRE(run(prefix + std::string(5000, '[')) == 0);
  }
  // Seeded random mutations of a valid patch: the entry must simply return.
  std::mt19937 random(42);
  const std::string seeds[] = {
      std::string(1, '\1') + R"({"spec":{"list":[1,2,{"a":"b"}]}})" "\n"
                             R"([{"op":"copy","from":"/spec/list/2","path":"/spec/list/0"},{"op":"remove","path":"/spec/list/1"}])",
      std::string(1, '\2') + R"({"metadata":{"finalizers":["a"]},"spec":{"template":{"spec":{"containers":[{"name":"a"}]}}}})" "\n"
                             R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["a"]},"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"b"}],"containers":[{"name":"b","$patch":"delete"}]}}}})",
      std::string(1, '\3') + R"({"metadata":{"managedFields":[{"manager":"x","operation":"Update","fieldsV1":{"f:spec":{"f:a":{}}}}]},"spec":{"a":1}})" "\n"
                             "spec:\n  a: 2\n  template:\n    spec:\n      containers:\n      - name: web\n        image: x\n",
  };
  for (int round = 0; round < 3000; ++round) {
    std::string input = seeds[round % 3];
    for (int flips = 0; flips < 3; ++flips)
      input[random() % input.size()] = static_cast<char>(random() % 256);
    REQUIRE(run(input) == 0);
  }
}
