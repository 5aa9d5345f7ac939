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

void TokenRegistry::set_token(const std::string& cluster, std::string_view token) {
  if (token.empty()) {
    remove(cluster);
    return;
  }
  std::lock_guard lock(mutex_);
  auto next = std::make_shared<Table>(*table_);
  (*next)[cluster] = digest_of(token);
  table_ = std::move(next);
}

void TokenRegistry::remove(const std::string& cluster) {
  std::lock_guard lock(mutex_);
  if (table_->find(cluster) == table_->end()) return;
  auto next = std::make_shared<Table>(*table_);
  next->erase(cluster);
  table_ = std::move(next);
}

std::size_t TokenRegistry::size() const {
  std::lock_guard lock(mutex_);
  return table_->size();
}

TokenVerdict TokenRegistry::check(std::string_view cluster, std::string_view bearer_token) const {
  std::shared_ptr<const Table> table;
  {
    std::lock_guard lock(mutex_);
    table = table_;
  }
  if (bearer_token.empty()) return TokenVerdict::Unauthenticated;
  const auto presented = digest_of(bearer_token);
  // Every digest is compared, whatever matches, so the time taken says
  // nothing about which cluster (if any) the token belongs to.
  bool own = false;
  bool other = false;
  for (const auto& [name, digest] : *table) {
    const bool match = same_digest(presented, digest);
    own |= match && name == cluster;
    other |= match && name != cluster;
  }
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
  for (const auto& [name, digest] : *table) by_digest[digest].push_back(name);
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
