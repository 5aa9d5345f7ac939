#include "table.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cctype>
#include <ctime>

#include "column_value.h"

namespace switchyard::devcluster {

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

std::optional<std::time_t> parse_rfc3339(std::string_view text) {
  std::tm tm{};
  std::string copy(text.substr(0, 19));
  if (strptime(copy.c_str(), "%Y-%m-%dT%H:%M:%S", &tm) == nullptr) return std::nullopt;
  return timegm(&tm);
}

}  // namespace

// apimachinery's duration.HumanDuration, which real servers use for date cells.
std::string human_duration(long long seconds) {
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 120) return std::to_string(seconds) + "s";
  long long minutes = seconds / 60;
  if (minutes < 10) {
    long long rest = seconds % 60;
    return rest == 0 ? std::to_string(minutes) + "m" : std::to_string(minutes) + "m" + std::to_string(rest) + "s";
  }
  if (minutes < 180) return std::to_string(minutes) + "m";
  long long hours = seconds / 3600;
  if (hours < 8) {
    long long rest = minutes % 60;
    return rest == 0 ? std::to_string(hours) + "h" : std::to_string(hours) + "h" + std::to_string(rest) + "m";
  }
  if (hours < 48) return std::to_string(hours) + "h";
  if (hours < 24 * 8) {
    long long rest = hours % 24;
    return rest == 0 ? std::to_string(hours / 24) + "d"
                     : std::to_string(hours / 24) + "d" + std::to_string(rest) + "h";
  }
  if (hours < 24 * 365 * 2) return std::to_string(hours / 24) + "d";
  if (hours < 24 * 365 * 8) {
    long long days = (hours / 24) % 365;
    return days == 0 ? std::to_string(hours / 24 / 365) + "y"
                     : std::to_string(hours / 24 / 365) + "y" + std::to_string(days) + "d";
  }
  return std::to_string(hours / 24 / 365) + "y";
}

bool wants_table(const std::string& accept) {
  return accept.find("as=Table") != std::string::npos && accept.find("g=meta.k8s.io") != std::string::npos;
}

