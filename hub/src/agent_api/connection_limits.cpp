#include "switchyard/hub/connection_limits.h"

namespace switchyard::hub {

ConnectionLimits::Opened ConnectionLimits::open(Evict evict) {
  std::lock_guard lock(mutex_);
  Opened opened;
  if (caps_.unauthenticated > 0 && unauthenticated_.size() >= caps_.unauthenticated) {
    auto& victim = connections_.at(unauthenticated_.front());
    unauthenticated_.pop_front();
    victim.evicted = true;
    opened.evicted = std::move(victim.evict);
    ++evictions_;
  }
  opened.id = next_id_++;
  auto& connection = connections_[opened.id];
  connection.evict = std::move(evict);
  connection.waiting = unauthenticated_.insert(unauthenticated_.end(), opened.id);
  return opened;
}

bool ConnectionLimits::authenticate(std::uint64_t id, const std::string& cluster) {
  std::lock_guard lock(mutex_);
  auto it = connections_.find(id);
  if (it == connections_.end() || it->second.evicted) return false;
  auto& connection = it->second;
  if (!connection.cluster.empty()) return true;
  auto& held = per_cluster_[cluster];
  if (held >= caps_.per_cluster) return false;
  ++held;
  connection.cluster = cluster;
  unauthenticated_.erase(connection.waiting);
  connection.evict = nullptr;
  return true;
}

void ConnectionLimits::close(std::uint64_t id) {
  Evict dropped;  // destroyed outside the lock: it may own the connection
  std::lock_guard lock(mutex_);
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  auto& connection = it->second;
  if (!connection.cluster.empty()) {
    auto held = per_cluster_.find(connection.cluster);
    if (--held->second == 0) per_cluster_.erase(held);
  } else if (!connection.evicted) {
    unauthenticated_.erase(connection.waiting);
  }
  dropped = std::move(connection.evict);
  connections_.erase(it);
}

bool ConnectionLimits::try_park(const std::string& cluster) {
  std::lock_guard lock(mutex_);
  auto& held = parked_per_cluster_[cluster];
  if (held >= caps_.parked_per_cluster || parked_ >= caps_.parked) {
    if (held == 0) parked_per_cluster_.erase(cluster);
    return false;
  }
  ++held;
  ++parked_;
  return true;
}

void ConnectionLimits::unpark(const std::string& cluster) {
  std::lock_guard lock(mutex_);
  auto held = parked_per_cluster_.find(cluster);
  if (held == parked_per_cluster_.end()) return;
  --parked_;
  if (--held->second == 0) parked_per_cluster_.erase(held);
}

std::size_t ConnectionLimits::unauthenticated() const {
  std::lock_guard lock(mutex_);
  return unauthenticated_.size();
}

std::size_t ConnectionLimits::connections(const std::string& cluster) const {
  std::lock_guard lock(mutex_);
  auto it = per_cluster_.find(cluster);
  return it == per_cluster_.end() ? 0 : it->second;
}

std::size_t ConnectionLimits::parked(const std::string& cluster) const {
  std::lock_guard lock(mutex_);
  auto it = parked_per_cluster_.find(cluster);
  return it == parked_per_cluster_.end() ? 0 : it->second;
}

std::uint64_t ConnectionLimits::evictions() const {
  std::lock_guard lock(mutex_);
  return evictions_;
}

}  // namespace switchyard::hub
