#include "switchyard/core/data_plane.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "switchyard/core/json_fields.h"
#include "switchyard/core/names.h"
#include "switchyard/core/query_template.h"

namespace switchyard::core {
namespace {

constexpr TimeMs kMaxWindowMs = 3'600'000;  // an hour: longer says nothing about now
constexpr std::int64_t kMaxThreshold = 100;
constexpr double kMaxQueryThreshold = 1e15;  // |threshold|: a finite number a query can compare with

std::string percent(double ratio) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4g%%", ratio * 100);
  return text;
}

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", value);
  return text;
}

std::string duration_words(TimeMs ms) {
  if (ms % 1000 != 0) return std::to_string(ms) + "ms";
  return std::to_string(ms / 1000) + "s";
}

std::optional<TimeMs> read_duration(const rapidjson::Value& object, const std::string& path, const char* key,
                                    TimeMs min, TimeMs max, std::vector<FieldError>& errors) {
  const auto found = object.FindMember(key);
  if (found == object.MemberEnd()) return std::nullopt;
  const auto field = path + "." + key;
  if (!found->value.IsString()) {
    errors.push_back({field, "must be a duration string such as \"30s\" or \"500ms\""});
    return std::nullopt;
  }
  const std::string text(found->value.GetString(), found->value.GetStringLength());
  const auto parsed = parse_duration(text);
  if (!parsed) {
    errors.push_back({field, "\"" + text + "\" is not a duration (units ms, s, m, h; e.g. \"30s\", \"1m30s\")"});
    return std::nullopt;
  }
  if (*parsed < min || *parsed > max) {
    errors.push_back({field, "must be within " + duration_words(min) + ".." + duration_words(max) + ", got \"" +
                                 text + "\""});
    return std::nullopt;
  }
  return parsed;
}

std::optional<Comparison> comparison_from(std::string_view text) {
  if (text == "<") return Comparison::Less;
  if (text == "<=") return Comparison::LessOrEqual;
  if (text == ">") return Comparison::Greater;
  if (text == ">=") return Comparison::GreaterOrEqual;
  return std::nullopt;
}

// spec.health.queries[]: each entry's errors name its index and field.
void read_query_checks(const rapidjson::Value* queries, const std::string& path, std::vector<QueryCheck>& out,
                       std::vector<FieldError>& errors) {
  if (queries == nullptr) return;
  if (queries->Size() > kMaxQueryChecks) {
    errors.push_back({path, "at most " + std::to_string(kMaxQueryChecks) + " custom checks, got " +
                                std::to_string(queries->Size())});
    return;
  }
  std::set<std::string> names;
  for (rapidjson::SizeType i = 0; i < queries->Size(); ++i) {
    const auto at = path + "[" + std::to_string(i) + "]";
    const auto& entry = (*queries)[i];
    if (!entry.IsObject()) {
      errors.push_back({at, "must be an object"});
      continue;
    }
    const auto before = errors.size();
    json::FieldReader fields(entry, at, errors);
    QueryCheck check;
    if (auto name = fields.required_string("name")) {
      if (auto problem = dns1123_label_problem(*name)) {
        fields.error("name", *problem);
      } else if (!names.insert(*name).second) {
        fields.error("name", "\"" + *name + "\" names two checks");
      }
      check.name = std::move(*name);
    }
    if (auto query = fields.required_string("query")) {
      if (query->empty() || query->size() > kMaxQueryTemplateLength) {
        fields.error("query", "must be 1.." + std::to_string(kMaxQueryTemplateLength) + " characters");
      } else if (auto problem = query_template_problem(*query)) {
        fields.error("query", *problem);
      }
      check.query_template = std::move(*query);
    }
    if (auto comparison = fields.required_string("comparison")) {
      if (auto parsed = comparison_from(*comparison)) {
        check.comparison = *parsed;
      } else {
        fields.error("comparison", "must be \"<\", \"<=\", \">\" or \">=\" (the value passes while value "
                                   "<comparison> threshold), got \"" + *comparison + "\"");
      }
    }
    if (auto threshold = fields.optional_number("threshold", -kMaxQueryThreshold, kMaxQueryThreshold)) {
      check.threshold = *threshold;
    } else if (!entry.HasMember("threshold")) {
      fields.error("threshold", "is required (the value the query's result is compared with)");
    }
    if (auto window = read_duration(entry, at, "window", 1000, kMaxWindowMs, errors)) check.window_ms = *window;
    if (errors.size() == before) out.push_back(std::move(check));
  }
}

