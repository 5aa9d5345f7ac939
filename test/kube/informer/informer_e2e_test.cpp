// Informers against a real switchyard-devcluster process over TLS with a
// token: paging, selectors, exactly-once delivery, a watch cut mid-stream,
// 410 inside the stream, server restarts, and a chaos run.
#include <catch2/catch.hpp>

#include <atomic>
#include <functional>
#include <random>
#include <thread>

#include "devcluster_process.h"
#include "e2e_support.h"
#include "switchyard/kube/informer.h"
#include "tcp_proxy.h"

using namespace std::chrono_literals;
using namespace switchyard::kube;
using namespace switchyard::kube::test;

namespace {

InformerOptions configmaps_in(const std::string& ns) {
  InformerOptions options;
  options.resource = kConfigMaps;
  options.namespace_name = ns;
  options.backoff.initial = 50ms;
  options.backoff.max = 500ms;
  options.random_seed = 1;
  return options;
}

std::string name_of(const std::string& key) { return key.substr(key.find('/') + 1); }

// Each chaos object keeps one label for all its lives, so a selector's view
// of the writer's history is a filter by name.
std::string chaos_label(const std::string& name) { return std::hash<std::string>{}(name) % 2 ? "a" : "b"; }

// Waits until the informer's store equals the server's contents.
void require_converged(TestLoop& loop, ConfigMapWriter& writer, const Informer& informer,
                       const std::string& ns, const std::string& selector = "") {
  std::map<std::string, std::string> server;
  const bool converged = loop.run_until(
      [&] {
        server = writer.server_state(ns, selector);
        return store_state(informer) == server;
      },
      20s);
  INFO("server has " << server.size() << " objects, the informer " << informer.list().size());
  REQUIRE(converged);
}

}  // namespace

TEST_CASE("an informer lists in pages, watches, and delivers every change once in order",
          "[kube][informer][e2e]") {
  DevclusterProcess devcluster;
  ConfigMapWriter writer(devcluster.config(), "default");
  for (int i = 0; i < 25; ++i) REQUIRE(writer.create("cm-" + std::to_string(i), i % 3 == 0 ? "a" : "b"));

  TestLoop loop;
  Client client(devcluster.config());
  RecordingHandler handler;
  InformerOptions options = configmaps_in("default");
  options.page_size = 7;
  options.min_watch_timeout = 1s;  // the server ends each watch after 1-2 s: resumes are exercised
  std::string selector;
  SECTION("everything") {}
  SECTION("a label selector") {
    selector = options.label_selector = "app=a";
  }
  SECTION("a field selector") {
    options.field_selector = "metadata.name=cm-3";
  }
  auto wanted = [&](const std::string& key) {
    const int index = std::stoi(name_of(key).substr(3));
    if (!options.field_selector.empty()) return name_of(key) == "cm-3";
    return selector.empty() || index % 3 == 0;
  };
  Informer informer(client, loop.get(), options, handler);
  informer.start();
  REQUIRE(loop.run_until([&] { return informer.synced(); }, 20s));
  CHECK(handler.synced_calls == 1);
  CHECK(handler.history == writer.history_where(wanted));  // one add per listed object

  for (int i = 0; i < 10; ++i) REQUIRE(writer.update("cm-" + std::to_string(i)));
  for (int i = 10; i < 15; ++i) REQUIRE(writer.remove("cm-" + std::to_string(i)));
  for (int i = 25; i < 30; ++i) REQUIRE(writer.create("cm-" + std::to_string(i), i % 3 == 0 ? "a" : "b"));
  for (int i = 0; i < 4; ++i) REQUIRE(writer.update("cm-3"));
  loop.run_for(2500ms);  // at least one watch ends by timeoutSeconds and is resumed
  for (int i = 15; i < 20; ++i) REQUIRE(writer.update("cm-" + std::to_string(i)));

  if (options.field_selector.empty()) {
    require_converged(loop, writer, informer, "default", selector);
  } else {
    REQUIRE(loop.run_until([&] { return handler.history == writer.history_where(wanted); }, 20s));
  }
  REQUIRE(loop.run_until([&] { return handler.history == writer.history_where(wanted); }, 5s));
  CHECK(handler.violations.empty());
  CHECK(informer.stats().lists == 1);
  CHECK(informer.stats().gone == 0);
  CHECK(informer.stats().watches >= 2);
  REQUIRE(informer.find("default", "cm-3"));
  CHECK(informer.find("default", "cm-10") == nullptr);
  informer.stop();
}

