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