// The sample's share of requests within the check's maximum; nothing when
// the agent measured the quantile instead, or the share within another
// maximum (a FailoverService sharing the service asked it: the share says
// nothing of this one's maximum).
std::optional<double> share_within(const LatencyCheck& check, const DataPlaneSample& sample) {
  if (!sample.latency_within_share || sample.latency_within_ms != check.maximum_ms) return std::nullopt;
  return sample.latency_within_share;
}

}  // namespace

const char* to_string(Comparison comparison) {
  switch (comparison) {
    case Comparison::Less: return "<";
    case Comparison::LessOrEqual: return "<=";
    case Comparison::Greater: return ">";
    case Comparison::GreaterOrEqual: return ">=";
  }
  return "<";
}

bool passes(Comparison comparison, double value, double threshold) {
  switch (comparison) {
    case Comparison::Less: return value < threshold;
    case Comparison::LessOrEqual: return value <= threshold;
    case Comparison::Greater: return value > threshold;
    case Comparison::GreaterOrEqual: return value >= threshold;
  }
  return false;
}

const char* to_string(CheckOutcome outcome) {
  switch (outcome) {
    case CheckOutcome::Pass: return "Pass";
    case CheckOutcome::NotEnoughTraffic: return "NotEnoughTraffic";
    case CheckOutcome::Fail: return "Fail";
    case CheckOutcome::Unknown: return "Unknown";
  }
  return "Unknown";
}

std::optional<TimeMs> parse_duration(std::string_view text) {
  if (text.empty() || text.size() > 32) return std::nullopt;
  TimeMs total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    TimeMs value = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      value = value * 10 + (text[i] - '0');
      if (value > 1'000'000'000) return std::nullopt;
      ++i;
    }
    TimeMs unit = 0;
    if (text.substr(i, 2) == "ms") {
      unit = 1;
      i += 2;
    } else if (i < text.size() && text[i] == 's') {
      unit = 1000;
      ++i;
    } else if (i < text.size() && text[i] == 'm') {
      unit = 60'000;
      ++i;
    } else if (i < text.size() && text[i] == 'h') {
      unit = 3'600'000;
      ++i;
    } else {
      return std::nullopt;  // a number without a unit
    }
    total += value * unit;
    if (total > 1'000'000'000'000) return std::nullopt;
  }
  return total;
}

CheckOutcome judge(const DataPlanePolicy& policy, const DataPlaneSample* sample) {
  if (sample == nullptr || !sample->error.empty()) return CheckOutcome::Unknown;
  if (policy.built_in()) {
    if (!sample->request_rate) return CheckOutcome::Unknown;
    if (*sample->request_rate < policy.min_requests_per_second()) return CheckOutcome::NotEnoughTraffic;
  }
  bool unknown = false;
  bool failed = false;
  for (const auto& check : policy.queries) {
    const auto value = sample->queries.find(check.name);
    if (value == sample->queries.end()) {
      unknown = true;
    } else if (!passes(check.comparison, value->second, check.threshold)) {
      failed = true;
    }
  }
  if (policy.success_rate) {
    if (!sample->success_rate) {
      unknown = true;
    } else if (*sample->success_rate < policy.success_rate->minimum) {
      failed = true;
    }
  }
  if (policy.latency) {
    if (const auto share = share_within(*policy.latency, *sample)) {
      if (*share < policy.latency->quantile) failed = true;
    } else if (!sample->latency_ms) {
      unknown = true;
    } else if (*sample->latency_ms > static_cast<double>(policy.latency->maximum_ms)) {
      failed = true;
    }
  }
  if (failed) return CheckOutcome::Fail;
  return unknown ? CheckOutcome::Unknown : CheckOutcome::Pass;
}

MeasureRequest measure_request(const DataPlanePolicy& policy) {
  MeasureRequest request;
  for (const auto& check : policy.queries) {
    request.queries.push_back({check.name, check.query_template, check.window_ms});
  }
  std::sort(request.queries.begin(), request.queries.end());
  if (policy.latency) {
    request.latency_quantile = policy.latency->quantile;
    request.latency_window_ms = policy.latency->window_ms;
    request.latency_maximum_ms = policy.latency->maximum_ms;
    request.rate_window_ms = policy.latency->window_ms;
  }
  if (policy.success_rate) request.rate_window_ms = policy.success_rate->window_ms;
  return request;
}

