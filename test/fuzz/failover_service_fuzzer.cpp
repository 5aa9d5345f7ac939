// libFuzzer target: a FailoverService object as the API serves it, through
// the core's parser (core/src/parse.cpp) and validation against a fleet.
//
// Checked (a violation traps, which libFuzzer reports):
//   - the parser gives a value or at least one error, never both, and every
//     error has a message;
//   - parsing the text and parsing the same JSON already in a document (the
//     hub's informers hand it over that way) agree: same value or same errors;
//   - a parsed FailoverService validates against the fleet without throwing,
//     every problem of meaning names its field, and the mirror names it
//     implies can be made.
#include <rapidjson/document.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "switchyard/core/parse.h"

namespace {

using namespace switchyard::core;

const std::set<std::string, std::less<>> kFleet = {"east", "west", "central"};

void check_errors(const std::vector<FieldError>& errors) {
  for (const auto& error : errors) {
    if (error.message.empty()) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto parsed = parse_failover_service(input);
  if (parsed.ok() != parsed.errors.empty()) std::abort();
  check_errors(parsed.errors);

  // Parsed as the kube client parses what informers hand the hub (iterative,
  // UTF-8 validated: kube/src/json_util.cpp).
  rapidjson::Document document;
  document.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(input.data(),
                                                                                         input.size());
  if (!document.HasParseError() && document.IsObject()) {
    const auto from_value = parse_failover_service(document);
    if (from_value.ok() != parsed.ok()) std::abort();
    if (parsed.ok() ? !(*from_value.value == *parsed.value) : from_value.errors != parsed.errors) {
      std::abort();
    }
  }
  if (!parsed.ok()) return 0;

  const auto& fos = *parsed.value;
  const auto problems = validate_failover_service(fos, kFleet);
  check_errors(problems);
  for (const auto& problem : problems) {
    if (problem.field.empty()) std::abort();
  }
  if (!problems.empty() && describe(fos.key, problems).empty()) std::abort();
  for (const auto& backing : fos.spec.backing_services) {
    (void)mirror_name(fos.spec.mirror_name_template, backing);
  }
  return 0;
}
