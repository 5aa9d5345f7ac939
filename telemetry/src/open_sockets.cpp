#include "switchyard/telemetry/open_sockets.h"

#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cstdlib>
#include <functional>

namespace switchyard::telemetry {
namespace {

int port_of(const sockaddr_storage& address) {
  if (address.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(address).sin_port);
  if (address.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(address).sin6_port);
  return -1;
}

int local_port(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  return getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0 ? port_of(address) : -1;
}

int remote_port(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  return getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0 ? port_of(address) : -1;
}

bool accepting(int fd) {
  int value = 0;
  socklen_t length = sizeof(value);
  return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &value, &length) == 0 && value != 0;
}

// Calls `visit` with each open descriptor of this process until it returns
// true; returns that descriptor, or -1 when it never did.
int visit_descriptors(const std::function<bool(int)>& visit) {
  DIR* descriptors = opendir("/proc/self/fd");
  if (descriptors == nullptr) return -1;
  int found = -1;
  while (dirent* entry = readdir(descriptors)) {
    char* end = nullptr;
    const long fd = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || fd == dirfd(descriptors)) continue;
    if (visit(static_cast<int>(fd))) {
      found = static_cast<int>(fd);
      break;
    }
  }
  closedir(descriptors);
  return found;
}

}  // namespace

int listening_socket_on(int port) {
  return visit_descriptors([port](int fd) { return accepting(fd) && local_port(fd) == port; });
}

int connected_socket(int local, int remote) {
  return connected_socket(local, remote, [](int) { return false; });
}

int connected_socket(int local, int remote, const std::function<bool(int)>& skip) {
  // The peer's port first: it rules out nearly every descriptor in one call
  // (and fails at once for listening sockets and files).
  return visit_descriptors([local, remote, &skip](int fd) {
    return !skip(fd) && remote_port(fd) == remote && local_port(fd) == local && !accepting(fd);
  });
}

int shut_down_connections_on(int port) {
  int count = 0;
  (void)visit_descriptors([port, &count](int fd) {
    if (local_port(fd) == port && remote_port(fd) >= 0 && !accepting(fd) && ::shutdown(fd, SHUT_RD) == 0) ++count;
    return false;  // every descriptor
  });
  return count;
}

bool peer_hung_up(int fd) {
  pollfd probe{fd, POLLRDHUP, 0};
  if (poll(&probe, 1, 0) <= 0) return false;
  return (probe.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
}

}  // namespace switchyard::telemetry
