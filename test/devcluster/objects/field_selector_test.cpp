#include "switchyard/devcluster/objects/field_selector.h"

#include <catch2/catch.hpp>

#include "test_json.h"

using namespace switchyard::devcluster::objects;
using objects_test::json;

TEST_CASE("field selectors parse, refuse unknown fields and match", "[devcluster][objects][selector]") {
  auto object = json(R"({"metadata":{"name":"web","namespace":"demo"}})");
  struct Case { const char* text; bool matches; };
  for (auto [text, matches] : {
           Case{"", true}, Case{"metadata.name=web", true}, Case{"metadata.name==web", true},
           Case{"metadata.name!=web", false}, Case{"metadata.namespace=demo,metadata.name=web", true},
           Case{"metadata.namespace=other", false}, Case{"metadata.name=", false},
       }) {
    INFO(text);
    auto parsed = parse_field_selector(text);
    INFO(parsed.error);
    REQUIRE(parsed.ok());
    REQUIRE(parsed.selector->matches(object) == matches);
  }
  SECTION("escaped separators in values") {
    auto parsed = parse_field_selector(R"(metadata.name=a\,b\=c)");
    REQUIRE(parsed.ok());
    REQUIRE(parsed.selector->requirements ==
            std::vector<FieldRequirement>{{"metadata.name", true, "a,b=c"}});
    REQUIRE(parsed.selector->matches(json(R"({"metadata":{"name":"a,b=c"}})")));
  }
  SECTION("errors") {
    REQUIRE(parse_field_selector("metadata.name").error ==
            "invalid selector: 'metadata.name'; can't understand 'metadata.name'");
    REQUIRE(parse_field_selector("spec.foo=x").error == "field label not supported: spec.foo");
    REQUIRE(parse_field_selector("metadata.name=a,").error ==
            "invalid selector: 'metadata.name=a,'; can't understand ''");
  }
  SECTION("kinds with more selectable fields") {
    auto parsed = parse_field_selector("involvedObject.name=web,type!=Normal",
                                       {"metadata.name", "metadata.namespace", "involvedObject.name", "type"});
    REQUIRE(parsed.ok());
    REQUIRE(parsed.selector->matches(json(R"({"involvedObject":{"name":"web"},"type":"Warning"})")));
    REQUIRE_FALSE(parsed.selector->matches(json(R"({"involvedObject":{"name":"web"},"type":"Normal"})")));
  }
  SECTION("an Event's source is source.component, else reportingComponent") {
    auto parsed = parse_field_selector("source=hub", event_selectable_fields());
    REQUIRE(parsed.ok());
    CHECK(parsed.selector->matches(json(R"({"source":{"component":"hub"},"reportingComponent":"other"})")));
    CHECK(parsed.selector->matches(json(R"({"reportingComponent":"hub"})")));
    CHECK_FALSE(parsed.selector->matches(json(R"({"source":{"component":"other"},"reportingComponent":"hub"})")));
    CHECK(parse_field_selector("involvedObject.fieldPath=x,reportingComponent=y", event_selectable_fields()).ok());
    CHECK(parse_field_selector("involvedObject.kind=x").error == "field label not supported: involvedObject.kind");
  }
}
