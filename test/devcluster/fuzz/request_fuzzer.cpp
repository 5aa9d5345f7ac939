// libFuzzer target: whole API requests through the devcluster's parsing and
// handling (path and query parsing, JSON/YAML body decoding, selectors,
// create/update/every patch type/delete/watch start, Table output), and the
// objects library's patch entry point on the same bytes.
//
// Input: four lines and a body:
//   METHOD\nPATH\nQUERY (k=v&k=v)\nCONTENT-TYPE\nBODY...
// One Api lives across inputs, so patches and updates meet objects that
// earlier inputs created; it is recreated when it grows large.
//
// Checked after every input (a violation traps, which libFuzzer reports):
// handle() answers with an HTTP status in 200..599 and a JSON body, the
// store's resourceVersion never goes backwards, and every stored object is a
// JSON object with metadata.name and a decimal metadata.resourceVersion.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "api.h"
#include "json_util.h"
#include "object_rules.h"
#include "switchyard/devcluster/objects/fuzz_entry.h"

namespace {

using switchyard::devcluster::Api;
using switchyard::devcluster::ApiRequest;
using switchyard::devcluster::ApiResponse;
using switchyard::devcluster::ObjectPtr;

constexpr std::size_t kMaxObjectsBeforeReset = 2000;

std::unique_ptr<Api> make_api() {
  Api::Options options;
  options.event_window = 64;
  options.clock = [] { return std::string("2026-01-01T00:00:00Z"); };
  options.seed = 1;
  auto api = std::make_unique<Api>(options);
  // A namespace and a CRD, so custom-resource paths and schemas are reachable.
  auto post = [&](const std::string& path, const char* json) {
    ApiRequest request;
    request.method = "POST";
    request.path = path;
    request.content_type = "application/json";
    request.body = std::make_unique<rapidjson::Document>();
    request.body->Parse(json);
    (void)api->handle(request);
  };
  post("/api/v1/namespaces", R"({"metadata":{"name":"fuzz"}})");
  post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", R"({
    "apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
    "metadata":{"name":"widgets.example.test"},
    "spec":{"group":"example.test","scope":"Namespaced",
      "names":{"plural":"widgets","singular":"widget","kind":"Widget","shortNames":["wd"]},
      "versions":[{"name":"v1","served":true,"storage":true,"subresources":{"status":{}},
        "additionalPrinterColumns":[{"name":"Size","type":"integer","jsonPath":".spec.size"}],
        "schema":{"openAPIV3Schema":{"type":"object","properties":{
          "spec":{"type":"object","required":["size"],"properties":{
            "size":{"type":"integer","minimum":0,"default":1},
            "name":{"type":"string","pattern":"^[a-z]+$","maxLength":10},
            "items":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["k"],
              "items":{"type":"object","required":["k"],"properties":{"k":{"type":"string"},"v":{"type":"integer"}}}}}},
          "status":{"type":"object","properties":{"state":{"type":"string","enum":["A","B"]}}}}}}}]}})");
  post("/apis/example.test/v1/namespaces/fuzz/widgets",
       R"({"apiVersion":"example.test/v1","kind":"Widget","metadata":{"name":"w"},"spec":{"size":2}})");
  post("/api/v1/namespaces/fuzz/secrets", R"({"metadata":{"name":"s"},"stringData":{"token":"t"}})");
  return api;
}

std::string_view take_line(std::string_view& rest) {
  std::size_t end = rest.find('\n');
  std::string_view line = rest.substr(0, end);
  rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  return line;
}

void check(bool condition) {
  if (!condition) __builtin_trap();
}

void check_store(Api& api, std::uint64_t& last_version) {
  std::uint64_t version = api.store().resource_version();
  check(version >= last_version);
  last_version = version;
  api.store().for_each([](const std::string&, const ObjectPtr& object) {
    check(object && object->IsObject());
    check(!switchyard::devcluster::metadata_string(*object, "name").empty());
    check(switchyard::devcluster::parse_resource_version(
              switchyard::devcluster::metadata_string(*object, "resourceVersion"))
              .has_value());
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static std::unique_ptr<Api> api = make_api();
  static std::uint64_t last_version = 0;
  static std::size_t requests = 0;

  // The objects library's patch entry point parses YAML without the
  // server's guard (json_util.h: yaml-cpp can loop forever on control
  // characters or broken UTF-8): give it only what the server would.
  std::string unsafe;
  bool control_characters = !switchyard::devcluster::yaml_safe_for_parser(
      std::string_view(reinterpret_cast<const char*>(data), size), unsafe);
  if (!control_characters) (void)switchyard::devcluster::objects::fuzz_apply_patch(data, size);

  std::string_view rest(reinterpret_cast<const char*>(data), size);
  ApiRequest request;
  request.method = std::string(take_line(rest));
  request.path = std::string(take_line(rest));
  std::string_view query = take_line(rest);
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    std::size_t eq = pair.find('=');
    request.query.emplace(std::string(pair.substr(0, eq)),
                          eq == std::string_view::npos ? std::string() : std::string(pair.substr(eq + 1)));
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
  }
  request.content_type = std::string(take_line(rest));
  request.accept = request.query.count("table") ? "application/json;as=Table;v=v1;g=meta.k8s.io" : "";
  if (!rest.empty()) {
    bool yaml = request.content_type.find("yaml") != std::string::npos;
    auto body = std::make_unique<rapidjson::Document>();
    std::string error;
    // A body that does not parse is a 400 before the API sees it.
    if (!switchyard::devcluster::parse_body(rest, yaml, *body, error)) return 0;
    request.body = std::move(body);
  }

  if (Api::is_watch(request)) {
    switchyard::devcluster::WatchStart start = api->start_watch(request);
    check(!start.error || (start.error->code >= 400 && start.error->code <= 599));
    api->store().close_watchers();
  } else {
    ApiResponse response = api->handle(request);
    check(response.status >= 200 && response.status <= 599);
    if (response.content_type.find("json") != std::string::npos) {
      rapidjson::Document parsed;
      parsed.Parse(response.body.c_str(), response.body.size());
      check(!parsed.HasParseError());
    }
  }
  check_store(*api, last_version);

  if (++requests % 256 == 0) {
    std::size_t objects = 0;
    api->store().for_each([&](const std::string&, const ObjectPtr&) { ++objects; });
    if (objects > kMaxObjectsBeforeReset) {
      api = make_api();
      last_version = 0;
    }
  }
  return 0;
}
