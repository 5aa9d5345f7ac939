// switchyard-devcluster: parses flags, starts one Server, prints `ready <url>`
// and serves until SIGTERM or SIGINT.
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <pthread.h>

#include "switchyard/devcluster/server.h"

int main(int argc, char** argv) {
  CLI::App app{"switchyard-devcluster: a small Kubernetes-API-compatible server for demos and tests"};
  std::string listen = "127.0.0.1:0";
  std::string kubeconfig_out;
  std::string context_name = "devcluster";
  switchyard::devcluster::ServerOptions options;
  std::size_t event_window = options.event_window;
  app.add_option("--listen", listen, "host:port to serve on (port 0 picks a free one)");
  app.add_option("--kubeconfig-out", kubeconfig_out, "write a kubeconfig for this server to FILE");
  app.add_option("--context-name", context_name, "cluster/user/context name in the kubeconfig");
  app.add_flag("--tls", options.tls, "serve HTTPS with a self-signed certificate (or --tls-cert/--tls-key)");
  app.add_option("--tls-cert", options.tls_cert_file, "PEM certificate to serve instead of a generated one");
  app.add_option("--tls-key", options.tls_key_file, "PEM private key for --tls-cert");
  app.add_option("--token", options.token, "bearer token every request must carry");
  app.add_option("--data-dir", options.data_dir, "persist objects in DIR (in memory when absent)");
  app.add_option("--audit-log", options.audit_log_file,
                 "append one JSON line per resource request (RBAC verb, group, resource, namespace, User-Agent) "
                 "to FILE");
  app.add_option("--event-window", event_window, "events kept for watches; older resourceVersions get 410 Expired")
      ->check(CLI::PositiveNumber);
  std::int64_t watch_coalesce_us = options.watch_coalesce.count();
  app.add_option("--watch-coalesce-us", watch_coalesce_us,
                 "a watch writes to its client at most once per this many microseconds, sending what arrived "
                 "meanwhile together (0: every event at once)")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{1'000'000}))
      ->capture_default_str();
  std::vector<std::string> fault_specs;
  app.add_option("--test-fault", fault_specs,
                 "test hook: METHOD:PATH_PREFIX:DELAY_MS:STATUS:TIMES[:watch][:PERCENT%] delays (and with "
                 "STATUS != 0 fails) matching requests, or PERCENT% of them; SIGUSR1 re-arms these faults, "
                 "SIGUSR2 disarms them");
  bool faults_disarmed = false;
  app.add_flag("--test-fault-disarmed", faults_disarmed,
               "test hook: start with the --test-fault faults disarmed (SIGUSR1 arms them)");
  CLI11_PARSE(app, argc, argv);
  options.event_window = event_window;
  options.watch_coalesce = std::chrono::microseconds(watch_coalesce_us);
  if (!options.tls_cert_file.empty() || !options.tls_key_file.empty()) options.tls = true;

  auto colon = listen.rfind(':');
  if (colon == std::string::npos) {
    std::cerr << "switchyard-devcluster: --listen: expected host:port, got \"" << listen << "\"\n";
    return 2;
  }
  options.host = listen.substr(0, colon);
  try {
    options.port = std::stoi(listen.substr(colon + 1));
  } catch (const std::exception&) {
    std::cerr << "switchyard-devcluster: --listen: bad port in \"" << listen << "\"\n";
    return 2;
  }
  if (options.port < 0 || options.port > 65535) {
    std::cerr << "switchyard-devcluster: --listen: port out of range in \"" << listen << "\"\n";
    return 2;
  }

  // Block the stop signals in every thread the server starts; the main thread
  // waits for them with sigwait.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  // SIGUSR1/SIGUSR2 arm and disarm the test faults (the chaos suite turns
  // dropped and delayed requests on and off without a restart).
  sigaddset(&stop_signals, SIGUSR1);
  sigaddset(&stop_signals, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  switchyard::devcluster::Server server(options);
  std::string error;
  std::vector<switchyard::devcluster::Fault> faults;
  for (const auto& spec : fault_specs) {
    switchyard::devcluster::Fault fault;
    if (!switchyard::devcluster::parse_fault(spec, fault, error)) {
      std::cerr << "switchyard-devcluster: --test-fault: " << error << "\n";
      return 2;
    }
    faults.push_back(fault);
  }
  auto arm = [&] {
    server.clear_faults();
    for (const auto& fault : faults) server.inject_fault(fault);
  };
  if (!faults_disarmed) arm();
  if (!server.start(error)) {
    std::cerr << "switchyard-devcluster: " << error << "\n";
    return 1;
  }
  if (!kubeconfig_out.empty() && !server.write_kubeconfig(kubeconfig_out, context_name, error)) {
    std::cerr << "switchyard-devcluster: " << error << "\n";
    return 1;
  }
  std::cout << "ready " << server.url() << std::endl;
  int received = 0;
  while (sigwait(&stop_signals, &received) == 0 && (received == SIGUSR1 || received == SIGUSR2)) {
    if (received == SIGUSR1) {
      arm();
    } else {
      server.clear_faults();
    }
  }
  server.stop();
  return 0;
}
