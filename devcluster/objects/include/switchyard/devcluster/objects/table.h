// Server-side printing: a meta.k8s.io/v1 Table for objects of one resource,
// built from printer columns (a CRD version's additionalPrinterColumns, or
// columns the server defines for built-in kinds). The first column is always
// Name. Pure; "now" for Age cells is passed in.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "switchyard/devcluster/objects/column_path.h"

namespace switchyard::devcluster::objects {

struct PrinterColumn {
  std::string name;
  std::string type;  // string, integer, number, boolean, date
  std::string format;
  std::string description;
  std::int32_t priority = 0;
  ColumnPath path;
};

struct [[nodiscard]] ParsedPrinterColumns {
  std::optional<std::vector<PrinterColumn>> columns;
  std::string error;  // "additionalPrinterColumns[1].jsonPath: ..."
  [[nodiscard]] bool ok() const { return columns.has_value(); }
};

// The columns after Name for one entry of a CRD's spec.versions: its
// additionalPrinterColumns, or the default Age column
// (.metadata.creationTimestamp) when it has none.
[[nodiscard]] ParsedPrinterColumns printer_columns_for_crd_version(const rapidjson::Value& crd_version);

// The Age column, for built-in kinds' column lists.
[[nodiscard]] PrinterColumn age_column();

enum class TableObjectMode {
  kNone,      // includeObject=None
  kMetadata,  // includeObject=Metadata (default): PartialObjectMetadata
  kObject,    // includeObject=Object: the full object
};

struct TableOptions {
  TableObjectMode include_object = TableObjectMode::kMetadata;
  std::int64_t now_unix_seconds = 0;
  bool include_column_definitions = true;  // watch events after the first may omit them
  std::string resource_version;            // list metadata, omitted when empty
  std::string continue_token;
};

// The Table for `objects` (each a full object with metadata), rows in order.
[[nodiscard]] rapidjson::Document build_table(const std::vector<PrinterColumn>& columns,
                                              const std::vector<const rapidjson::Value*>& objects,
                                              const TableOptions& options);

}  // namespace switchyard::devcluster::objects
