#include "switchyard/devcluster/objects/table.h"

#include <string>

#include <catch2/catch.hpp>

#include "crd_schemas.h"
#include "switchyard/devcluster/objects/column_path.h"
#include "switchyard/devcluster/objects/table_cells.h"
#include "test_json.h"

using namespace switchyard::devcluster::objects;
using objects_test::json;

namespace {
const char* kObject = R"({"apiVersion":"switchyard.io/v1alpha1","kind":"FailoverService",
  "metadata":{"name":"web","namespace":"demo","creationTimestamp":"2026-11-25T02:55:00Z","labels":{"app":"web","a.b/c":"x"}},
  "spec":{"backingServices":[{"cluster":"east","namespace":"demo","name":"web"},{"cluster":"west","namespace":"demo","name":"web"}]},
  "status":{"state":"FailedOver","active":[{"cluster":"west","weight":50},{"cluster":"north","weight":50}],
            "failoverCount":3,"conditions":[{"type":"Synced","status":"False"},{"type":"Ready","status":"True"}]}})";

std::vector<std::string> texts(const std::vector<const rapidjson::Value*>& values) {
  std::vector<std::string> out;
  for (const auto* value : values) out.push_back(jsonpath_text(*value));
  return out;
}
}  // namespace

TEST_CASE("column paths select what kubectl's printer columns show", "[devcluster][objects][table]") {
  auto object = json(kObject);
  struct Case { const char* path; std::vector<std::string> values; };
  for (const auto& [path, values] : std::vector<Case>{
           {".status.state", {"FailedOver"}},
           {"{.status.state}", {"FailedOver"}},
           {".spec.backingServices[0].cluster", {"east"}},
           {".spec.backingServices[-1].cluster", {"west"}},
           {".spec.backingServices[5].cluster", {}},
           {".status.active[*].cluster", {"west", "north"}},
           {".status.conditions[?(@.type==\"Ready\")].status", {"True"}},
           {".status.conditions[?(@.type!='Ready')].type", {"Synced"}},
           {".metadata.labels['a.b/c']", {"x"}},
           {".status.missing.deeper", {}},
           {".status.failoverCount", {"3"}},
           {".status.active[0]", {"map[cluster:west weight:50]"}},
           {".metadata.labels.*", {"web", "x"}},
       }) {
    INFO(path);
    auto parsed = parse_column_path(path);
    INFO(parsed.error);
    REQUIRE(parsed.ok());
    REQUIRE(texts(parsed.path->evaluate(object)) == values);
  }
  for (const char* bad : {"status", ".a[0", ".a[x]", ".a..b", ".a[?(@.x)]", "{.a"}) {
    INFO(bad);
    REQUIRE_FALSE(parse_column_path(bad).ok());
  }
}

TEST_CASE("human durations match apimachinery", "[devcluster][objects][table]") {
  struct Case { std::int64_t seconds; const char* text; };
  for (auto [seconds, text] : {Case{-5, "<invalid>"}, Case{-1, "0s"}, Case{0, "0s"}, Case{119, "119s"},
                               Case{120, "2m"}, Case{125, "2m5s"}, Case{600, "10m"}, Case{179 * 60, "179m"},
                               Case{3 * 3600, "3h"}, Case{3 * 3600 + 20 * 60, "3h20m"}, Case{47 * 3600, "47h"},
                               Case{52 * 3600, "2d4h"}, Case{9 * 86400, "9d"}, Case{800 * 86400, "2y70d"},
                               Case{3000 * 86400LL, "8y"}}) {
    INFO(seconds);
    REQUIRE(human_duration(seconds) == text);
  }
  REQUIRE(parse_rfc3339("1970-01-01T00:00:00Z") == 0);
  REQUIRE(parse_rfc3339("2026-11-25T03:00:00Z") == 1795575600);
  REQUIRE(parse_rfc3339("2026-11-25T04:00:00.123+01:00") == 1795575600);
  REQUIRE_FALSE(parse_rfc3339("2026-11-25 03:00:00").has_value());
  REQUIRE_FALSE(parse_rfc3339("yesterday").has_value());
}

TEST_CASE("cells are typed per column type", "[devcluster][objects][table]") {
  rapidjson::Document scratch;
  auto& allocator = scratch.GetAllocator();
  auto values = json(R"(["x", 3, 2.7, true, "2026-11-25T02:55:00Z", {"a":1}])");
  auto one = [&](int i) { return std::vector<const rapidjson::Value*>{&values[i]}; };
  const std::int64_t now = 1795575600;  // 2026-11-25T03:00:00Z
  REQUIRE(table_cell("string", one(0), now, allocator) == "x");
  REQUIRE(table_cell("string", {&values[0], &values[1]}, now, allocator) == "x,3");
  REQUIRE(table_cell("integer", one(1), now, allocator).GetInt64() == 3);
  REQUIRE(table_cell("integer", one(2), now, allocator).GetInt64() == 2);
  REQUIRE(table_cell("integer", one(0), now, allocator).IsNull());
  REQUIRE(table_cell("number", one(2), now, allocator).GetDouble() == 2.7);
  REQUIRE(table_cell("boolean", one(3), now, allocator).GetBool());
  REQUIRE(table_cell("boolean", one(0), now, allocator).IsNull());
  REQUIRE(table_cell("date", one(4), now, allocator) == "5m");
  REQUIRE(table_cell("date", one(0), now, allocator) == "<invalid>");
  REQUIRE(table_cell("date", one(1), now, allocator).IsNull());
  REQUIRE(table_cell("string", {}, now, allocator).IsNull());
}