TEST_CASE("a watch cut mid-stream resumes from the last resourceVersion without a re-list",
          "[kube][informer][e2e]") {
  DevclusterProcess devcluster;
  TcpProxy proxy(devcluster.port());
  ConfigMapWriter writer(devcluster.config(), "default");
  for (int i = 0; i < 5; ++i) REQUIRE(writer.create("cm-" + std::to_string(i), "a"));

  TestLoop loop;
  Client client(devcluster.config_via(proxy.port()));
  RecordingHandler handler;
  Informer informer(client, loop.get(), configmaps_in("default"), handler);
  informer.start();
  REQUIRE(loop.run_until([&] { return informer.synced(); }, 20s));

  for (int round = 0; round < 4; ++round) {
    const auto watches_before = informer.stats().watches.load();
    for (int i = 0; i < 5; ++i) REQUIRE(writer.update("cm-" + std::to_string((round + i) % 5)));
    REQUIRE(loop.run_until([&] { return handler.history == writer.history(); }, 20s));
    proxy.cut();
    // Changes made while the stream is down arrive through the resumed watch.
    REQUIRE(writer.update("cm-" + std::to_string(round)));
    REQUIRE(writer.create("late-" + std::to_string(round), "a"));
    REQUIRE(loop.run_until([&] { return informer.stats().watches > watches_before; }, 20s));
    REQUIRE(loop.run_until([&] { return handler.history == writer.history(); }, 20s));
  }
  require_converged(loop, writer, informer, "default");
  CHECK(handler.history == writer.history());
  CHECK(handler.violations.empty());
  CHECK(informer.stats().lists == 1);  // every cut was resumed, never re-listed
  CHECK(informer.stats().gone == 0);
  CHECK(informer.stats().watches >= 5);
  informer.stop();
}

TEST_CASE("410 inside the watch stream makes the informer re-list and deliver the difference",
          "[kube][informer][e2e]") {
  DevclusterProcess devcluster(/*event_window=*/5);
  TcpProxy proxy(devcluster.port());
  ConfigMapWriter writer(devcluster.config(), "default");
  for (int i = 0; i < 6; ++i) REQUIRE(writer.create("cm-" + std::to_string(i), "a"));

  TestLoop loop;
  Client client(devcluster.config_via(proxy.port()));
  RecordingHandler handler;
  Informer informer(client, loop.get(), configmaps_in("default"), handler);
  informer.start();
  REQUIRE(loop.run_until([&] { return informer.synced(); }, 20s));
  const std::string listed_at = informer.resource_version();

  // Keep the informer away while more changes than the event window holds
  // happen: its resourceVersion is then too old to watch from.
  proxy.block(true);
  proxy.cut();
  for (int i = 0; i < 3; ++i) REQUIRE(writer.update("cm-" + std::to_string(i)));
  for (int i = 0; i < 3; ++i) REQUIRE(writer.update("cm-0"));
  REQUIRE(writer.remove("cm-4"));
  REQUIRE(writer.remove("cm-5"));
  for (int i = 6; i < 9; ++i) REQUIRE(writer.create("cm-" + std::to_string(i), "a"));
  loop.run_for(200ms);
  proxy.block(false);

  require_converged(loop, writer, informer, "default");
  CHECK(informer.stats().gone >= 1);
  CHECK(informer.stats().lists >= 2);
  CHECK(handler.violations.empty());
  CHECK(rv_number(informer.resource_version()) > rv_number(listed_at));
  // The re-list collapsed cm-0's three updates into one; the deletions and
  // additions made while away arrive once each.
  CHECK(handler.history["default/cm-0"].size() == 2);
  CHECK(handler.history["default/cm-4"] == std::vector<std::string>{"add@" + writer.history()["default/cm-4"][0].substr(4), "delete"});
  CHECK(handler.history["default/cm-7"] == writer.history()["default/cm-7"]);
  CHECK(handler.current == writer.server_state("default"));

  // After the re-list the informer watches normally again.
  REQUIRE(writer.update("cm-1"));
  REQUIRE(loop.run_until([&] { return handler.history["default/cm-1"].back() == writer.history()["default/cm-1"].back(); }, 20s));
  informer.stop();
}

TEST_CASE("informers keep their stores right while devcluster restarts", "[kube][informer][e2e]") {
  DevclusterProcess devcluster;
  ConfigMapWriter writer(devcluster.config(), "default");
  ConfigMapWriter other_namespace(devcluster.config(), "kube-system");
  for (int i = 0; i < 8; ++i) REQUIRE(writer.create("cm-" + std::to_string(i), i % 2 ? "a" : "b"));
  REQUIRE(other_namespace.create("elsewhere", "a"));

  TestLoop loop;
  Client client(devcluster.config());
  RecordingHandler everything_handler, labelled_handler;
  InformerOptions everything = configmaps_in("");  // all namespaces
  InformerOptions labelled = configmaps_in("default");
  labelled.label_selector = "app=a";
  Informer everything_informer(client, loop.get(), everything, everything_handler);
  Informer labelled_informer(client, loop.get(), labelled, labelled_handler);
  everything_informer.start();
  labelled_informer.start();
  REQUIRE(loop.run_until([&] { return everything_informer.synced() && labelled_informer.synced(); }, 20s));

  for (int round = 0; round < 2; ++round) {
    const auto watches_before = everything_informer.stats().watches.load();
    devcluster.restart();
    REQUIRE(writer.update("cm-" + std::to_string(round)));
    REQUIRE(writer.remove("cm-" + std::to_string(7 - round)));
    REQUIRE(writer.create("new-" + std::to_string(round), "a"));
    require_converged(loop, writer, everything_informer, "");
    require_converged(loop, writer, labelled_informer, "default", "app=a");
    // The broken watch was followed by a new one (resumed or after a re-list,
    // whichever the restarted server allowed).
    CHECK(everything_informer.stats().watches > watches_before);
    CHECK(everything_informer.stats().errors > 0);
  }
  CHECK(everything_handler.violations.empty());
  CHECK(labelled_handler.violations.empty());
  CHECK(everything_handler.history["kube-system/elsewhere"].size() == 1);
  CHECK(labelled_handler.history.count("default/cm-0") == 0);  // app=b: never seen
  CHECK(labelled_handler.current == writer.server_state("default", "app=a"));
}

