// The process's own TCP sockets, found by address among its open descriptors.
//
// cpp-httplib keeps its sockets private, yet two things need them: raising
// the listen backlog it fixed at build time, and telling that a watch's
// client has hung up while no event is being written to it. Both look the
// descriptor up here, by the ports httplib does expose.
//
// Linux only (/proc/self/fd, POLLRDHUP). The descriptor is valid only while
// whatever owns the socket keeps it open: use it at once, never keep it.
#pragma once

#include <functional>

namespace switchyard::telemetry {

// The listening socket bound to `port`; -1 when there is none.
[[nodiscard]] int listening_socket_on(int port);

// The connected socket whose local and remote ports are these; -1 when there
// is none. One scan of the process's descriptors: call it once per
// connection, not per read.
[[nodiscard]] int connected_socket(int local_port, int remote_port);
// The same, never looking at descriptors for which `skip` holds (those a
// caller already knows are other connections): a server with thousands of
// connections that looks one up each time one starts would otherwise cost
// three system calls per open descriptor per connection.
[[nodiscard]] int connected_socket(int local_port, int remote_port, const std::function<bool(int)>& skip);

// Shuts down the reading side (the descriptor stays open and its owner's)
// of every connected socket whose local port is `local_port`: the
// connections a server on that port accepted. A thread of the owner waiting
// to read one (an idle keep-alive connection, a half-sent request) sees end
// of file at once instead of waiting out its timeout, while a response being
// written still goes out whole. Returns how many.
int shut_down_connections_on(int local_port);

// The peer has closed its side (FIN, RST or an error is pending). Data
// waiting to be read is not a hang-up. Never blocks.
[[nodiscard]] bool peer_hung_up(int fd);

}  // namespace switchyard::telemetry
