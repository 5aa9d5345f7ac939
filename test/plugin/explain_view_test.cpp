// explain's view: core::explain's lines under their rules' headings.
#include <catch2/catch.hpp>

#include "json_fixture.h"
#include "switchyard/plugin/explain_view.h"

using namespace switchyard;
using namespace switchyard::plugin;
using switchyard::plugin::testing::json;

TEST_CASE("explain prints each finding under its rule, and the same as JSON", "[plugin]") {
  const core::ObjectKey key{"shop", "checkout"};
  const std::vector<core::ExplainLine> lines{{"state", "FailedOver: west down"},
                                             {"1", "west/shop/checkout: Unhealthy"},
                                             {"4", "in east: priority group 0 has no usable member"}};
  CHECK(explain_text(key, lines) ==
        "FailoverService shop/checkout\n"
        "  state               FailedOver: west down\n"
        "  rule 1 health       west/shop/checkout: Unhealthy\n"
        "  rule 4 failback     in east: priority group 0 has no usable member\n");
  const auto machine = json(explain_json(key, lines).c_str());
  CHECK(std::string(machine["name"].GetString()) == "checkout");
  REQUIRE(machine["lines"].Size() == 3);
  CHECK(std::string(machine["lines"][1]["rule"].GetString()) == "1");
  CHECK(std::string(machine["lines"][2]["text"].GetString()) == "in east: priority group 0 has no usable member");
}
