// Operator overrides (api.md rule 4, issue 17): drain, pin and Observe mode,
// parsed with field-named errors and applied before group selection.
#include <catch2/catch.hpp>

#include <algorithm>

#include "engine_fixture.h"
#include "switchyard/core/overrides.h"
#include "switchyard/core/status.h"

using namespace switchyard::core;
using namespace switchyard::core::testing;
using R = ServiceRole;
using S = std::vector<std::string>;

namespace {

const std::string kBackings =
    R"("backingServices":[{"cluster":"west","namespace":"emojivoto","name":"web-svc"},)"
    R"({"cluster":"east","namespace":"emojivoto","name":"web-svc"}],"failback":{"delaySeconds":30})";

std::string spec_with(const std::string& extra) { return "{" + kBackings + "," + extra + "}"; }

// kStart + 600 s.
const std::string kPinUntil = "2023-11-14T22:23:20Z";

const std::string kPinEast = R"("pin":{"backend":{"cluster":"east","namespace":"emojivoto","name":"web-svc"}})";

std::string errors_of(const std::string& spec) {
  const auto parsed = parse_failover_service(fos_json(spec));
  CHECK_FALSE(parsed.ok());
  return parsed.message();
}

Drain drained(const std::string& reason) { return Drain{reason, "kubectl-patch", kStart}; }

const Condition* condition(const FosStatus& status, const std::string& type) {
  const auto it = std::find_if(status.conditions.begin(), status.conditions.end(),
                               [&](const Condition& c) { return c.type == type; });
  return it == status.conditions.end() ? nullptr : &*it;
}

}  // namespace

