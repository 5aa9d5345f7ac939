// kubeconfig loading with kubectl's merge rules, and in-cluster config.
#include "switchyard/kube/config.h"

#include <cstdlib>
#include <map>

#include <yaml-cpp/yaml.h>

#include "base64.h"
#include "files.h"

namespace switchyard::kube {
namespace {

ApiError config_error(std::string message) {
  return ApiError{0, "InvalidConfig", std::move(message), {}, {}};
}

// One named entry (cluster, user or context) and the file that defined it.
struct Entry {
  YAML::Node body;
  std::string file;
  std::string dir;
};

struct Merged {
  std::map<std::string, Entry> clusters, users, contexts;
  std::string current_context;
  std::string current_context_file;
  std::string files;  // "a, b" for messages
};

std::optional<std::string> scalar(const YAML::Node& node) {
  if (!node || !node.IsScalar()) return std::nullopt;
  return node.Scalar();
}

// Reads the optional string field `key` of `node`; a non-scalar is an error.
bool read_string(const YAML::Node& node, const char* key, const std::string& where,
                 std::string& out, std::optional<ApiError>& error) {
  const YAML::Node value = node[key];
  if (!value || value.IsNull()) return false;
  if (!value.IsScalar()) {
    error = config_error(where + "." + key + ": must be a string");
    return false;
  }
  out = value.Scalar();
  return true;
}

bool read_bool(const YAML::Node& node, const char* key, const std::string& where, bool& out,
               std::optional<ApiError>& error) {
  const YAML::Node value = node[key];
  if (!value || value.IsNull()) return false;
  bool parsed = false;
  if (!value.IsScalar() || !YAML::convert<bool>::decode(value, parsed)) {
    error = config_error(where + "." + key + ": must be true or false");
    return false;
  }
  out = parsed;
  return true;
}

// Adds one named list (clusters/users/contexts) of a file; earlier files win.
std::optional<ApiError> merge_list(const YAML::Node& root, const char* list, const char* inner,
                                   const std::string& file, std::map<std::string, Entry>& into) {
  const YAML::Node items = root[list];
  if (!items || items.IsNull()) return std::nullopt;
  if (!items.IsSequence()) return config_error(file + ": " + list + ": must be a list");
  for (std::size_t i = 0; i < items.size(); ++i) {
    const YAML::Node item = items[i];
    std::string where = file + ": " + list + "[" + std::to_string(i) + "]";
    auto name = scalar(item["name"]);
    if (!item.IsMap() || !name || name->empty()) return config_error(where + ".name: missing");
    const YAML::Node body = item[inner];
    if (body && !body.IsNull() && !body.IsMap()) {
      return config_error(where + "." + inner + ": must be a map");
    }
    // First definition wins, as kubectl's merge does.
    into.try_emplace(*name, Entry{body && body.IsMap() ? body : YAML::Node(YAML::NodeType::Map), file,
                                  files::parent_dir(file)});
  }
  return std::nullopt;
}

std::optional<ApiError> merge_document(const std::string& text, const std::string& file, Merged& merged) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return config_error(file + ": not valid YAML: " + e.what());
  }
  if (!root || root.IsNull()) return std::nullopt;  // an empty file contributes nothing
  if (!root.IsMap()) return config_error(file + ": expected a kubeconfig map at the top level");
  try {
    if (auto error = merge_list(root, "clusters", "cluster", file, merged.clusters)) return error;
    if (auto error = merge_list(root, "users", "user", file, merged.users)) return error;
    if (auto error = merge_list(root, "contexts", "context", file, merged.contexts)) return error;
    if (merged.current_context.empty()) {
      if (auto current = scalar(root["current-context"]); current && !current->empty()) {
        merged.current_context = *current;
        merged.current_context_file = file;
      }
    }
  } catch (const YAML::Exception& e) {
    return config_error(file + ": " + e.what());
  }
  if (!merged.files.empty()) merged.files += ", ";
  merged.files += file;
  return std::nullopt;
}

