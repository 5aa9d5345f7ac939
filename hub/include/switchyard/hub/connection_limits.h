// What one agent-API client may hold at once (issue 18): a connection is
// unauthenticated until a request on it passes the token check, and those
// are capped for all clients together; a cluster's token may hold a few
// connections and a few parked polls, so one cluster (or a thief of its
// token) cannot crowd out the others.
//
// At the unauthenticated cap a new connection does not wait: the oldest
// unauthenticated one is evicted (closed), so slow senders that never
// authenticate (slowloris) keep turning over while an agent's connection,
// which authenticates with its first request, gets in.
//
// Pure bookkeeping, thread-safe: server threads call it for their own
// connections; eviction only hands back the victim's callback, which the
// caller runs without the lock (it posts the close to the victim's thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <mutex>
#include <string>

namespace switchyard::hub {

struct ConnectionCaps {
  std::size_t unauthenticated = 512;      // all clients together
  std::size_t per_cluster = 16;           // connections authenticated by one cluster's token
  std::size_t parked_per_cluster = 8;     // long polls one cluster's token keeps parked
  std::size_t parked = 16384;             // all clusters together
};

class ConnectionLimits {
 public:
  using Evict = std::function<void()>;

  explicit ConnectionLimits(ConnectionCaps caps) : caps_(caps) {}

  struct Opened {
    std::uint64_t id = 0;
    Evict evicted;  // the evicted connection's callback, or empty
  };
  // A new, unauthenticated connection; `evict` closes it if it is evicted.
  [[nodiscard]] Opened open(Evict evict);
  // The connection's first admitted request named `cluster`: false when that
  // cluster already holds its cap of connections, or this one was evicted
  // meanwhile (it stays unauthenticated and should be closed).
  [[nodiscard]] bool authenticate(std::uint64_t id, const std::string& cluster);
  void close(std::uint64_t id);

  // A parked poll of `cluster`: false at the cluster's cap or the global one.
  [[nodiscard]] bool try_park(const std::string& cluster);
  void unpark(const std::string& cluster);

  [[nodiscard]] std::size_t unauthenticated() const;
  [[nodiscard]] std::size_t connections(const std::string& cluster) const;
  [[nodiscard]] std::size_t parked(const std::string& cluster) const;
  [[nodiscard]] std::uint64_t evictions() const;

 private:
  struct Connection {
    std::string cluster;  // empty while unauthenticated
    bool evicted = false;
    std::list<std::uint64_t>::iterator waiting;  // in unauthenticated_, while unauthenticated and not evicted
    Evict evict;
  };

  const ConnectionCaps caps_;
  mutable std::mutex mutex_;  // guards everything below
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, Connection> connections_;
  std::list<std::uint64_t> unauthenticated_;  // oldest first
  std::map<std::string, std::size_t> per_cluster_;
  std::map<std::string, std::size_t> parked_per_cluster_;
  std::size_t parked_ = 0;
  std::uint64_t evictions_ = 0;
};

}  // namespace switchyard::hub