TEST_CASE("a FailoverService Table has the CRD's printer columns", "[devcluster][objects][table]") {
  auto crd = objects_test::load_crd("failoverservice.yaml");
  auto columns = printer_columns_for_crd_version(crd["spec"]["versions"][0]);
  INFO(columns.error);
  REQUIRE(columns.ok());
  REQUIRE(columns.columns->size() == 5);
  auto object = json(kObject);
  TableOptions options;
  options.now_unix_seconds = 1795575600;
  options.resource_version = "42";
  auto table = build_table(*columns.columns, {&object}, options);
  REQUIRE(table["kind"] == "Table");
  REQUIRE(table["apiVersion"] == "meta.k8s.io/v1");
  REQUIRE(table["metadata"]["resourceVersion"] == "42");
  std::vector<std::string> names;
  for (const auto& definition : table["columnDefinitions"].GetArray()) names.push_back(definition["name"].GetString());
  REQUIRE(names == std::vector<std::string>{"Name", "Primary", "Active", "State", "Ready", "Age"});
  REQUIRE(table["columnDefinitions"][0]["format"] == "name");
  REQUIRE(table["columnDefinitions"][5]["type"] == "date");
  REQUIRE(table["columnDefinitions"][1]["priority"].GetInt() == 0);
  REQUIRE_JSON_EQ(table["rows"][0]["cells"], R"(["web","east","west,north","FailedOver","True","5m"])");
  REQUIRE(table["rows"][0]["object"]["kind"] == "PartialObjectMetadata");
  REQUIRE(table["rows"][0]["object"]["apiVersion"] == "meta.k8s.io/v1");
  REQUIRE(table["rows"][0]["object"]["metadata"]["name"] == "web");
  REQUIRE_FALSE(table["rows"][0]["object"].HasMember("spec"));

  SECTION("missing status gives null cells") {
    auto bare = json(R"({"metadata":{"name":"new","creationTimestamp":"2026-11-25T03:00:00Z"},"spec":{"backingServices":[{"cluster":"a"}]}})");
    auto bare_table = build_table(*columns.columns, {&bare}, options);
    REQUIRE_JSON_EQ(bare_table["rows"][0]["cells"], R"(["new","a",null,null,null,"0s"])");
  }
  SECTION("includeObject=Object and None, and watch rows without definitions") {
    options.include_object = TableObjectMode::kObject;
    auto full = build_table(*columns.columns, {&object}, options);
    REQUIRE(full["rows"][0]["object"] == object);
    options.include_object = TableObjectMode::kNone;
    options.include_column_definitions = false;
    auto none = build_table(*columns.columns, {&object, &object}, options);
    REQUIRE_FALSE(none["rows"][0].HasMember("object"));
    REQUIRE_FALSE(none.HasMember("columnDefinitions"));
    REQUIRE(none["rows"].Size() == 2);
  }
}

TEST_CASE("CRD versions without printer columns get Age, broken columns are refused", "[devcluster][objects][table]") {
  auto plain = printer_columns_for_crd_version(json(R"({"name":"v1"})"));
  REQUIRE(plain.ok());
  REQUIRE(plain.columns->size() == 1);
  REQUIRE(plain.columns->front().name == "Age");
  auto broken = printer_columns_for_crd_version(
      json(R"({"additionalPrinterColumns":[{"name":"A","type":"string","jsonPath":".a"},{"name":"B","type":"string","jsonPath":".b[x]"}]})"));
  REQUIRE_FALSE(broken.ok());
  REQUIRE(broken.error.rfind("additionalPrinterColumns[1].jsonPath: unsupported subscript [x]", 0) == 0);
  auto missing = printer_columns_for_crd_version(json(R"({"additionalPrinterColumns":[{"name":"A","type":"string"}]})"));
  REQUIRE(missing.error == "additionalPrinterColumns[0].jsonPath: Required value");
}

TEST_CASE("a table of 10000 objects", "[devcluster][objects][table]") {
  auto crd = objects_test::load_crd("failoverservice.yaml");
  auto columns = printer_columns_for_crd_version(crd["spec"]["versions"][0]);
  REQUIRE(columns.ok());
  auto object = json(kObject);
  std::vector<const rapidjson::Value*> objects(10000, &object);
  auto table = build_table(*columns.columns, objects, TableOptions{});
  REQUIRE(table["rows"].Size() == 10000);
  REQUIRE(table["rows"][9999]["cells"][2] == "west,north");
}