// "<x>-data" (base64) wins over "<x>" (a path relative to the defining file).
std::optional<ApiError> read_pem(const YAML::Node& node, const std::string& key, const Entry& entry,
                                 const std::string& where, std::string& out) {
  std::optional<ApiError> error;
  std::string data;
  std::string data_key = key + "-data";
  if (read_string(node, data_key.c_str(), where, data, error)) {
    auto decoded = base64::decode(data);
    if (!decoded) return config_error(where + "." + data_key + ": not valid base64");
    out = std::move(*decoded);
    return std::nullopt;
  }
  if (error) return error;
  std::string path;
  if (read_string(node, key.c_str(), where, path, error)) {
    std::string read_error;
    auto content = files::read(files::resolve(entry.dir, path), read_error);
    if (!content) return config_error(where + "." + key + ": " + read_error);
    out = std::move(*content);
  }
  return error;
}

std::optional<ApiError> read_cluster(const Entry& entry, const std::string& where, ClusterConfig& config) {
  std::optional<ApiError> error;
  const YAML::Node& node = entry.body;
  if (!read_string(node, "server", where, config.server, error) || config.server.empty()) {
    return error ? error : config_error(where + ".server: missing");
  }
  if (config.server.rfind("https://", 0) != 0 && config.server.rfind("http://", 0) != 0) {
    return config_error(where + ".server: \"" + config.server + "\" must start with https:// or http://");
  }
  while (!config.server.empty() && config.server.back() == '/') config.server.pop_back();
  if (auto pem_error = read_pem(node, "certificate-authority", entry, where, config.ca_pem)) return pem_error;
  read_bool(node, "insecure-skip-tls-verify", where, config.insecure_skip_tls_verify, error);
  if (error) return error;
  read_string(node, "tls-server-name", where, config.tls_server_name, error);
  if (error) return error;
  if (node["proxy-url"]) return config_error(where + ".proxy-url: proxies are not supported");
  return std::nullopt;
}

std::optional<ApiError> read_exec(const YAML::Node& node, const Entry& entry, const std::string& where,
                                  ExecConfig& exec) {
  std::optional<ApiError> error;
  if (!read_string(node, "apiVersion", where, exec.api_version, error)) {
    return error ? error : config_error(where + ".apiVersion: missing");
  }
  if (exec.api_version != "client.authentication.k8s.io/v1" &&
      exec.api_version != "client.authentication.k8s.io/v1beta1") {
    return config_error(where + ".apiVersion: \"" + exec.api_version +
                        "\" is not supported (use client.authentication.k8s.io/v1 or v1beta1)");
  }
  if (!read_string(node, "command", where, exec.command, error) || exec.command.empty()) {
    return error ? error : config_error(where + ".command: missing");
  }
  // A relative command with a '/' is relative to the kubeconfig, as client-go does.
  if (exec.command.front() != '/' && exec.command.find('/') != std::string::npos) {
    exec.command = files::resolve(entry.dir, exec.command);
  }
  if (const YAML::Node args = node["args"]; args && !args.IsNull()) {
    if (!args.IsSequence()) return config_error(where + ".args: must be a list of strings");
    for (std::size_t i = 0; i < args.size(); ++i) {
      auto arg = scalar(args[i]);
      if (!arg) return config_error(where + ".args[" + std::to_string(i) + "]: must be a string");
      exec.args.push_back(*arg);
    }
  }
  if (const YAML::Node env = node["env"]; env && !env.IsNull()) {
    if (!env.IsSequence()) return config_error(where + ".env: must be a list of {name, value}");
    for (std::size_t i = 0; i < env.size(); ++i) {
      std::string item_where = where + ".env[" + std::to_string(i) + "]";
      auto name = scalar(env[i]["name"]);
      auto value = scalar(env[i]["value"]);
      if (!name || name->empty()) return config_error(item_where + ".name: missing");
      if (!value) return config_error(item_where + ".value: missing");
      exec.env.emplace_back(*name, *value);
    }
  }
  read_bool(node, "provideClusterInfo", where, exec.provide_cluster_info, error);
  read_string(node, "interactiveMode", where, exec.interactive_mode, error);
  if (!error && exec.interactive_mode == "Always") {
    return config_error(where + ".interactiveMode: Always needs a terminal, which this process never has");
  }
  read_string(node, "installHint", where, exec.install_hint, error);
  return error;
}

