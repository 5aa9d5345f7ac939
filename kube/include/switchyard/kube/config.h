// Where and how to reach one API server: loaded from kubeconfig files (as
// kubectl merges them) or from the in-cluster service account.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "switchyard/kube/result.h"

namespace switchyard::kube {

// users[].user.exec: a credential plugin run to obtain an ExecCredential.
struct ExecConfig {
  std::string api_version;  // client.authentication.k8s.io/v1 or /v1beta1
  std::string command;      // resolved against the kubeconfig folder when it contains a '/'
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  bool provide_cluster_info = false;
  std::string interactive_mode;  // Never / IfAvailable / Always (we never have a terminal)
  std::string install_hint;
};

// Paths of the in-cluster service-account files; tests point them elsewhere.
struct InClusterPaths {
  std::string token = "/var/run/secrets/kubernetes.io/serviceaccount/token";
  std::string ca = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";
  std::string namespace_file = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";
};

struct ClusterConfig {
  std::string server;           // "https://host:port" (http:// allowed for tests)
  std::string ca_pem;           // PEM bundle; empty = system trust store
  bool insecure_skip_tls_verify = false;
  std::string tls_server_name;  // SNI and certificate name when it differs from the host

  // Credentials, in client-go's precedence: client cert and/or bearer token;
  // token_file wins over token and is re-read every token_file_refresh;
  // exec runs when neither token nor token_file is set.
  std::string token;
  std::string token_file;
  std::chrono::seconds token_file_refresh{60};
  std::string client_cert_pem;
  std::string client_key_pem;
  std::optional<ExecConfig> exec;

  std::string namespace_name = "default";  // context namespace / in-cluster namespace
  std::string source;                      // where it came from, for messages

  // Transport limits.
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds request_timeout{30000};
  // A watch with no bytes for this long is treated as broken (servers send
  // bookmarks about every minute when asked).
  std::chrono::milliseconds watch_idle_timeout{300000};
  int max_retries = 5;                  // for 429/503 with Retry-After and transport errors
  std::chrono::seconds max_retry_after{30};
  std::size_t max_idle_connections = 4;  // pooled keep-alive connections
  // A pooled connection idle this long is closed instead of reused: servers
  // and load balancers close idle keep-alive connections (the devcluster
  // after 30 s, an AWS ALB after 60 s, nginx after 75 s), and a request
  // written into one the server is closing at that moment fails.
  std::chrono::milliseconds max_connection_idle{20000};
  std::string user_agent = "switchyard";
  std::string field_manager = "switchyard";  // server-side apply default
};

// kubeconfig_flag set -> that file (several separated by ':' are merged);
// else $KUBECONFIG (merged); else ~/.kube/config if it exists; else in-cluster.
// context_flag selects a context instead of current-context.
Result<ClusterConfig> load_config(const std::string& kubeconfig_flag,
                                  const std::string& context_flag);

// Merges the files in order as kubectl does (the first file to define a
// cluster/user/context name wins; current-context from the first file that
// sets it) and resolves `context` (empty = current-context). Relative paths
// resolve against the folder of the file that defined the entry.
Result<ClusterConfig> load_kubeconfig_files(const std::vector<std::string>& files,
                                            const std::string& context);

// One kubeconfig document given as text (base_dir resolves relative paths).
Result<ClusterConfig> parse_kubeconfig(const std::string& yaml_text, const std::string& base_dir,
                                       const std::string& context,
                                       const std::string& source_name = "kubeconfig");

// KUBERNETES_SERVICE_HOST/PORT from the environment plus the service-account
// files at `paths`.
Result<ClusterConfig> load_in_cluster(const InClusterPaths& paths = {});
// Same with an explicit host and port (tests).
Result<ClusterConfig> load_in_cluster(const std::string& host, const std::string& port,
                                      const InClusterPaths& paths);

}  // namespace switchyard::kube
