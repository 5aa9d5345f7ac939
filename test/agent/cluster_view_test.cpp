// ClusterView on its own (single thread, as on the loop): namespace watches
// follow the watch list, unsynced namespaces stay out of the measurements,
// a dropped namespace is forgotten.
#include <catch2/catch.hpp>

#include "agent_fakes.h"
#include "switchyard/agent/cluster_view.h"

using namespace switchyard;
using namespace switchyard::agent;
using namespace switchyard::agent::testing;

namespace {

const protocol::ServiceKey kWeb{"emojivoto", "web-svc", protocol::ServiceRole::Local};
const protocol::ServiceKey kVoting{"emojivoto", "voting", protocol::ServiceRole::Local};
const protocol::ServiceKey kReviews{"bookinfo", "reviews", protocol::ServiceRole::Local};

}  // namespace

TEST_CASE("one watch per namespace of the watch list, started and stopped as it changes", "[agent][view]") {
  FakeWatchBackend cluster;
  int changes = 0;
  ClusterView view(cluster, [&] { ++changes; });
  view.set_watch({kWeb, kVoting});
  CHECK(cluster.started == 1);  // both services share one namespace watch
  CHECK(view.namespaces() == std::set<std::string>{"emojivoto"});

  view.set_watch({kWeb, kVoting, kReviews});
  CHECK(cluster.started == 2);  // the emojivoto watch is kept
  view.set_watch({kReviews});
  CHECK(view.namespaces() == std::set<std::string>{"bookinfo"});
  CHECK(cluster.active.count("emojivoto") == 0);
  CHECK(changes >= 2);
}

TEST_CASE("services are measured once their namespace synced, missing ones as not existing", "[agent][view]") {
  FakeWatchBackend cluster;
  cluster.auto_sync = false;
  ClusterView view(cluster, [] {});
  view.set_watch({kWeb, kVoting});
  CHECK_FALSE(view.synced());
  CHECK(view.measure().empty());

  auto& events = *cluster.active.at("emojivoto");
  events.service_upserted("emojivoto", "web-svc");
  events.slice_upserted(make_slice("emojivoto", "web-svc", 2, 1));
  CHECK(view.measure().empty());
  events.synced();
  CHECK(view.synced());
  const auto measured = view.measure();
  REQUIRE(measured.size() == 2);
  CHECK(measured.at(kWeb) == protocol::ServiceHealth{kWeb, true, 2, 3, {}});
  CHECK(measured.at(kVoting) == protocol::ServiceHealth{kVoting, false, 0, 0, {}});
}

TEST_CASE("a namespace dropped and watched again is measured from its new lists only", "[agent][view]") {
  FakeWatchBackend cluster;
  cluster.upsert_service("emojivoto", "web-svc");
  cluster.upsert_slice(make_slice("emojivoto", "web-svc", 2));
  ClusterView view(cluster, [] {});
  view.set_watch({kWeb});
  CHECK(view.measure().at(kWeb).ready_endpoints == 2);

  view.set_watch({kReviews});
  // Meanwhile the service lost its slice (no watch saw the delete).
  cluster.slices.clear();
  view.set_watch({kWeb});
  CHECK(view.measure().at(kWeb) == protocol::ServiceHealth{kWeb, true, 0, 0, {}});
}

TEST_CASE("failed requests of the namespace watches are summed", "[agent][view]") {
  FakeWatchBackend cluster;
  ClusterView view(cluster, [] {});
  view.set_watch({kWeb, kReviews});
  CHECK(view.failed_requests() == 0);
  cluster.failures = 3;
  CHECK(view.failed_requests() == 6);  // two namespaces
}
