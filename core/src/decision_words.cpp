// The words of decisions: why a backing service is not usable, and each
// consumer's status line. Written only when status or an Event needs them.
#include <algorithm>

#include "engine_impl.h"

namespace switchyard::core {
void append_reason(std::string& out, const Record& record, std::size_t c, std::size_t b, const Reason& reason) {
  const auto& spec = record.fos.spec;
  const auto& backing = spec.backing_services[b];
  const auto append_backing = [&] {
    out.append(backing.cluster).append("/").append(backing.namespace_name).append("/").append(backing.name);
  };
  switch (reason.why) {
    case WhyNot::None:
      return;
    case WhyNot::PresumedDown:
      out.append("cluster ").append(backing.cluster).append(" presumed down (agent silent for more than ");
      out.append(std::to_string(spec.health.silent_failover_seconds)).append("s)");
      return;
    case WhyNot::SilentUnknown:
      out.append("cluster ").append(backing.cluster).append(" unknown (agent silent for more than ");
      out.append(std::to_string(spec.health.unknown_after_seconds)).append("s), last known unhealthy");
      return;
    case WhyNot::DoesNotExist:
      append_backing();
      out.append(" does not exist");
      return;
    case WhyNot::TooFewEndpoints:
      append_backing();
      out.append(" has ").append(std::to_string(reason.ready));
      out.append(reason.ready == 1 ? " ready endpoint" : " ready endpoints");
      out.append(" (needs ").append(std::to_string(spec.health.min_ready_endpoints)).append(")");
      return;
    case WhyNot::RestoredUnhealthy:
      append_backing();
      out.append(" was unhealthy when last reported");
      return;
    case WhyNot::NotReportedYet:
      append_backing();
      out.append(" has not been reported yet");
      return;
    case WhyNot::MirrorMissing:
      out.append("mirror ").append(record.consumers[c].backend_names[b]).append(" does not exist in ");
      out.append(spec.consumers[c]);
      return;
    case WhyNot::DataPlaneFailing:
      append_backing();
      out.append(" ").append(record.backings[b].failing_words);
      return;
    case WhyNot::Drained:
      out.append("cluster ").append(backing.cluster).append(" is drained (MemberCluster spec.drain)");
      return;
    case WhyNot::MirrorNotReady:
      out.append("mirror ").append(record.consumers[c].backend_names[b]).append(" in ").append(spec.consumers[c]);
      out.append(" has no ready endpoint (gateway to ").append(backing.cluster).append(" unreachable)");
      return;
  }
}

void append_reasons(std::string& out, const Record& record, std::size_t c, const std::vector<Reason>& reasons,
                    const std::vector<std::uint8_t>& include) {
  bool first = true;
  for (std::size_t b = 0; b < reasons.size(); ++b) {
    if (reasons[b].why == WhyNot::None || !include[b]) continue;
    if (!first) out.append("; ");
    first = false;
    append_reason(out, record, c, b, reasons[b]);
  }
}

void append_backings(std::string& out, const Record& record, const std::vector<std::uint8_t>& include) {
  bool first = true;
  for (std::size_t b = 0; b < include.size(); ++b) {
    if (!include[b]) continue;
    if (!first) out.append(", ");
    first = false;
    // BackingService::to_string's words, without its temporary.
    const auto& backing = record.fos.spec.backing_services[b];
    out.append(backing.cluster).append("/").append(backing.namespace_name).append("/").append(backing.name);
  }
}

std::string render_line(const Record& record, std::size_t c, const ConsumerLine& line) {
  const std::vector<std::uint8_t> every(line.because.size(), 1);
  std::string out;
  switch (line.kind) {
    case LineKind::None:
      break;
    case LineKind::Waiting:
      out = "waiting for the first health reports before deciding";
      break;
    case LineKind::NoHealthyKept:
      out = "no usable backing service; keeping the last weights: ";
      append_reasons(out, record, c, line.because, every);
      break;
    case LineKind::NoHealthyYet:
      out = "no usable backing service yet: ";
      append_reasons(out, record, c, line.because, every);
      break;
    case LineKind::Traffic: {
      out = "traffic on ";
      append_backings(out, record, line.carrying);
      out.append(" since ").append(format_rfc3339(line.since));
      const bool any = std::any_of(line.because.begin(), line.because.end(),
                                   [](const Reason& reason) { return reason.why != WhyNot::None; });
      if (any) {
        out.append(": ");
        append_reasons(out, record, c, line.because, every);
      }
      break;
    }
  }
  return out;
}

std::string consumer_message(const Record& record, std::size_t c) {
  const auto& consumer = record.consumers[c];
  if (consumer.recorded_message) return *consumer.recorded_message;
  return render_line(record, c, consumer.line);
}

}  // namespace switchyard::core