MeasureRequest merge(const MeasureRequest& a, const MeasureRequest& b) {
  MeasureRequest merged;
  if (a.rate_window_ms && b.rate_window_ms) {
    merged.rate_window_ms = std::min(*a.rate_window_ms, *b.rate_window_ms);
  } else {
    merged.rate_window_ms = a.rate_window_ms ? a.rate_window_ms : b.rate_window_ms;
  }
  merged.queries = a.queries;
  for (const auto& query : b.queries) {
    const auto same_name = [&query](const MeasuredQuery& kept) { return kept.name == query.name; };
    if (std::none_of(merged.queries.begin(), merged.queries.end(), same_name)) merged.queries.push_back(query);
  }
  std::sort(merged.queries.begin(), merged.queries.end());
  if (!a.latency_quantile || !b.latency_quantile) {
    const auto& with = a.latency_quantile ? a : b;
    merged.latency_quantile = with.latency_quantile;
    merged.latency_window_ms = with.latency_window_ms;
    merged.latency_maximum_ms = with.latency_maximum_ms;
  } else {
    merged.latency_quantile = std::max(*a.latency_quantile, *b.latency_quantile);
    merged.latency_window_ms = std::min(a.latency_window_ms, b.latency_window_ms);
    if (a.latency_maximum_ms == b.latency_maximum_ms) merged.latency_maximum_ms = a.latency_maximum_ms;
  }
  return merged;
}

bool advance(CheckStreak& streak, CheckOutcome outcome, const DataPlanePolicy& policy) {
  streak.last = outcome;
  const bool was = streak.failing;
  switch (outcome) {
    case CheckOutcome::Unknown:
      return false;
    case CheckOutcome::Fail:
      streak.passes = 0;
      if (streak.fails < policy.failure_threshold) ++streak.fails;
      if (streak.fails >= policy.failure_threshold) streak.failing = true;
      break;
    case CheckOutcome::Pass:
    case CheckOutcome::NotEnoughTraffic:
      streak.fails = 0;
      if (streak.passes < policy.success_threshold) ++streak.passes;
      if (streak.passes >= policy.success_threshold) streak.failing = false;
      break;
  }
  return streak.failing != was;
}

std::string describe(const DataPlanePolicy& policy, const DataPlaneSample* sample) {
  if (sample == nullptr) return "no data-plane measurement reported";
  if (!sample->error.empty()) return "data-plane check unknown: " + sample->error;
  const double rps = sample->request_rate.value_or(0);
  if (policy.built_in()) {
    if (!sample->request_rate) return "data-plane check unknown: no request rate";
    if (rps < policy.min_requests_per_second()) {
      return "not enough traffic (" + number(rps) + " rps < " + number(policy.min_requests_per_second()) + ")";
    }
  }
  std::string out;
  auto add = [&out](const std::string& part) {
    if (!out.empty()) out += "; ";
    out += part;
  };
  if (const auto& check = policy.success_rate) {
    if (!sample->success_rate) {
      add("success rate unknown");
    } else {
      const bool below = *sample->success_rate < check->minimum;
      add("success rate " + percent(*sample->success_rate) + (below ? " < " : " >= ") + percent(check->minimum) +
          " over " + duration_words(check->window_ms) + " at " + number(rps) + " rps");
    }
  }
  if (const auto& check = policy.latency) {
    const auto name = "latency p" + number(check->quantile * 100);
    if (const auto share = share_within(*check, *sample)) {
      const bool below = *share < check->quantile;
      const auto maximum = duration_words(check->maximum_ms);
      add(name + (below ? " over " : " within ") + maximum + ": " + percent(*share) + " of requests within " +
          maximum + (below ? " < " : " >= ") + percent(check->quantile) + " over " +
          duration_words(check->window_ms) + " at " + number(rps) + " rps");
    } else if (!sample->latency_ms) {
      add(name + " unknown");
    } else {
      const bool above = *sample->latency_ms > static_cast<double>(check->maximum_ms);
      add(name + " " + number(*sample->latency_ms) + "ms" + (above ? " > " : " <= ") +
          duration_words(check->maximum_ms) + " over " + duration_words(check->window_ms));
    }
  }
  for (const auto& check : policy.queries) {
    const auto value = sample->queries.find(check.name);
    if (value == sample->queries.end()) {
      add("query " + check.name + " unknown");
      continue;
    }
    const bool ok = passes(check.comparison, value->second, check.threshold);
    add("query " + check.name + " " + number(value->second) + (ok ? ", " : ", not ") + to_string(check.comparison) +
        " " + number(check.threshold) + " over " + duration_words(check.window_ms));
  }
  return out;
}

