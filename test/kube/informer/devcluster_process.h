// switchyard-devcluster as a real child process for the informer and leader
// election tests: TLS with a certificate that survives restarts, a bearer
// token, a data directory (objects survive restarts), a free port kept
// across restarts. The destructor kills the process and removes its files,
// also when a test fails.
#pragma once

#include <string>
#include <sys/types.h>

#include "../test_support.h"
#include "switchyard/kube/config.h"

namespace switchyard::kube::test {

class DevclusterProcess {
 public:
  // Starts the server; fails the test (REQUIRE) when it does not come up.
  explicit DevclusterProcess(int event_window = 10000);
  ~DevclusterProcess();
  DevclusterProcess(const DevclusterProcess&) = delete;
  DevclusterProcess& operator=(const DevclusterProcess&) = delete;

  // SIGTERM (the server saves its objects) and wait.
  void stop();
  // SIGKILL and wait: a crash (objects written more than 50 ms before are saved).
  void kill();
  // Starts again on the same port with the same certificate and data. Call
  // from the thread that lives longest (the test thread): the server is
  // killed when the thread that started it ends (PR_SET_PDEATHSIG).
  void start();
  void restart() {
    stop();
    start();
  }

  int port() const { return port_; }
  // Connects to the server directly, TLS verified against its certificate.
  ClusterConfig config() const;
  // The same, addressed to another local port (a proxy in front of the server).
  ClusterConfig config_via(int port) const;

 private:
  void end_with(int signal);

  TempDir dir_;
  int event_window_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace switchyard::kube::test
