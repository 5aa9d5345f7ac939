#include <catch2/catch.hpp>

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
  AgentSessions::Forward sink() {
    return [this](protocol::Report&& r) { seqs.push_back(r.seq); };
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
  SECTION("a resend is acknowledged but not applied twice") {
    CHECK(sessions.admit("east", report("a1", 11, false), forwarded.sink()).verdict == AdmitVerdict::Duplicate);
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
