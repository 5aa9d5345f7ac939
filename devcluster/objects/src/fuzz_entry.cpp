#include "switchyard/devcluster/objects/fuzz_entry.h"

#include <string_view>

#include "switchyard/devcluster/objects/json_document.h"
#include "switchyard/devcluster/objects/json_patch.h"
#include "switchyard/devcluster/objects/merge_patch.h"
#include "switchyard/devcluster/objects/server_side_apply.h"
#include "switchyard/devcluster/objects/strategic_merge.h"
#include "switchyard/devcluster/objects/yaml_json.h"

namespace switchyard::devcluster::objects {
namespace {

constexpr std::string_view kFallbackTarget =
    R"({"apiVersion":"switchyard.io/v1alpha1","kind":"FailoverService",)"
    R"("metadata":{"name":"web","namespace":"demo","labels":{"app":"web"}},)"
    R"("spec":{"backingServices":[{"cluster":"east","namespace":"demo","name":"web"},)"
    R"({"cluster":"west","namespace":"demo","name":"web","priority":1}],"consumers":["east"]}})";

}  // namespace

int fuzz_apply_patch(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const int selector = data[0] % 4;
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  std::size_t split = rest.find('\n');
  std::string_view target_text = split == std::string_view::npos ? kFallbackTarget
                                                                 : rest.substr(0, split);
  std::string_view patch_text = split == std::string_view::npos ? rest : rest.substr(split + 1);

  rapidjson::Document target;
  if (parse_json(target_text, target)) {
    if (parse_json(kFallbackTarget, target)) return 0;
  }
  rapidjson::Document patch;
  // Apply bodies may be YAML; the other patch types are JSON only.
  const bool parse_failed = selector == 3 ? yaml_to_json(patch_text, patch).has_value()
                                          : parse_json(patch_text, patch).has_value();
  if (parse_failed) return 0;
  switch (selector) {
    case 0:
      (void)apply_merge_patch(target, patch);
      break;
    case 1:
      (void)apply_json_patch(target, patch);
      break;
    case 2:
      // Deployment metadata reaches every list strategy and directive.
      (void)apply_strategic_merge_patch(target, patch, strategic_patch_meta("apps", "Deployment"));
      break;
    default: {
      static const ApplyListTypes kDeploymentLists = apply_list_types(*strategic_patch_meta("apps", "Deployment"));
      ApplyOptions options;
      options.manager = "fuzz";
      options.api_version = "apps/v1";
      options.now = "2026-01-01T00:00:00Z";
      options.force = (size & 1) != 0;
      options.list_types = &kDeploymentLists;
      // Twice, so the second run exercises removal of dropped fields.
      (void)server_side_apply(target, patch, options);
      (void)server_side_apply(target, patch, options);
      break;
    }
  }
  // Serialising the result exercises every value the patch produced.
  (void)to_json(target);
  return 0;
}

}  // namespace switchyard::devcluster::objects
