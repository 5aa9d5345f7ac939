// The API server's rules for what a write may change: system metadata the
// server owns, the status subresource split, generation bumps, and the
// defaults built-in kinds get. Pure functions over RapidJSON documents.
#pragma once

#include <rapidjson/document.h>

#include <functional>
#include <optional>
#include <string>

#include "api_error.h"
#include "resource_types.h"

namespace switchyard::devcluster {

// What the outside world decides for a new object.
struct ObjectIdentity {
  std::string uid;
  std::string creation_timestamp;  // RFC 3339, UTC, seconds
};

// Checks apiVersion/kind (filled when absent), metadata.namespace against
// the URL (filled when absent) and metadata.name against the URL (when the
// URL names one). `name_from_url` empty for creates.
[[nodiscard]] std::optional<ApiError> check_body_identity(const ResourceType& type, const std::string& url_namespace,
                                                          const std::string& name_from_url,
                                                          rapidjson::Document& body);

// Server-owned metadata for a create: uid, creationTimestamp, generation;
// resourceVersion, deletionTimestamp dropped; status dropped when the kind
// has a status subresource; built-in defaults applied.
void prepare_create(const ResourceType& type, const ObjectIdentity& identity, rapidjson::Document& object);

// The object a write of `incoming` to `existing` stores: the main resource
// keeps the old status (when the kind has a status subresource) and the
// server-owned metadata; a status write takes only .status. generation is
// bumped when anything outside metadata and status changed.
[[nodiscard]] std::unique_ptr<rapidjson::Document> merge_update(const ResourceType& type,
                                                                const rapidjson::Value& existing,
                                                                const rapidjson::Value& incoming,
                                                                bool status_write);

// Equal apart from metadata.resourceVersion and metadata.managedFields:
// such a write changes nothing and bumps nothing.
[[nodiscard]] bool same_object(const rapidjson::Value& a, const rapidjson::Value& b);

// The object as `type`'s version serves it: custom resources of several
// versions convert with strategy None (only apiVersion changes).
[[nodiscard]] std::shared_ptr<const rapidjson::Document> served_as(const ResourceType& type,
                                                                   std::shared_ptr<const rapidjson::Document> object);

// Secrets as the API server decodes them on every write: each `stringData`
// entry is base64-encoded into `data` (winning over a `data` entry of the
// same key) and `stringData` is never stored; `type` defaults to Opaque.
// 400 when stringData is not a map of strings.
[[nodiscard]] std::optional<ApiError> fold_secret_string_data(const ResourceType& type, rapidjson::Document& object);

[[nodiscard]] std::string metadata_string(const rapidjson::Value& object, std::string_view key);
[[nodiscard]] bool has_finalizers(const rapidjson::Value& object);

// "5" -> 5; nullopt when not a decimal resourceVersion.
[[nodiscard]] std::optional<std::uint64_t> parse_resource_version(const std::string& text);

// Name for generateName: prefix + 5 characters from Kubernetes' alphabet.
[[nodiscard]] std::string generated_name(const std::string& prefix, std::uint64_t random);

}  // namespace switchyard::devcluster
