#include <catch2/catch.hpp>

#include <string>

#include "informer_store.h"

using switchyard::kube::Change;
using switchyard::kube::ChangeType;
using switchyard::kube::InformerStore;
using switchyard::kube::Object;
using switchyard::kube::ObjectPtr;
using switchyard::kube::WatchChange;

namespace {

ObjectPtr make(const std::string& ns, const std::string& name, const std::string& rv) {
  auto parsed = Object::parse(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"namespace":")" + ns +
                              R"(","name":")" + name + R"(","resourceVersion":")" + rv + R"("}})");
  REQUIRE(parsed.ok());
  return parsed.value();
}

std::string describe(const Change& change) {
  switch (change.type) {
    case ChangeType::Added:
      return "add " + InformerStore::key_of(*change.now) + "@" + std::string(change.now->resource_version());
    case ChangeType::Updated:
      return "update " + InformerStore::key_of(*change.now) + "@" +
             std::string(change.old->resource_version()) + "->" + std::string(change.now->resource_version());
    case ChangeType::Deleted:
      return "delete " + InformerStore::key_of(*change.old) + "@" + std::string(change.old->resource_version());
  }
  return "?";
}

std::vector<std::string> describe(const std::vector<Change>& changes) {
  std::vector<std::string> out;
  for (const auto& change : changes) out.push_back(describe(change));
  return out;
}

}  // namespace

TEST_CASE("the first list adds everything", "[kube][informer]") {
  InformerStore store;
  auto changes = store.replace({make("a", "x", "5"), make("b", "y", "6")}, "10");
  CHECK(describe(changes) == std::vector<std::string>{"add a/x@5", "add b/y@6"});
  CHECK(store.size() == 2);
  CHECK(store.resource_version() == "10");
  REQUIRE(store.find("b", "y"));
  CHECK(store.find("b", "y")->resource_version() == "6");
  CHECK_FALSE(store.find("b", "x"));
}

TEST_CASE("a re-list yields only what changed", "[kube][informer]") {
  InformerStore store;
  (void)store.replace({make("a", "same", "1"), make("a", "changed", "2"), make("a", "gone", "3")}, "3");
  auto changes = store.replace({make("a", "same", "1"), make("a", "changed", "7"), make("a", "new", "8")}, "9");
  CHECK(describe(changes) ==
        std::vector<std::string>{"update a/changed@2->7", "add a/new@8", "delete a/gone@3"});
  CHECK(store.resource_version() == "9");
  CHECK(store.size() == 3);
  CHECK(store.list().front()->name() == "changed");  // key order

  SECTION("an identical re-list yields nothing") {
    CHECK(store.replace(store.list(), "9").empty());
  }
  SECTION("an empty re-list deletes everything") {
    CHECK(describe(store.replace({}, "12")) ==
          std::vector<std::string>{"delete a/changed@7", "delete a/new@8", "delete a/same@1"});
    CHECK(store.size() == 0);
  }
}

TEST_CASE("watch events update the store and yield each change once", "[kube][informer]") {
  InformerStore store;
  (void)store.replace({make("a", "x", "1")}, "1");

  auto added = store.apply(WatchChange::Added, make("a", "y", "2"));
  REQUIRE(added);
  CHECK(describe(*added) == "add a/y@2");
  CHECK(store.resource_version() == "2");

  auto modified = store.apply(WatchChange::Modified, make("a", "x", "3"));
  REQUIRE(modified);
  CHECK(describe(*modified) == "update a/x@1->3");

  SECTION("a replayed event is not delivered again") {
    CHECK_FALSE(store.apply(WatchChange::Modified, make("a", "x", "3")));
    CHECK_FALSE(store.apply(WatchChange::Added, make("a", "y", "2")));
  }
  SECTION("ADDED for a known object is an update, MODIFIED for an unknown one an add") {
    auto readded = store.apply(WatchChange::Added, make("a", "x", "4"));
    REQUIRE(readded);
    CHECK(describe(*readded) == "update a/x@3->4");
    auto unknown = store.apply(WatchChange::Modified, make("a", "z", "5"));
    REQUIRE(unknown);
    CHECK(describe(*unknown) == "add a/z@5");
  }
  SECTION("a delete carries the event's final state; deleting the unknown yields nothing") {
    auto deleted = store.apply(WatchChange::Deleted, make("a", "x", "6"));
    REQUIRE(deleted);
    CHECK(deleted->type == ChangeType::Deleted);
    CHECK(deleted->old->resource_version() == "6");
    CHECK_FALSE(store.find("a", "x"));
    CHECK_FALSE(store.apply(WatchChange::Deleted, make("a", "x", "6")));
    CHECK_FALSE(store.apply(WatchChange::Deleted, make("a", "never", "7")));
    CHECK(store.resource_version() == "7");
  }
}

TEST_CASE("bookmarks move only the resourceVersion", "[kube][informer]") {
  InformerStore store;
  (void)store.replace({make("a", "x", "1")}, "1");
  store.bookmark("40");
  CHECK(store.resource_version() == "40");
  CHECK(store.size() == 1);
  CHECK(store.find("a", "x")->resource_version() == "1");
}

TEST_CASE("cluster-scoped objects are keyed by name alone", "[kube][informer]") {
  InformerStore store;
  (void)store.replace({make("", "ns1", "1")}, "1");
  CHECK(store.find("", "ns1"));
  CHECK(InformerStore::key_of("", "ns1") == "/ns1");
}
