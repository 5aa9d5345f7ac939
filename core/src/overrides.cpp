// Operator overrides: reading drain, pin and mode, and the decision step that
// applies them before the active group is chosen (see overrides.h).
#include "switchyard/core/overrides.h"

#include <algorithm>
#include <string_view>

#include "engine_impl.h"

namespace switchyard::core {

void read_overrides(json::FieldReader& fields, FailoverSpec& spec, std::vector<FieldError>& errors) {
  if (auto mode = fields.optional_string("mode")) {
    if (*mode == "Enforce") {
      spec.mode = Mode::Enforce;
    } else if (*mode == "Observe") {
      spec.mode = Mode::Observe;
    } else {
      fields.error("mode", "must be Enforce or Observe, got \"" + *mode + "\"");
    }
  }
  const auto* pin_value = fields.object("pin", false);
  if (pin_value == nullptr) return;
  json::FieldReader pin_fields(*pin_value, "spec.pin", errors);
  Pin pin;
  bool complete = true;
  if (const auto* backend = pin_fields.object("backend", true)) {
    json::FieldReader backend_fields(*backend, "spec.pin.backend", errors);
    auto cluster = backend_fields.required_string("cluster");
    auto namespace_name = backend_fields.required_string("namespace");
    auto name = backend_fields.required_string("name");
    complete = cluster && namespace_name && name;
    if (complete) {
      pin.cluster = *cluster;
      pin.namespace_name = *namespace_name;
      pin.name = *name;
    }
  } else {
    complete = false;
  }
  if (auto until = pin_fields.optional_string("until")) {
    TimeMs at = 0;
    if (parse_rfc3339(*until, at)) {
      pin.until_ms = at;
    } else {
      pin_fields.error("until", "must be an RFC 3339 time in UTC such as \"2026-12-05T10:00:00Z\", got \"" + *until + "\"");
    }
  }
  if (auto force = pin_fields.optional_bool("force")) pin.force = *force;
  if (!complete) return;
  const auto& list = spec.backing_services;
  const auto it = std::find_if(list.begin(), list.end(), [&](const BackingService& b) {
    return b.cluster == pin.cluster && b.namespace_name == pin.namespace_name && b.name == pin.name;
  });
  if (it == list.end()) {
    // Only when the list itself was read: otherwise its own error says why.
    if (!list.empty()) {
      errors.push_back({"spec.pin.backend", pin.cluster + "/" + pin.namespace_name + "/" + pin.name +
                                                " not in spec.backingServices"});
    }
    return;
  }
  pin.backing = static_cast<std::size_t>(it - list.begin());
  spec.pin = std::move(pin);
}

Decoded<std::optional<Drain>> parse_drain(const rapidjson::Value& object) {
  Decoded<std::optional<Drain>> result;
  auto& errors = result.errors;
  if (!object.IsObject()) {
    errors.push_back({"", "a MemberCluster must be a JSON object"});
    return result;
  }
  const auto spec = object.FindMember("spec");
  const auto* drain_value = spec != object.MemberEnd() && spec->value.IsObject() ? &spec->value : nullptr;
  if (drain_value != nullptr) {
    const auto drain = drain_value->FindMember("drain");
    drain_value = drain != drain_value->MemberEnd() && !drain->value.IsNull() ? &drain->value : nullptr;
  }
  if (drain_value == nullptr) {
    result.value = std::optional<Drain>{};
    return result;
  }
  if (!drain_value->IsObject()) {
    errors.push_back({"spec.drain", "must be an object such as {reason: \"node pool upgrade\"}"});
    return result;
  }
  Drain drain;
  json::FieldReader fields(*drain_value, "spec.drain", errors);
  if (auto reason = fields.optional_string("reason")) {
    if (reason->size() > 1024) {
      fields.error("reason", "at most 1024 characters, got " + std::to_string(reason->size()));
    } else {
      drain.reason = *reason;
    }
  }
  // Who asked: the managedFields entry that owns spec.drain (the latest, if
  // several managers share it). Malformed entries are skipped: they are the
  // API server's, and only the words of the status depend on them.
  const auto meta = object.FindMember("metadata");
  if (meta != object.MemberEnd() && meta->value.IsObject()) {
    const auto managed = meta->value.FindMember("managedFields");
    if (managed != meta->value.MemberEnd() && managed->value.IsArray()) {
      for (const auto& entry : managed->value.GetArray()) {
        if (!entry.IsObject()) continue;
        const auto fields_v1 = entry.FindMember("fieldsV1");
        if (fields_v1 == entry.MemberEnd() || !fields_v1->value.IsObject()) continue;
        const auto f_spec = fields_v1->value.FindMember("f:spec");
        if (f_spec == fields_v1->value.MemberEnd() || !f_spec->value.IsObject() ||
            !f_spec->value.HasMember("f:drain")) {
          continue;
        }
        const auto manager = entry.FindMember("manager");
        const auto time = entry.FindMember("time");
        std::optional<TimeMs> at;
        TimeMs parsed = 0;
        if (time != entry.MemberEnd() && time->value.IsString() && parse_rfc3339(time->value.GetString(), parsed)) {
          at = parsed;
        }
        if (!drain.manager.empty() && at && drain.since && *at < *drain.since) continue;
        drain.manager = manager != entry.MemberEnd() && manager->value.IsString() ? manager->value.GetString() : "";
        drain.since = at;
      }
    }
  }
  if (errors.empty()) result.value = std::move(drain);
  return result;
}

Undrain undrain_of(const rapidjson::Value& object) {
  if (!object.IsObject()) return Undrain::AfterFailbackDelay;
  const auto meta = object.FindMember("metadata");
  if (meta == object.MemberEnd() || !meta->value.IsObject()) return Undrain::AfterFailbackDelay;
  const auto annotations = meta->value.FindMember("annotations");
  if (annotations == meta->value.MemberEnd() || !annotations->value.IsObject()) return Undrain::AfterFailbackDelay;
  const auto value = annotations->value.FindMember(kUndrainNowAnnotation);
  const bool now = value != annotations->value.MemberEnd() && value->value.IsString() &&
                   std::string_view(value->value.GetString()) == kUndrainNowValue;
  return now ? Undrain::Now : Undrain::AfterFailbackDelay;
}

std::string describe_drain(const Drain& drain) {
  std::string text = "drained";
  if (!drain.manager.empty()) text += " by " + drain.manager;
  if (drain.since) text += " at " + format_rfc3339(*drain.since);
  text += drain.reason.empty() ? ": no reason given" : ": " + drain.reason;
  return text;
}

std::optional<PinDecision> Engine::Impl::apply_overrides(Record& record, std::size_t c, TimeMs now, TimeMs& wake) {
  auto& s = scratch;
  const auto& spec = record.fos.spec;
  auto& consumer = record.consumers[c];
  // Drain: every backend in a drained cluster is unusable, as a failure
  // would make it, so rule 4 moves traffic off it at once, and its group's
  // failback clock starts only when the drain is lifted.
  for (std::size_t b = 0; b < record.backings.size(); ++b) {
    if (!clusters[record.backings[b].cluster].drain) continue;
    s.usable[b] = false;
    s.why_not[b] = {WhyNot::Drained};
  }
  std::fill(s.group_usable.begin(), s.group_usable.end(), 0);
  for (std::size_t b = 0; b < record.backings.size(); ++b) {
    if (s.usable[b]) s.group_usable[record.group_of[b]] = true;
  }

  // Pin: its backend alone carries traffic while usable (with force, even
  // when not; never one this consumer cannot resolve, rule 7), until expiry.
  std::optional<PinDecision> pinned;
  PinShown shown = PinShown::None;
  if (record.deciding.has_pin && pin_in_force(*spec.pin, now)) {
    const auto b = spec.pin->backing;
    if (spec.pin->until_ms && (wake == kNever || *spec.pin->until_ms < wake)) wake = *spec.pin->until_ms;
    if (s.usable[b]) {
      pinned = PinDecision{b, false};
      shown = PinShown::Pinned;
    } else if (spec.pin->force && !s.omitted[b]) {
      pinned = PinDecision{b, true};
      shown = PinShown::Forced;
    }
  }
  if (shown != consumer.pin_shown) {
    const auto& consumer_name = spec.consumers[c];
    if (shown != PinShown::None) consumer.pin_backing = spec.pin->backing;
    const auto backend = spec.backing_services[consumer.pin_backing].to_string();
    std::string message = "traffic in " + consumer_name;
    if (shown == PinShown::Pinned) {
      message += " pinned to " + backend + " (spec.pin)";
      record.pending_events.push_back({DecisionEventKind::Pinned, "Pinned", std::move(message), false});
    } else if (shown == PinShown::Forced) {
      message += " pinned by force to " + backend + ", which is not usable: ";
      append_reason(message, record, c, spec.pin->backing, s.why_not[spec.pin->backing]);
      record.pending_events.push_back({DecisionEventKind::PinForced, "PinForced", std::move(message), true});
    } else {
      message += " no longer pinned to " + backend + ": ";
      if (!spec.pin) {
        message += "spec.pin removed";
      } else if (!pin_in_force(*spec.pin, now)) {
        message += "the pin expired at " + format_rfc3339(*spec.pin->until_ms);
      } else {
        append_reason(message, record, c, spec.pin->backing, s.why_not[spec.pin->backing]);
      }
      message += "; automatic decisions resume";
      record.pending_events.push_back({DecisionEventKind::Unpinned, "Unpinned", std::move(message), false});
    }
    consumer.pin_shown = shown;
    record.status_dirty = true;
  }
  return pinned;
}

ConsumerRuntime::Routed routed(const Record& record, std::size_t c) {
  const auto& consumer = record.consumers[c];
  if (consumer.observe_hold) return *consumer.observe_hold;
  ConsumerRuntime::Routed route;
  route.decided = consumer.decided;
  if (!consumer.decided) return route;
  for (std::size_t b = 0; b < record.backings.size(); ++b) {
    if (consumer.omitted[b]) continue;
    route.backends.push_back(
        {record.fos.spec.backing_services[b].to_string(), consumer.backend_names[b], consumer.weights[b]});
  }
  return route;
}

std::optional<ConsumerRuntime::Routed> recorded_hold(const ConsumerStatus& shown) {
  // An empty list holds nothing: a FailoverService created in Observe mode
  // (or recorded by a hub older than heldBackends) writes no route.
  if (shown.held_backends.empty()) return std::nullopt;
  return ConsumerRuntime::Routed{true, shown.held_backends};
}

void append_override_conditions(const Record& record, std::vector<Condition>& conditions) {
  const auto& spec = record.fos.spec;
  const auto generation = record.observed_generation;
  if (spec.mode == Mode::Observe) {
    conditions.push_back({"Observing", "True", generation, 0, "Observe",
                          "spec.mode is Observe: status.consumers[].wouldApply shows the decision; no route is written"});
  }
  if (!spec.pin) return;
  std::string pinned, forced;
  for (std::size_t c = 0; c < record.consumers.size(); ++c) {
    const auto shown = record.consumers[c].pin_shown;
    if (shown == PinShown::None) continue;
    auto& list = shown == PinShown::Forced ? forced : pinned;
    list += (list.empty() ? "" : ", ") + spec.consumers[c];
  }
  const auto backend = spec.backing_services[spec.pin->backing].to_string();
  if (pinned.empty() && forced.empty()) {
    conditions.push_back({"Pinned", "False", generation, 0, "NotInForce",
                          "spec.pin names " + backend + ", which decides no consumer (expired, or not usable without force)"});
  } else {
    std::string where = pinned;
    if (!forced.empty()) where += (where.empty() ? "" : ", ") + forced;
    conditions.push_back({"Pinned", "True", generation, 0, "Pinned", "traffic pinned to " + backend + " in " + where});
  }
  if (!forced.empty()) {
    conditions.push_back({"PinForced", "True", generation, 0, "PinForced",
                          "spec.pin.force holds traffic on " + backend + " in " + forced + " although it is not usable there"});
  }
}

}  // namespace switchyard::core
