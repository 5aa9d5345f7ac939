// Which bearer token may speak for which cluster. Tokens come from the Secret
// each MemberCluster's spec.tokenSecretRef names; only their SHA-256 digests
// are kept. A request's digest is compared in constant time with its own
// cluster's and looked up (not compared one by one) among the others: the
// cost of a check does not grow with the number of clusters (every request
// compared it with all of them: 20% of the hub's steady CPU at 1,000
// agents), and the lookup's timing tells about the SHA-256 of the presented
// token only, which does not lead to any stored token.
//
// Thread-safe: the loop thread updates it as Secrets and MemberClusters change;
// HTTP threads check requests against an immutable snapshot.
#pragma once

#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::hub {

enum class TokenVerdict {
  Allowed,          // the token is the cluster's own
  Unauthenticated,  // no token, or one no cluster has: 401
  Forbidden,        // a valid token of another cluster: 403
  Shared,           // the cluster's token, but another cluster's too: 403, for neither
};

class TokenRegistry {
 public:
  using Digest = std::array<unsigned char, 32>;

  // Sets or replaces `cluster`'s token. An empty token removes it: an empty
  // Secret value must never let an empty bearer token in.
  void set_token(const std::string& cluster, std::string_view token);
  void remove(const std::string& cluster);

  // A token set for two clusters (one Secret named by both, or two Secrets
  // with one value) could speak for either: it authenticates neither.
  [[nodiscard]] TokenVerdict check(std::string_view cluster, std::string_view bearer_token) const;
  // Every cluster whose token is also another's, with those others (sorted).
  [[nodiscard]] std::map<std::string, std::vector<std::string>> sharing() const;
  [[nodiscard]] std::size_t size() const;

 private:
  struct Table {
    std::map<std::string, Digest, std::less<>> by_cluster;
    std::map<Digest, int> clusters_with;  // how many clusters have each digest
  };
  static void forget(Table& table, const std::string& cluster);
  mutable std::mutex mutex_;  // guards the pointer table_, not the (immutable) table
  std::shared_ptr<const Table> table_ = std::make_shared<Table>();
};

}  // namespace switchyard::hub
