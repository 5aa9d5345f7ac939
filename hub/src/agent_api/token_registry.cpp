#include "switchyard/hub/token_registry.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

namespace switchyard::hub {
namespace {

TokenRegistry::Digest digest_of(std::string_view token) {
  TokenRegistry::Digest digest{};
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), digest.data());
  return digest;
}

bool same_digest(const TokenRegistry::Digest& a, const TokenRegistry::Digest& b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

void TokenRegistry::forget(Table& table, const std::string& cluster) {
  auto held = table.by_cluster.find(cluster);
  if (held == table.by_cluster.end()) return;
  auto uses = table.clusters_with.find(held->second);
  if (uses != table.clusters_with.end() && --uses->second == 0) table.clusters_with.erase(uses);
  table.by_cluster.erase(held);
}

void TokenRegistry::set_token(const std::string& cluster, std::string_view token) {
  if (token.empty()) {
    remove(cluster);
    return;
  }
  std::lock_guard lock(mutex_);
  auto next = std::make_shared<Table>(*table_);
  forget(*next, cluster);
  const auto digest = digest_of(token);
  next->by_cluster[cluster] = digest;
  ++next->clusters_with[digest];
  table_ = std::move(next);
}

void TokenRegistry::remove(const std::string& cluster) {
  std::lock_guard lock(mutex_);
  if (table_->by_cluster.find(cluster) == table_->by_cluster.end()) return;
  auto next = std::make_shared<Table>(*table_);
  forget(*next, cluster);
  table_ = std::move(next);
}

std::size_t TokenRegistry::size() const {
  std::lock_guard lock(mutex_);
  return table_->by_cluster.size();
}

TokenVerdict TokenRegistry::check(std::string_view cluster, std::string_view bearer_token) const {
  std::shared_ptr<const Table> table;
  {
    std::lock_guard lock(mutex_);
    table = table_;
  }
  if (bearer_token.empty()) return TokenVerdict::Unauthenticated;
  const auto presented = digest_of(bearer_token);
  const auto own_entry = table->by_cluster.find(cluster);
  const bool own = own_entry != table->by_cluster.end() && same_digest(presented, own_entry->second);
  const auto uses = table->clusters_with.find(presented);
  const int holders = uses == table->clusters_with.end() ? 0 : uses->second;
  const bool other = holders > (own ? 1 : 0);
  if (own && other) return TokenVerdict::Shared;
  if (own) return TokenVerdict::Allowed;
  if (other) return TokenVerdict::Forbidden;
  return TokenVerdict::Unauthenticated;
}

std::map<std::string, std::vector<std::string>> TokenRegistry::sharing() const {
  std::shared_ptr<const Table> table;
  {
    std::lock_guard lock(mutex_);
    table = table_;
  }
  // Grouped by digest: one pass, not a comparison per pair of clusters.
  std::map<Digest, std::vector<std::string>> by_digest;
  for (const auto& [name, digest] : table->by_cluster) by_digest[digest].push_back(name);
  std::map<std::string, std::vector<std::string>> shared;
  for (const auto& [digest, names] : by_digest) {
    if (names.size() < 2) continue;
    for (const auto& name : names) {
      auto& others = shared[name];
      for (const auto& other : names) {
        if (other != name) others.push_back(other);
      }
    }
  }
  return shared;
}

}  // namespace switchyard::hub