DataPlaneEvidence evidence(const DataPlanePolicy& policy, const CheckStreak& streak, const DataPlaneSample* sample) {
  DataPlaneEvidence shown;
  shown.verdict = streak.failing ? "Failing" : "Passing";
  shown.last = to_string(streak.last);
  shown.consecutive = streak.last == CheckOutcome::Fail ? streak.fails
                      : streak.last == CheckOutcome::Unknown ? 0
                                                             : streak.passes;
  if (policy.success_rate) shown.min_success_rate = policy.success_rate->minimum;
  if (policy.latency) shown.max_latency_ms = static_cast<double>(policy.latency->maximum_ms);
  if (sample != nullptr) {
    shown.request_rate = sample->request_rate;
    if (policy.success_rate) shown.success_rate = sample->success_rate;
    if (policy.latency) {
      shown.latency_ms = sample->latency_ms;
      if (const auto share = share_within(*policy.latency, *sample)) {
        shown.latency_within_share = share;
        shown.latency_quantile = policy.latency->quantile;
      }
    }
  }
  for (const auto& check : policy.queries) {
    QueryEvidence query{check.name, std::nullopt, to_string(check.comparison), check.threshold, "Unknown"};
    if (sample != nullptr) {
      if (const auto value = sample->queries.find(check.name); value != sample->queries.end()) {
        query.value = value->second;
        query.result = passes(check.comparison, value->second, check.threshold) ? "Pass" : "Fail";
      }
    }
    shown.queries.push_back(std::move(query));
  }
  shown.message = describe(policy, sample);
  return shown;
}

void read_data_plane_policy(const rapidjson::Value* health, DataPlanePolicy& policy,
                            std::vector<FieldError>& errors, const std::string& path) {
  if (health == nullptr || !health->IsObject()) return;
  json::FieldReader fields(*health, path, errors);
  if (const auto* rate = fields.object("successRate", false)) {
    const auto at = path + ".successRate";
    SuccessRateCheck check;
    json::FieldReader checks(*rate, at, errors);
    if (auto minimum = checks.optional_number("minimum", 0, 1)) {
      check.minimum = *minimum;
    } else if (!rate->HasMember("minimum")) {
      errors.push_back({at + ".minimum", "is required (the lowest acceptable success rate, 0..1)"});
    }
    if (auto window = read_duration(*rate, at, "window", 1000, kMaxWindowMs, errors)) check.window_ms = *window;
    if (auto min_rps = checks.optional_number("minRequestsPerSecond", 0, 1e9)) {
      check.min_requests_per_second = *min_rps;
    }
    policy.success_rate = check;
  }
  if (const auto* latency = fields.object("latency", false)) {
    const auto at = path + ".latency";
    LatencyCheck check;
    json::FieldReader checks(*latency, at, errors);
    if (auto quantile = checks.optional_number("quantile", 0, 1)) {
      if (*quantile != 0.5 && *quantile != 0.9 && *quantile != 0.95 && *quantile != 0.99) {
        errors.push_back({at + ".quantile", "must be 0.5, 0.9, 0.95 or 0.99, got " + number(*quantile)});
      } else {
        check.quantile = *quantile;
      }
    }
    if (auto maximum = read_duration(*latency, at, "maximum", 1, kMaxWindowMs, errors)) {
      check.maximum_ms = *maximum;
    } else if (!latency->HasMember("maximum")) {
      errors.push_back({at + ".maximum", "is required (the highest acceptable latency, e.g. \"500ms\")"});
    }
    if (auto window = read_duration(*latency, at, "window", 1000, kMaxWindowMs, errors)) check.window_ms = *window;
    policy.latency = check;
  }
  if (const auto* queries = fields.array("queries", false)) {
    policy.queries.clear();  // an override's list replaces spec.health's
    read_query_checks(queries, path + ".queries", policy.queries, errors);
  }
  if (auto v = fields.optional_int("failureThreshold", 1, kMaxThreshold)) {
    policy.failure_threshold = static_cast<std::uint32_t>(*v);
  }
  if (auto v = fields.optional_int("successThreshold", 1, kMaxThreshold)) {
    policy.success_threshold = static_cast<std::uint32_t>(*v);
  }
}

}  // namespace switchyard::core
