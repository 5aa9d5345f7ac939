#include <catch2/catch.hpp>

#include "switchyard/hub/token_registry.h"

using namespace switchyard::hub;

TEST_CASE("a cluster's own token is allowed, another's is forbidden, others unauthenticated",
          "[hub]") {
  TokenRegistry tokens;
  tokens.set_token("east", "east-secret");
  tokens.set_token("west", "west-secret");
  CHECK(tokens.check("east", "east-secret") == TokenVerdict::Allowed);
  CHECK(tokens.check("east", "west-secret") == TokenVerdict::Forbidden);
  CHECK(tokens.check("east", "guess") == TokenVerdict::Unauthenticated);
  CHECK(tokens.check("east", "") == TokenVerdict::Unauthenticated);
  CHECK(tokens.check("north", "east-secret") == TokenVerdict::Forbidden);
}

TEST_CASE("a replaced token stops working and an empty one removes the cluster", "[hub]") {
  TokenRegistry tokens;
  tokens.set_token("east", "old");
  tokens.set_token("east", "new");
  CHECK(tokens.check("east", "old") == TokenVerdict::Unauthenticated);
  CHECK(tokens.check("east", "new") == TokenVerdict::Allowed);
  tokens.set_token("east", "");
  CHECK(tokens.size() == 0);
  CHECK(tokens.check("east", "") == TokenVerdict::Unauthenticated);
  CHECK(tokens.check("east", "new") == TokenVerdict::Unauthenticated);
}

TEST_CASE("a token set for two clusters authenticates neither, and each is named sharing it", "[hub]") {
  TokenRegistry tokens;
  tokens.set_token("east", "same");
  tokens.set_token("west", "same");
  tokens.set_token("north", "north-secret");
  CHECK(tokens.check("east", "same") == TokenVerdict::Shared);
  CHECK(tokens.check("west", "same") == TokenVerdict::Shared);
  CHECK(tokens.check("north", "same") == TokenVerdict::Forbidden);
  CHECK(tokens.check("north", "north-secret") == TokenVerdict::Allowed);
  using Sharing = std::map<std::string, std::vector<std::string>>;
  CHECK(tokens.sharing() == Sharing{{"east", {"west"}}, {"west", {"east"}}});

  SECTION("a third one shares it too") {
    tokens.set_token("north", "same");
    CHECK(tokens.sharing() == Sharing{{"east", {"north", "west"}}, {"north", {"east", "west"}}, {"west", {"east", "north"}}});
  }
  SECTION("once one has its own, both authenticate again") {
    tokens.set_token("west", "west-secret");
    CHECK(tokens.check("east", "same") == TokenVerdict::Allowed);
    CHECK(tokens.check("west", "west-secret") == TokenVerdict::Allowed);
    CHECK(tokens.sharing().empty());
  }
}