TEST_CASE("chaos: random writes, cuts and restarts leave stores equal and deliveries exact",
          "[kube][informer][e2e]") {
  DevclusterProcess devcluster;
  TcpProxy proxy(devcluster.port());
  ConfigMapWriter writer(devcluster.config(), "default");

  TestLoop loop;
  Client via_proxy(devcluster.config_via(proxy.port()));
  Client direct(devcluster.config());
  RecordingHandler all_handler, labelled_handler, direct_handler;
  InformerOptions all = configmaps_in("default");
  all.page_size = 4;
  all.min_watch_timeout = 2s;
  InformerOptions labelled = configmaps_in("default");
  labelled.label_selector = "app=a";
  Informer all_informer(via_proxy, loop.get(), all, all_handler);
  Informer labelled_informer(via_proxy, loop.get(), labelled, labelled_handler);
  Informer direct_informer(direct, loop.get(), configmaps_in("default"), direct_handler);
  all_informer.start();
  labelled_informer.start();
  direct_informer.start();
  REQUIRE(loop.run_until([&] {
    return all_informer.synced() && labelled_informer.synced() && direct_informer.synced();
  }, 20s));

  // Random creates, updates and deletes over a small set of names, with
  // connection cuts. Restarts happen on the test thread between runs (the
  // server process is tied to the thread that started it).
  auto chaos = [&](unsigned seed, int operations) {
    std::mt19937 random(seed);
    std::set<std::string> live;
    for (auto& [key, rv] : writer.server_state("default")) live.insert(name_of(key));
    for (int op = 0; op < operations; ++op) {
      const std::string name = "chaos-" + std::to_string(random() % 20);
      const int roll = static_cast<int>(random() % 100);
      if (!live.contains(name)) {
        if (writer.create(name, chaos_label(name))) live.insert(name);
      } else if (roll < 75) {
        (void)writer.update(name);
      } else if (writer.remove(name)) {
        live.erase(name);
      }
      if (roll % 17 == 0) proxy.cut();
    }
  };
  auto converge_all = [&] {
    require_converged(loop, writer, all_informer, "default");
    require_converged(loop, writer, labelled_informer, "default", "app=a");
    require_converged(loop, writer, direct_informer, "default");
  };

  // The writer runs on its own thread while the loop keeps delivering.
  auto run_chaos = [&](unsigned seed, int operations) {
    std::atomic<bool> done{false};
    std::thread writes([&] {
      chaos(seed, operations);
      done = true;
    });
    const bool finished = loop.run_until([&] { return done.load(); }, 180s);
    writes.join();
    REQUIRE(finished);
  };

  SECTION("cuts only: every change arrives exactly once, in order") {
    run_chaos(7, 200);
    converge_all();
    auto is_labelled_a = [&](const std::string& key) { return chaos_label(name_of(key)) == "a"; };
    CHECK(all_handler.history == writer.history());
    CHECK(direct_handler.history == writer.history());
    CHECK(labelled_handler.history == writer.history_where(is_labelled_a));
    CHECK(all_informer.stats().gone == 0);
    CHECK(all_informer.stats().lists == 1);
  }
  SECTION("cuts and restarts: each change at most once, in order, nothing invented") {
    run_chaos(11, 70);
    devcluster.restart();
    run_chaos(12, 70);
    devcluster.restart();
    run_chaos(13, 70);
    converge_all();
    CHECK(all_informer.stats().watches >= 2);
    const auto written = writer.written_versions();
    for (RecordingHandler* handler : {&all_handler, &labelled_handler, &direct_handler}) {
      for (auto& [key, entries] : handler->history) {
        for (auto& entry : entries) {
          if (entry != "delete") CHECK(written.contains(entry.substr(entry.find('@') + 1)));
        }
      }
    }
  }
  CHECK(all_handler.violations.empty());
  CHECK(labelled_handler.violations.empty());
  CHECK(direct_handler.violations.empty());
  all_informer.stop();
  labelled_informer.stop();
  direct_informer.stop();
}