namespace {

std::string string_at(const rapidjson::Value& object, std::string_view json_path) {
  auto value = column_value(object, json_path);
  return value && value->is_string ? value->text : std::string();
}

// apimachinery's translateTimestampSince: "<unknown>" for a zero time.
std::string since(const std::string& timestamp, std::time_t now) {
  auto when = timestamp.empty() ? std::nullopt : parse_rfc3339(timestamp);
  return when ? human_duration(static_cast<long long>(now - *when)) : "<unknown>";
}

// The cells the API server's event and secret printers compute.
void write_computed_cell(Writer& w, const PrinterColumn& column, const rapidjson::Value& object, std::time_t now) {
  using Computed = PrinterColumn::Computed;
  std::string text;
  switch (column.computed) {
    case Computed::kMemberCount: {
      // json_path is one level deep here (".data").
      const rapidjson::Value* map = member(object, std::string_view(column.json_path).substr(1));
      w.Int64(map != nullptr && map->IsObject() ? map->MemberCount() : 0);
      return;
    }
    case Computed::kEventCount: {
      auto series = column_value(object, ".series.count");
      auto count = column_value(object, ".count");
      std::int64_t n = series && series->is_integer ? series->integer : (count && count->is_integer ? count->integer : 0);
      w.Int64(n == 0 && !series ? 1 : n);
      return;
    }
    case Computed::kEventFirstSeen:
    case Computed::kEventLastSeen: {
      std::string first = string_at(object, ".firstTimestamp");
      text = since(first.empty() ? string_at(object, ".eventTime") : first, now);
      if (column.computed == Computed::kEventLastSeen) {
        if (auto series_last = string_at(object, ".series.lastObservedTime"); !series_last.empty()) {
          text = since(series_last, now);
        } else if (auto last = string_at(object, ".lastTimestamp"); !last.empty()) {
          text = since(last, now);
        }
      }
      break;
    }
    case Computed::kEventObject: {
      for (char c : string_at(object, ".involvedObject.kind")) {
        text.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
      }
      if (auto name = string_at(object, ".involvedObject.name"); !name.empty()) text += "/" + name;
      break;
    }
    case Computed::kEventSource: {
      text = string_at(object, ".source.component");
      if (auto host = string_at(object, ".source.host"); !host.empty()) text += ", " + host;
      break;
    }
    case Computed::kNone:
      break;
  }
  w.String(text.c_str(), static_cast<rapidjson::SizeType>(text.size()));
}

void write_cell(Writer& w, const PrinterColumn& column, const rapidjson::Value& object, std::time_t now) {
  if (column.computed != PrinterColumn::Computed::kNone) {
    write_computed_cell(w, column, object, now);
    return;
  }
  if (column.format == "name" && column.json_path.empty()) {
    const rapidjson::Value* metadata = member(object, "metadata");
    auto name = metadata ? string_member(*metadata, "name") : std::nullopt;
    w.String(name ? std::string(*name).c_str() : "");
    return;
  }
  if (column.list_limit > 0) {
    std::vector<ColumnValue> values = column_values(object, column.json_path);
    std::string text;
    for (std::size_t i = 0; i < values.size() && i < column.list_limit; ++i) {
      if (i > 0) text += ',';
      text += values[i].text;
    }
    if (values.size() > column.list_limit) {
      text += " + " + std::to_string(values.size() - column.list_limit) + " more...";
    } else if (text.empty()) {
      text = "<unset>";
    }
    w.String(text.c_str(), static_cast<rapidjson::SizeType>(text.size()));
    return;
  }
  std::optional<ColumnValue> value = column_value(object, column.json_path);
  if (!value) {
    w.Null();
    return;
  }
  if (column.type == "date") {
    if (!value->is_string) {
      w.Null();
      return;
    }
    auto when = parse_rfc3339(value->text);
    w.String(when ? human_duration(static_cast<long long>(now - *when)).c_str() : "<invalid>");
    return;
  }
  if (column.type == "integer" && value->is_integer) {
    w.Int64(value->integer);
    return;
  }
  if (column.type == "boolean" && value->is_bool) {
    w.Bool(value->boolean);
    return;
  }
  if (column.type == "number" && value->is_number) {
    w.Double(value->number);
    return;
  }
  w.String(value->text.c_str(), static_cast<rapidjson::SizeType>(value->text.size()));
}

void write_partial_metadata(Writer& w, const rapidjson::Value& object) {
  w.StartObject();
  w.Key("kind");
  w.String("PartialObjectMetadata");
  w.Key("apiVersion");
  w.String("meta.k8s.io/v1");
  w.Key("metadata");
  if (const rapidjson::Value* metadata = member(object, "metadata")) {
    metadata->Accept(w);
  } else {
    w.StartObject();
    w.EndObject();
  }
  w.EndObject();
}

}  // namespace

std::string table_json(const ResourceType& type, const std::vector<ObjectPtr>& objects, const TableOptions& options) {
  std::time_t now = parse_rfc3339(options.now).value_or(std::time(nullptr));
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("kind");
  w.String("Table");
  w.Key("apiVersion");
  w.String("meta.k8s.io/v1");
  w.Key("metadata");
  w.StartObject();
  if (!options.resource_version.empty()) {
    w.Key("resourceVersion");
    w.String(options.resource_version.c_str());
  }
  if (!options.continue_token.empty()) {
    w.Key("continue");
    w.String(options.continue_token.c_str());
  }
  w.EndObject();
  if (options.include_column_definitions) {
    w.Key("columnDefinitions");
    w.StartArray();
    for (const auto& column : type.columns) {
      w.StartObject();
      w.Key("name");
      w.String(column.name.c_str());
      w.Key("type");
      w.String(column.type.c_str());
      w.Key("format");
      w.String(column.format.c_str());
      w.Key("description");
      w.String(column.description.c_str());
      w.Key("priority");
      w.Int(column.priority);
      w.EndObject();
    }
    w.EndArray();
  }
  w.Key("rows");
  w.StartArray();
  for (const ObjectPtr& object : objects) {
    w.StartObject();
    w.Key("cells");
    w.StartArray();
    for (const auto& column : type.columns) write_cell(w, column, *object, now);
    w.EndArray();
    if (options.include_object != "None") {
      w.Key("object");
      if (options.include_object == "Object") {
        object->Accept(w);
      } else {
        write_partial_metadata(w, *object);
      }
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace switchyard::devcluster
