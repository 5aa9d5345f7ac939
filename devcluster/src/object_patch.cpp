#include "object_patch.h"

#include "json_util.h"
#include "switchyard/devcluster/objects/json_patch.h"
#include "switchyard/devcluster/objects/merge_patch.h"
#include "switchyard/devcluster/objects/server_side_apply.h"
#include "switchyard/devcluster/objects/strategic_merge.h"

namespace switchyard::devcluster {

PatchKind patch_kind(const std::string& content_type) {
  if (content_type == "application/json-patch+json") return PatchKind::kJson;
  if (content_type == "application/merge-patch+json") return PatchKind::kMerge;
  if (content_type == "application/strategic-merge-patch+json") return PatchKind::kStrategicMerge;
  if (content_type == "application/apply-patch+yaml" || content_type == "application/apply-patch+cbor") {
    return PatchKind::kApply;
  }
  return PatchKind::kUnsupported;
}

namespace {

ApiError to_api_error(const objects::PatchError& error, const ResourceType& type, const std::string& name) {
  switch (error.kind) {
    case objects::PatchErrorKind::kMalformed:
      return bad_request(error.message);
    case objects::PatchErrorKind::kNotApplicable:
    case objects::PatchErrorKind::kTestFailed:
      return ApiError{422, "Invalid", error.message, name, type.group, type.kind, {}};
    case objects::PatchErrorKind::kUnsupported:
      return unsupported_media_type(error.message);
    case objects::PatchErrorKind::kConflict:
      return ApiError{409, "Conflict", error.message, name, type.group, type.resource, {}};
  }
  return internal_error(error.message);
}

}  // namespace

std::optional<ApiError> apply_patch(PatchKind kind, const ResourceType& type, const ApiRequest& request,
                                    const std::string& subresource, const std::string& now,
                                    rapidjson::Document& target) {
  const rapidjson::Value& patch = *request.body;
  std::string name;
  if (const auto* metadata = member(target, "metadata")) {
    name = std::string(string_member(*metadata, "name").value_or(""));
  }
  objects::PatchOutcome outcome = objects::PatchOutcome::success();
  switch (kind) {
    case PatchKind::kJson:
      outcome = objects::apply_json_patch(target, patch);
      break;
    case PatchKind::kMerge:
      outcome = objects::apply_merge_patch(target, patch);
      break;
    case PatchKind::kStrategicMerge:
      // Custom resources have no patch metadata: the library refuses (415).
      outcome = objects::apply_strategic_merge_patch(target, patch, objects::strategic_patch_meta(type.group, type.kind));
      break;
    case PatchKind::kApply: {
      std::string manager = request.param("fieldManager").value_or("");
      if (manager.empty()) {
        return bad_request("PATCH " + type.qualified() + ": fieldManager is required for apply requests");
      }
      // The apply library expects metadata it can merge into; anything else
      // could not decode as an object on a real server either.
      if (const rapidjson::Value* applied_metadata = member(patch, "metadata");
          applied_metadata != nullptr && !applied_metadata->IsObject()) {
        return bad_request(type.kind + " in version \"" + type.version + "\" cannot be handled as a " + type.kind +
                           ": metadata: must be an object");
      }
      objects::ApplyListTypes lists;
      if (type.compiled_schema) {
        lists = objects::apply_list_types(*type.compiled_schema);
      } else if (const objects::StrategicPatchMeta* meta = objects::strategic_patch_meta(type.group, type.kind)) {
        lists = objects::apply_list_types(*meta);
      }
      objects::ApplyOptions options;
      options.manager = manager;
      options.api_version = type.api_version();
      options.subresource = subresource;
      options.now = now;
      options.force = parse_go_bool(request.param("force").value_or("false")).value_or(false);
      options.list_types = &lists;
      outcome = objects::server_side_apply(target, patch, options);
      break;
    }
    case PatchKind::kUnsupported:
      return unsupported_media_type("patch type " + request.content_type + " is not accepted by this server");
  }
  if (!outcome.ok()) return to_api_error(*outcome.error, type, name);
  return std::nullopt;
}

}  // namespace switchyard::devcluster