std::optional<ApiError> read_user(const Entry& entry, const std::string& where, ClusterConfig& config) {
  std::optional<ApiError> error;
  const YAML::Node& node = entry.body;
  read_string(node, "token", where, config.token, error);
  if (error) return error;
  if (read_string(node, "tokenFile", where, config.token_file, error)) {
    config.token_file = files::resolve(entry.dir, config.token_file);
    std::string read_error;
    if (!files::read(config.token_file, read_error)) return config_error(where + ".tokenFile: " + read_error);
  }
  if (error) return error;
  if (auto pem_error = read_pem(node, "client-certificate", entry, where, config.client_cert_pem)) return pem_error;
  if (auto pem_error = read_pem(node, "client-key", entry, where, config.client_key_pem)) return pem_error;
  if (config.client_cert_pem.empty() != config.client_key_pem.empty()) {
    return config_error(where + ": client-certificate and client-key must be given together");
  }
  if (const YAML::Node exec = node["exec"]; exec && !exec.IsNull()) {
    if (!exec.IsMap()) return config_error(where + ".exec: must be a map");
    ExecConfig parsed;
    if (auto exec_error = read_exec(exec, entry, where + ".exec", parsed)) return exec_error;
    config.exec = std::move(parsed);
  }
  if (node["auth-provider"]) {
    return config_error(where + ".auth-provider: not supported (removed from kubectl in 1.26; use an exec plugin)");
  }
  if (node["username"] || node["password"]) {
    return config_error(where + ".username/password: basic authentication is not supported");
  }
  return std::nullopt;
}

Result<ClusterConfig> resolve_context(const Merged& merged, const std::string& context_flag) {
  const std::string& context_name = context_flag.empty() ? merged.current_context : context_flag;
  if (context_name.empty()) {
    return config_error("kubeconfig " + merged.files + ": no current-context is set and no context was given");
  }
  auto context = merged.contexts.find(context_name);
  if (context == merged.contexts.end()) {
    return config_error("kubeconfig " + merged.files + ": context \"" + context_name + "\" not found" +
                        (context_flag.empty() ? " (named by current-context in " + merged.current_context_file + ")"
                                              : ""));
  }
  const Entry& ctx = context->second;
  std::string where = ctx.file + ": context \"" + context_name + "\"";
  std::optional<ApiError> error;
  std::string cluster_name, user_name;
  ClusterConfig config;
  if (!read_string(ctx.body, "cluster", where, cluster_name, error) || cluster_name.empty()) {
    return error ? *error : config_error(where + ".cluster: missing");
  }
  read_string(ctx.body, "user", where, user_name, error);
  read_string(ctx.body, "namespace", where, config.namespace_name, error);
  if (error) return *error;
  if (config.namespace_name.empty()) config.namespace_name = "default";

  auto cluster = merged.clusters.find(cluster_name);
  if (cluster == merged.clusters.end()) {
    return config_error(where + ".cluster: cluster \"" + cluster_name + "\" not found in " + merged.files);
  }
  if (auto cluster_error = read_cluster(cluster->second,
                                        cluster->second.file + ": cluster \"" + cluster_name + "\"", config)) {
    return *cluster_error;
  }
  if (!user_name.empty()) {
    auto user = merged.users.find(user_name);
    if (user == merged.users.end()) {
      return config_error(where + ".user: user \"" + user_name + "\" not found in " + merged.files);
    }
    if (auto user_error = read_user(user->second, user->second.file + ": user \"" + user_name + "\"", config)) {
      return *user_error;
    }
  }
  config.source = "kubeconfig " + merged.files + " context \"" + context_name + "\"";
  return config;
}

