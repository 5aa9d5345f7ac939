// Runs a cpp-httplib server on a background thread, for the hub's agent API
// and the metrics endpoints alike.
#pragma once

#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace switchyard::telemetry {

// Binds `server` to host:port (port 0 picks a free one) and runs its accept
// loop on `thread`. Returns only once the loop runs, because httplib's stop()
// is a no-op before that and a stop() right after start would leave the thread
// in accept() forever. On failure returns false with `error` set.
[[nodiscard]] bool serve_in_background(httplib::Server& server, const std::string& host, int port,
                                       std::thread& thread, int& bound_port, std::string& error);

}  // namespace switchyard::telemetry
