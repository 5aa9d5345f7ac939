#include <catch2/catch.hpp>

#include <limits>

#include "switchyard/hub/agent_sessions.h"

using namespace switchyard;
using namespace switchyard::hub;

namespace {

protocol::Report report(std::string agent, std::uint64_t seq, bool full) {
  protocol::Report r;
  r.agent_id = std::move(agent);
  r.seq = seq;
  r.full = full;
  return r;
}

struct Forwarded {
  std::vector<std::uint64_t> seqs;
  std::vector<protocol::Report> reports;
  AgentSessions::Forward sink() {
    return [this](protocol::Report&& r) {
      seqs.push_back(r.seq);
      reports.push_back(std::move(r));
    };
  }
};

}  // namespace

TEST_CASE("a delta from an agent the hub does not know asks for a full snapshot", "[hub]") {
  AgentSessions sessions;
  Forwarded forwarded;
  const auto result = sessions.admit("east", report("a1", 5, false), forwarded.sink());
  CHECK(result.verdict == AdmitVerdict::NeedFullSnapshot);
  CHECK_THAT(result.reason, Catch::Contains("not known to this hub"));
  CHECK(forwarded.seqs.empty());
}

TEST_CASE("a full snapshot starts the sequence and deltas must continue it", "[hub]") {
  AgentSessions sessions;
  Forwarded forwarded;
  CHECK(sessions.admit("east", report("a1", 10, true), forwarded.sink()).verdict == AdmitVerdict::Accepted);
  CHECK(sessions.admit("east", report("a1", 11, false), forwarded.sink()).verdict == AdmitVerdict::Accepted);
  SECTION("a resend is acknowledged and counts as a heartbeat, its services not applied twice") {
    auto resend = report("a1", 11, false);
    resend.services = {{{"emojivoto", "web-svc", protocol::ServiceRole::Local}, true, 0, 2, {}}};
    resend.applied.revision = 4;
    CHECK(sessions.admit("east", std::move(resend), forwarded.sink()).verdict == AdmitVerdict::Duplicate);
    REQUIRE(forwarded.seqs == std::vector<std::uint64_t>{10, 11, 11});
    CHECK(forwarded.reports[2].services.empty());
    CHECK_FALSE(forwarded.reports[2].full);
    CHECK(forwarded.reports[2].applied.revision == 4);
    CHECK(sessions.admit("east", report("a1", 12, false), forwarded.sink()).verdict == AdmitVerdict::Accepted);
  }
  SECTION("a seq behind the last accepted one is a gap, not a resend") {
    const auto behind = sessions.admit("east", report("a1", 10, false), forwarded.sink());
    CHECK(behind.verdict == AdmitVerdict::NeedFullSnapshot);
    CHECK(behind.reason == "seq 10 is behind 11, the last accepted from agent a1; send a full snapshot");
    CHECK(forwarded.seqs == std::vector<std::uint64_t>{10, 11});
  }
  SECTION("a gap asks for a full snapshot") {
    const auto gap = sessions.admit("east", report("a1", 13, false), forwarded.sink());
    CHECK(gap.verdict == AdmitVerdict::NeedFullSnapshot);
    CHECK(gap.reason == "expected seq 12, got 13; send a full snapshot");
    CHECK(forwarded.seqs == std::vector<std::uint64_t>{10, 11});
  }
  SECTION("a restarted agent (new id) must send a full snapshot first") {
    CHECK(sessions.admit("east", report("a2", 1, false), forwarded.sink()).verdict ==
          AdmitVerdict::NeedFullSnapshot);
    CHECK(sessions.admit("east", report("a2", 1, true), forwarded.sink()).verdict == AdmitVerdict::Accepted);
    CHECK(sessions.admit("east", report("a2", 2, false), forwarded.sink()).verdict == AdmitVerdict::Accepted);
  }
  SECTION("clusters are sequenced independently") {
    CHECK(sessions.admit("west", report("a1", 12, false), forwarded.sink()).verdict ==
          AdmitVerdict::NeedFullSnapshot);
    CHECK(sessions.admit("east", report("a1", 12, false), forwarded.sink()).verdict == AdmitVerdict::Accepted);
  }
  SECTION("a forgotten cluster starts over") {
    sessions.forget("east");
    CHECK(sessions.admit("east", report("a1", 12, false), forwarded.sink()).verdict ==
          AdmitVerdict::NeedFullSnapshot);
  }
}

TEST_CASE("a forged full report with a seq far ahead costs the real agent one 409, not its cluster", "[hub]") {
  AgentSessions sessions;
  Forwarded forwarded;
  REQUIRE(sessions.admit("east", report("a1", 1, true), forwarded.sink()).verdict == AdmitVerdict::Accepted);
  REQUIRE(sessions.admit("east", report("a1", 2, false), forwarded.sink()).verdict == AdmitVerdict::Accepted);
  // Sent by someone holding east's token who read the agent's id in its log.
  const std::uint64_t forged_seq =
      GENERATE(as<std::uint64_t>{}, protocol::kMaxReportSeq, std::numeric_limits<std::uint64_t>::max(), 1000);
  CAPTURE(forged_seq);
  REQUIRE(sessions.admit("east", report("a1", forged_seq, true), forwarded.sink()).verdict == AdmitVerdict::Accepted);

  // The real agent's next delta: a gap (before, a "duplicate" forever).
  const auto next = sessions.admit("east", report("a1", 3, false), forwarded.sink());
  CHECK(next.verdict == AdmitVerdict::NeedFullSnapshot);
  // Its full snapshot restarts the sequence, and its deltas are applied again.
  CHECK(sessions.admit("east", report("a1", 4, true), forwarded.sink()).verdict == AdmitVerdict::Accepted);
  CHECK(sessions.admit("east", report("a1", 5, false), forwarded.sink()).verdict == AdmitVerdict::Accepted);
  CHECK(forwarded.seqs == std::vector<std::uint64_t>{1, 2, forged_seq, 4, 5});
}