std::vector<std::string> split_path_list(const std::string& list) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= list.size()) {
    auto colon = list.find(':', start);
    if (colon == std::string::npos) colon = list.size();
    if (colon > start) out.push_back(list.substr(start, colon - start));
    start = colon + 1;
  }
  return out;
}

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

}  // namespace

Result<ClusterConfig> parse_kubeconfig(const std::string& yaml_text, const std::string& base_dir,
                                       const std::string& context, const std::string& source_name) {
  Merged merged;
  // Entries resolve relative paths against the defining file's folder; a
  // synthetic file name inside base_dir gives them that folder.
  if (auto error = merge_document(yaml_text, files::resolve(base_dir, source_name), merged)) return *error;
  return resolve_context(merged, context);
}

Result<ClusterConfig> load_kubeconfig_files(const std::vector<std::string>& paths, const std::string& context) {
  if (paths.empty()) return config_error("kubeconfig: no file given");
  Merged merged;
  for (const auto& path : paths) {
    std::string read_error;
    auto text = files::read(path, read_error);
    if (!text) return config_error("kubeconfig " + read_error);
    if (auto error = merge_document(*text, path, merged)) return *error;
  }
  return resolve_context(merged, context);
}

Result<ClusterConfig> load_in_cluster(const std::string& host, const std::string& port,
                                      const InClusterPaths& paths) {
  if (host.empty() || port.empty()) {
    return config_error(
        "in-cluster config: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must both be set");
  }
  ClusterConfig config;
  // An IPv6 service address needs brackets in a URL.
  std::string url_host = host.find(':') != std::string::npos && host.front() != '[' ? "[" + host + "]" : host;
  config.server = "https://" + url_host + ":" + port;
  std::string error;
  if (!files::read(paths.token, error)) return config_error("in-cluster config: service-account token " + error);
  config.token_file = paths.token;
  auto ca = files::read(paths.ca, error);
  if (!ca) return config_error("in-cluster config: service-account CA " + error);
  config.ca_pem = std::move(*ca);
  if (auto ns = files::read(paths.namespace_file, error); ns && !files::trim(*ns).empty()) {
    config.namespace_name = files::trim(*ns);
  }
  config.source = "in-cluster service account (" + paths.token + ")";
  return config;
}

Result<ClusterConfig> load_in_cluster(const InClusterPaths& paths) {
  return load_in_cluster(env_or_empty("KUBERNETES_SERVICE_HOST"), env_or_empty("KUBERNETES_SERVICE_PORT"),
                         paths);
}

Result<ClusterConfig> load_config(const std::string& kubeconfig_flag, const std::string& context_flag) {
  if (!kubeconfig_flag.empty()) return load_kubeconfig_files(split_path_list(kubeconfig_flag), context_flag);
  if (std::string list = env_or_empty("KUBECONFIG"); !list.empty()) {
    // kubectl skips KUBECONFIG entries that do not exist.
    std::vector<std::string> existing;
    for (auto& path : split_path_list(list)) {
      if (files::exists(path)) existing.push_back(path);
    }
    if (existing.empty()) return config_error("KUBECONFIG=" + list + ": none of these files exists");
    return load_kubeconfig_files(existing, context_flag);
  }
  if (std::string home = env_or_empty("HOME"); !home.empty() && files::exists(home + "/.kube/config")) {
    return load_kubeconfig_files({home + "/.kube/config"}, context_flag);
  }
  if (env_or_empty("KUBERNETES_SERVICE_HOST").empty()) {
    return config_error(
        "no Kubernetes configuration: --kubeconfig not given, KUBECONFIG unset, ~/.kube/config absent, "
        "and not running in a cluster (KUBERNETES_SERVICE_HOST unset)");
  }
  return load_in_cluster();
}

}  // namespace switchyard::kube