TEST_CASE("overrides: spec.pin and spec.mode are parsed", "[core][overrides]") {
  const auto fos = parse_ok(fos_json(spec_with(
      R"("mode":"Observe","pin":{"backend":{"cluster":"east","namespace":"emojivoto","name":"web-svc"},)"
      R"("until":")" + kPinUntil + R"(","force":true})")));
  CHECK(fos.spec.mode == Mode::Observe);
  REQUIRE(fos.spec.pin);
  CHECK(fos.spec.pin->backing == 1);
  CHECK(fos.spec.pin->until_ms == kStart + 600'000);
  CHECK(fos.spec.pin->force);
  const auto plain = parse_ok(fos_json(spec_with(R"("mode":"Enforce")")));
  CHECK(plain.spec.mode == Mode::Enforce);
  CHECK_FALSE(plain.spec.pin);
}

TEST_CASE("overrides: a pin naming a backend not in the list is refused with the field named",
          "[core][overrides]") {
  CHECK(errors_of(spec_with(R"("pin":{"backend":{"cluster":"north","namespace":"emojivoto","name":"web-svc"}})")) ==
        "spec.pin.backend: north/emojivoto/web-svc not in spec.backingServices");
  CHECK(errors_of(spec_with(R"("pin":{"backend":{"cluster":"east","name":"web-svc"}})")) ==
        "spec.pin.backend.namespace: required");
  CHECK(errors_of(spec_with(R"("pin":{"until":")" + kPinUntil + R"("})")) == "spec.pin.backend: required");
}

TEST_CASE("overrides: a bad pin expiry, force or mode is refused with the field named", "[core][overrides]") {
  CHECK_THAT(errors_of(spec_with(R"("pin":{"backend":{"cluster":"east","namespace":"emojivoto","name":"web-svc"},)"
                                 R"("until":"tomorrow"})")),
             Catch::StartsWith("spec.pin.until: must be an RFC 3339 time") && Catch::Contains("\"tomorrow\""));
  CHECK_THAT(errors_of(spec_with(R"("pin":{"backend":{"cluster":"east","namespace":"emojivoto","name":"web-svc"},)"
                                 R"("until":"2026-13-45T99:00:00Z"})")),
             Catch::StartsWith("spec.pin.until:"));
  CHECK_THAT(errors_of(spec_with(R"("pin":{"backend":{"cluster":"east","namespace":"emojivoto","name":"web-svc"},)"
                                 R"("force":"yes"})")),
             Catch::StartsWith("spec.pin.force:"));
  CHECK(errors_of(spec_with(R"("mode":"Dry")")) == "spec.mode: must be Enforce or Observe, got \"Dry\"");
}

TEST_CASE("overrides: a MemberCluster's drain names who asked from managedFields", "[core][overrides]") {
  rapidjson::Document doc;
  doc.Parse(R"({"metadata":{"name":"west","managedFields":[)"
            R"({"manager":"kubectl-create","time":"2026-12-04T10:00:00Z","fieldsV1":{"f:spec":{"f:tokenSecretRef":{}}}},)"
            R"({"manager":"kubectl-patch","time":"2026-12-04T11:00:00Z","fieldsV1":{"f:spec":{"f:drain":{".":{}}}}},)"
            R"({"manager":"kubectl-switchyard","time":"2026-12-04T12:00:00Z","fieldsV1":{"f:spec":{"f:drain":{"f:reason":{}}}}},)"
            R"("junk"]},"spec":{"drain":{"reason":"node pool upgrade"}}})");
  const auto drain = parse_drain(doc);
  REQUIRE(drain.ok());
  REQUIRE(*drain.value);
  CHECK((*drain.value)->reason == "node pool upgrade");
  CHECK((*drain.value)->manager == "kubectl-switchyard");
  CHECK(describe_drain(**drain.value) == "drained by kubectl-switchyard at 2026-12-04T12:00:00Z: node pool upgrade");

  doc.Parse(R"({"metadata":{"name":"west"},"spec":{"tokenSecretRef":{}}})");
  const auto none = parse_drain(doc);
  REQUIRE(none.ok());
  CHECK_FALSE(*none.value);
  doc.Parse(R"({"metadata":{"name":"west"},"spec":{"drain":true}})");
  CHECK(parse_drain(doc).message() == "spec.drain: must be an object such as {reason: \"node pool upgrade\"}");
  doc.Parse(R"({"metadata":{"name":"west"},"spec":{"drain":{"reason":7}}})");
  CHECK_THAT(parse_drain(doc).message(), Catch::StartsWith("spec.drain.reason:"));
}

TEST_CASE("overrides: drain moves every consumer off the cluster at once, undrain returns after the delay",
          "[core][overrides]") {
  Fleet fleet({"west", "east"});
  fleet.apply(kTwoClusterSpec);
  all_healthy(fleet);
  fleet.engine.set_drain(fleet.engine.cluster_id("west"), drained("node pool upgrade"));
  fleet.evaluate();
  CHECK(fleet.split("west") == S{"web-svc=0", "web-svc-east=1"});
  CHECK(fleet.split("east") == S{"web-svc-west=0", "web-svc=1"});
  CHECK(fleet.event_reasons() == S{"FailedOver", "FailedOver"});
  CHECK_THAT(fleet.events.front().message, Catch::Contains("cluster west is drained"));
  CHECK_THAT(fleet.status().message, Catch::Contains("cluster west is drained"));

  // Its agent keeps reporting, healthy: still drained.
  fleet.advance(60);
  all_healthy(fleet);
  CHECK(fleet.split("west") == S{"web-svc=0", "web-svc-east=1"});

  fleet.engine.set_drain(fleet.engine.cluster_id("west"), std::nullopt);
  fleet.evaluate();
  fleet.advance(29);
  CHECK(fleet.split("west") == S{"web-svc=0", "web-svc-east=1"});
  CHECK(fleet.engine.next_deadline(fleet.now) == fleet.now + 1000);
  fleet.advance(1);
  CHECK(fleet.split("west") == S{"web-svc=1", "web-svc-east=0"});
  CHECK(fleet.split("east") == S{"web-svc-west=1", "web-svc=0"});
}

TEST_CASE("overrides: an undrain with Undrain::Now returns traffic at once, once", "[core][overrides]") {
  Fleet fleet({"west", "east"});
  fleet.apply(kTwoClusterSpec);
  all_healthy(fleet);
  const auto west = fleet.engine.cluster_id("west");
  fleet.engine.set_drain(west, drained("node pool upgrade"));
  fleet.evaluate();
  fleet.advance(5);
  REQUIRE(fleet.split("west") == S{"web-svc=0", "web-svc-east=1"});

  fleet.engine.set_drain(west, std::nullopt, Undrain::Now);
  fleet.evaluate();
  CHECK(fleet.split("west") == S{"web-svc=1", "web-svc-east=0"});
  CHECK(fleet.split("east") == S{"web-svc-west=1", "web-svc=0"});
  CHECK(fleet.event_reasons() == S{"FailedOver", "FailedOver", "FailedBack", "FailedBack"});

  SECTION("the next drain's plain undrain waits the delay again") {
    fleet.engine.set_drain(west, drained("again"));
    fleet.evaluate();
    fleet.advance(1);
    fleet.engine.set_drain(west, std::nullopt);
    fleet.evaluate();
    fleet.advance(29);
    CHECK(fleet.split("west") == S{"web-svc=0", "web-svc-east=1"});
    fleet.advance(1);
    CHECK(fleet.split("west") == S{"web-svc=1", "web-svc-east=0"});
  }
  SECTION("a backend not usable at the undrain waits the delay once it is") {
    fleet.engine.set_drain(west, drained("again"));
    fleet.evaluate();
    fleet.report("west", {{"web-svc", 0}, {"web-svc-east", 1, R::Mirror}});
    fleet.engine.set_drain(west, std::nullopt, Undrain::Now);
    fleet.evaluate();
    fleet.advance(1);
    all_healthy(fleet);
    fleet.advance(29);
    CHECK(fleet.split("west") == S{"web-svc=0", "web-svc-east=1"});
    fleet.advance(1);
    CHECK(fleet.split("west") == S{"web-svc=1", "web-svc-east=0"});
  }
}

TEST_CASE("overrides: the undrain-now annotation is read from a MemberCluster's metadata", "[core][overrides]") {
  rapidjson::Document doc;
  doc.Parse(R"({"metadata":{"name":"west","annotations":{"switchyard.io/undrain":"now"}},"spec":{}})");
  CHECK(undrain_of(doc) == Undrain::Now);
  doc.Parse(R"({"metadata":{"name":"west","annotations":{"switchyard.io/undrain":"later"}},"spec":{}})");
  CHECK(undrain_of(doc) == Undrain::AfterFailbackDelay);
  doc.Parse(R"({"metadata":{"name":"west"},"spec":{}})");
  CHECK(undrain_of(doc) == Undrain::AfterFailbackDelay);
  doc.Parse(R"({"metadata":{"name":"west","annotations":{"switchyard.io/undrain":true}}})");
  CHECK(undrain_of(doc) == Undrain::AfterFailbackDelay);
}

TEST_CASE("overrides: a new reason on a drained cluster moves nothing", "[core][overrides]") {
  Fleet fleet({"west", "east"});
  fleet.apply(kTwoClusterSpec);
  all_healthy(fleet);
  fleet.engine.set_drain(fleet.engine.cluster_id("west"), drained("upgrade"));
  fleet.evaluate();
  fleet.events.clear();
  fleet.engine.set_drain(fleet.engine.cluster_id("west"), drained("upgrade, day two"));
  fleet.evaluate();
  CHECK(fleet.last_changes.empty());
  CHECK(fleet.engine.drain(fleet.engine.cluster_id("west"))->reason == "upgrade, day two");
}

TEST_CASE("overrides: a pin moves traffic to its backend at once and back at expiry", "[core][overrides]") {
  Fleet fleet({"west", "east"});
  fleet.apply(kTwoClusterSpec);
  all_healthy(fleet);
  // Agents silent long enough to leave the pin's expiry the only deadline.
  fleet.apply(spec_with(R"("pin":{"backend":{"cluster":"east","namespace":"emojivoto","name":"web-svc"},)"
                        R"("until":")" + kPinUntil + R"("},)"
                        R"("health":{"unknownAfterSeconds":3000,"silentFailoverSeconds":3000})"));
  CHECK(fleet.split("west") == S{"web-svc=0", "web-svc-east=1"});
  CHECK(fleet.split("east") == S{"web-svc-west=0", "web-svc=1"});
  CHECK(fleet.event_reasons() == S{"Pinned", "Pinned"});  // not a failover
  auto status = fleet.status();
  CHECK(status.failover_count == 0);
  REQUIRE(condition(status, "Pinned"));
  CHECK(condition(status, "Pinned")->status == "True");
  CHECK(condition(status, "PinForced") == nullptr);

  // The hub wakes at expiry: the primary has been usable all along, so
  // automatic decisions bring traffic back at once.
  fleet.advance(500);
  CHECK(fleet.engine.next_deadline(fleet.now) == kStart + 600'000);
  fleet.now = kStart + 599'999;
  fleet.evaluate();
  CHECK(fleet.split("west") == S{"web-svc=0", "web-svc-east=1"});
  fleet.now = kStart + 600'000;
  fleet.evaluate();
  CHECK(fleet.split("west") == S{"web-svc=1", "web-svc-east=0"});
  CHECK(fleet.split("east") == S{"web-svc-west=1", "web-svc=0"});
  CHECK(fleet.event_reasons() == S{"Pinned", "Pinned", "Unpinned", "FailedBack", "Unpinned", "FailedBack"});
  CHECK_THAT(fleet.events[2].message, Catch::Contains("expired at 2023-11-14T22:23:20Z"));
  CHECK(condition(fleet.status(), "Pinned")->status == "False");
}

TEST_CASE("overrides: a pinned backend that is not usable gives way to automatic decisions", "[core][overrides]") {
  Fleet fleet({"west", "east"});
  fleet.apply(kTwoClusterSpec);
  all_healthy(fleet);
  fleet.apply(spec_with(kPinEast));
  CHECK(fleet.split("west") == S{"web-svc=0", "web-svc-east=1"});
  fleet.events.clear();
  fleet.report("east", {{"web-svc", 0}});
  CHECK(fleet.split("west") == S{"web-svc=1", "web-svc-east=0"});
  CHECK(fleet.split("east") == S{"web-svc-west=1", "web-svc=0"});
  REQUIRE_FALSE(fleet.events.empty());
  CHECK(fleet.events.front().reason == "Unpinned");
  CHECK_THAT(fleet.events.front().message, Catch::Contains("east/emojivoto/web-svc has 0 ready endpoints"));
  // Usable again: the pin decides again, at once.
  fleet.report("east", {{"web-svc", 2}});
  CHECK(fleet.split("west") == S{"web-svc=0", "web-svc-east=1"});
}

TEST_CASE("overrides: force pins even an unusable backend, with a Warning Event and condition", "[core][overrides]") {
  Fleet fleet({"west", "east"});
  fleet.apply(kTwoClusterSpec);
  all_healthy(fleet);
  fleet.report("east", {{"web-svc", 0}});
  fleet.apply(spec_with(R"("pin":{"backend":{"cluster":"east","namespace":"emojivoto","name":"web-svc"},"force":true})"));
  CHECK(fleet.split("west") == S{"web-svc=0", "web-svc-east=1"});
  CHECK(fleet.split("east") == S{"web-svc-west=0", "web-svc=1"});
  REQUIRE(fleet.events.size() == 2);
  CHECK(fleet.events[0].reason == "PinForced");
  CHECK(fleet.events[0].warning);
  CHECK_THAT(fleet.events[0].message, Catch::Contains("not usable: east/emojivoto/web-svc has 0 ready endpoints"));
  const auto status = fleet.status();
  REQUIRE(condition(status, "PinForced"));
  CHECK(condition(status, "PinForced")->status == "True");
  CHECK_THAT(condition(status, "PinForced")->message, Catch::Contains("in west, east"));
}

TEST_CASE("overrides: without force, a pin on an unusable backend decides nothing", "[core][overrides]") {
  Fleet fleet({"west", "east"});
  fleet.apply(kTwoClusterSpec);
  all_healthy(fleet);
  fleet.report("east", {{"web-svc", 0}});
  fleet.apply(spec_with(kPinEast));
  CHECK(fleet.split("west") == S{"web-svc=1", "web-svc-east=0"});
  CHECK(condition(fleet.status(), "Pinned")->status == "False");
}

TEST_CASE("overrides: Observe mode shows the decision and keeps the route as enforced, and Enforce applies at once",
          "[core][overrides]") {
  Fleet fleet({"west", "east"});
  fleet.apply(kTwoClusterSpec);
  all_healthy(fleet);
  fleet.apply(spec_with(R"("mode":"Observe")"));
  fleet.report("west", {{"web-svc", 0}});
  // The route stays as it was enforced...
  CHECK(fleet.split("west") == S{"web-svc=1", "web-svc-east=0"});
  CHECK(fleet.split("east") == S{"web-svc-west=1", "web-svc=0"});
  // ...while status shows what would apply.
  auto status = fleet.status();
  CHECK(status.state == FosState::FailedOver);
  REQUIRE(status.consumers.size() == 2);
  using W = ConsumerStatus::WouldApply;
  CHECK(status.consumers[0].would_apply ==
        std::vector<W>{{"west/emojivoto/web-svc", 0}, {"east/emojivoto/web-svc", 1}});
  REQUIRE(condition(status, "Observing"));
  CHECK_THAT(status_to_json(status), Catch::Contains(R"("wouldApply":[{"backend":"west/emojivoto/web-svc","weight":0})"));

  fleet.apply(spec_with(R"("mode":"Enforce")"));
  CHECK(fleet.split("west") == S{"web-svc=0", "web-svc-east=1"});
  CHECK(fleet.split("east") == S{"web-svc-west=0", "web-svc=1"});
  status = fleet.status();
  CHECK(status.consumers[0].would_apply.empty());
  CHECK(condition(status, "Observing") == nullptr);
}

TEST_CASE("overrides: a FailoverService created in Observe mode has no route at all", "[core][overrides]") {
  Fleet fleet({"west", "east"});
  fleet.apply(spec_with(R"("mode":"Observe")"));
  all_healthy(fleet);
  CHECK(fleet.split("west") == S{"<no split>"});
  CHECK(fleet.engine.assignment_for("west").splits.empty());
  CHECK(fleet.engine.assignment_for("east").splits.empty());
  CHECK(fleet.status().consumers[0].would_apply.size() == 2);
  fleet.apply(spec_with(R"("mode":"Enforce")"));
  CHECK(fleet.split("west") == S{"web-svc=1", "web-svc-east=0"});
}
