#include "switchyard/devcluster/objects/table.h"

#include <string_view>

#include "switchyard/devcluster/objects/json_document.h"
#include "switchyard/devcluster/objects/table_cells.h"

namespace switchyard::devcluster::objects {
namespace {

using Allocator = rapidjson::Document::AllocatorType;

// Descriptions the API server takes from ObjectMeta's documentation.
constexpr const char* kNameDescription =
    "Name must be unique within a namespace. Is required when creating resources, although some resources may "
    "allow a client to request the generation of an appropriate name automatically. Name is primarily intended "
    "for creation idempotence and configuration definition. Cannot be updated. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
constexpr const char* kCreationTimestampDescription =
    "CreationTimestamp is a timestamp representing the server time when this object was created. It is not "
    "guaranteed to be set in happens-before order across separate operations. Clients may not set this value. "
    "It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. "
    "More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

rapidjson::Value string_value(std::string_view text, Allocator& allocator) {
  return rapidjson::Value(text.data(), static_cast<rapidjson::SizeType>(text.size()), allocator);
}

rapidjson::Value column_definition(std::string_view name, std::string_view type, std::string_view format,
                                   std::string_view description, std::int32_t priority, Allocator& allocator) {
  rapidjson::Value definition(rapidjson::kObjectType);
  definition.AddMember("name", string_value(name, allocator), allocator);
  definition.AddMember("type", string_value(type, allocator), allocator);
  definition.AddMember("format", string_value(format, allocator), allocator);
  definition.AddMember("description", string_value(description, allocator), allocator);
  definition.AddMember("priority", priority, allocator);
  return definition;
}

}  // namespace

PrinterColumn age_column() {
  ParsedColumnPath path = parse_column_path(".metadata.creationTimestamp");
  return {"Age", "date", "", kCreationTimestampDescription, 0, std::move(*path.path)};
}

ParsedPrinterColumns printer_columns_for_crd_version(const rapidjson::Value& crd_version) {
  std::vector<PrinterColumn> columns;
  const rapidjson::Value* listed = find_member(crd_version, "additionalPrinterColumns");
  if (listed == nullptr || (listed->IsArray() && listed->Empty())) {
    columns.push_back(age_column());
    return {std::move(columns), {}};
  }
  if (!listed->IsArray()) return {std::nullopt, "additionalPrinterColumns: must be a list"};
  for (rapidjson::SizeType i = 0; i < listed->Size(); ++i) {
    const rapidjson::Value& entry = (*listed)[i];
    const std::string where = "additionalPrinterColumns[" + std::to_string(i) + "]";
    std::optional<std::string_view> name = string_member(entry, "name");
    std::optional<std::string_view> type = string_member(entry, "type");
    std::optional<std::string_view> json_path = string_member(entry, "jsonPath");
    if (!name) return {std::nullopt, where + ".name: Required value"};
    if (!type) return {std::nullopt, where + ".type: Required value"};
    if (!json_path) return {std::nullopt, where + ".jsonPath: Required value"};
    ParsedColumnPath path = parse_column_path(*json_path);
    if (!path.ok()) return {std::nullopt, where + ".jsonPath: " + path.error};
    PrinterColumn column{std::string(*name), std::string(*type),
                         std::string(string_member(entry, "format").value_or("")),
                         std::string(string_member(entry, "description").value_or("")), 0, std::move(*path.path)};
    if (const rapidjson::Value* priority = find_member(entry, "priority"); priority && priority->IsInt())
      column.priority = priority->GetInt();
    columns.push_back(std::move(column));
  }
  return {std::move(columns), {}};
}

rapidjson::Document build_table(const std::vector<PrinterColumn>& columns,
                                const std::vector<const rapidjson::Value*>& objects, const TableOptions& options) {
  rapidjson::Document table(rapidjson::kObjectType);
  Allocator& allocator = table.GetAllocator();
  table.AddMember("kind", "Table", allocator);
  table.AddMember("apiVersion", "meta.k8s.io/v1", allocator);
  rapidjson::Value metadata(rapidjson::kObjectType);
  if (!options.resource_version.empty())
    metadata.AddMember("resourceVersion", string_value(options.resource_version, allocator), allocator);
  if (!options.continue_token.empty())
    metadata.AddMember("continue", string_value(options.continue_token, allocator), allocator);
  table.AddMember("metadata", metadata, allocator);
  if (options.include_column_definitions) {
    rapidjson::Value definitions(rapidjson::kArrayType);
    definitions.PushBack(column_definition("Name", "string", "name", kNameDescription, 0, allocator), allocator);
    for (const PrinterColumn& column : columns)
      definitions.PushBack(column_definition(column.name, column.type, column.format, column.description,
                                             column.priority, allocator),
                           allocator);
    table.AddMember("columnDefinitions", definitions, allocator);
  }
  rapidjson::Value rows(rapidjson::kArrayType);
  for (const rapidjson::Value* object : objects) {
    rapidjson::Value cells(rapidjson::kArrayType);
    const rapidjson::Value* metadata_in = find_member(*object, "metadata");
    std::string_view name;
    if (metadata_in != nullptr) name = string_member(*metadata_in, "name").value_or("");
    cells.PushBack(string_value(name, allocator), allocator);
    for (const PrinterColumn& column : columns)
      cells.PushBack(table_cell(column.type, column.path.evaluate(*object), options.now_unix_seconds, allocator),
                     allocator);
    rapidjson::Value row(rapidjson::kObjectType);
    row.AddMember("cells", cells, allocator);
    if (options.include_object == TableObjectMode::kObject) {
      row.AddMember("object", rapidjson::Value(*object, allocator), allocator);
    } else if (options.include_object == TableObjectMode::kMetadata) {
      rapidjson::Value partial(rapidjson::kObjectType);
      partial.AddMember("kind", "PartialObjectMetadata", allocator);
      partial.AddMember("apiVersion", "meta.k8s.io/v1", allocator);
      rapidjson::Value metadata_copy(rapidjson::kObjectType);
      if (metadata_in != nullptr) metadata_copy.CopyFrom(*metadata_in, allocator);
      partial.AddMember("metadata", metadata_copy, allocator);
      row.AddMember("object", partial, allocator);
    }
    rows.PushBack(row, allocator);
  }
  table.AddMember("rows", rows, allocator);
  return table;
}

}  // namespace switchyard::devcluster::objects
