// The world of the hub's end-to-end tests: a real switchyard-devcluster
// process as the management cluster (TLS and a bearer token, CRDs applied
// with kubectl), switchyard-hub processes against it, and agents that speak
// the agent protocol through the agent's own HubClient.
#pragma once

#include <catch2/catch.hpp>
#include <httplib.h>

#include <filesystem>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "child_process.h"
#include "switchyard/agent/hub_client.h"
#include "switchyard/kube/client.h"
#include "switchyard/kube/config.h"
#include "switchyard/kube/resource.h"

namespace switchyard::hub::e2e {

using namespace std::chrono_literals;

inline const kube::Resource kNamespaces{"", "v1", "namespaces", "Namespace", false};

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "switchyard-hub-e2e-XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  [[nodiscard]] std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// One switchyard-hub process and where it listens.
struct HubHandle {
  std::unique_ptr<ChildProcess> process;
  int agent_port = 0;
  int metrics_port = 0;

  [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(agent_port); }
  // GET on the metrics server; status 0 when it does not answer.
  [[nodiscard]] std::pair<int, std::string> get(const std::string& path) const {
    httplib::Client http("127.0.0.1", metrics_port);
    http.set_connection_timeout(2, 0);
    auto result = http.Get(path);
    if (!result) return {0, ""};
    return {result->status, result->body};
  }
  // Sum of a counter family over all its series, from /metrics.
  [[nodiscard]] double metric_sum(const std::string& family) const {
    auto [code, body] = get("/metrics");
    REQUIRE(code == 200);
    double sum = 0;
    std::istringstream lines(body);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind(family, 0) != 0) continue;
      if (line.size() > family.size() && line[family.size()] != '{' && line[family.size()] != ' ') continue;
      sum += std::stod(line.substr(line.rfind(' ') + 1));
    }
    return sum;
  }
};

class ManagementCluster {
 public:
  ManagementCluster() {
    devcluster_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{SWITCHYARD_DEVCLUSTER_BIN, "--listen", "127.0.0.1:0", "--tls", "--token",
                                 "management-token", "--kubeconfig-out", kubeconfig()},
        dir_.file("devcluster.log"));
    auto ready = devcluster_->wait_for_line("ready ", 20s);
    INFO(devcluster_->log());
    REQUIRE(ready);
    auto config = kube::load_config(kubeconfig(), "");
    INFO((config.ok() ? "" : config.error().to_string()));
    REQUIRE(config.ok());
    client_ = std::make_unique<kube::Client>(std::move(config).value());

    kubectl({"apply", "-f", std::string(SWITCHYARD_SOURCE_DIR) + "/crds/"});
    create(kNamespaces, "", R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"switchyard-system"}})");
    create(kNamespaces, "", R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"emojivoto"}})");
    for (const std::string cluster : {"west", "east"}) {
      create(kube::kSecrets, "switchyard-system",
             R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"agent-)" + cluster +
                 R"(","namespace":"switchyard-system"},"data":{"token":")" + base64("token-" + cluster) + R"("}})");
      create(kube::kMemberClusters, "",
             R"({"apiVersion":"switchyard.io/v1alpha1","kind":"MemberCluster","metadata":{"name":")" + cluster +
                 R"("},"spec":{"tokenSecretRef":{"namespace":"switchyard-system","name":"agent-)" + cluster +
                 R"(","key":"token"}}})");
    }
  }

  [[nodiscard]] std::string kubeconfig() const { return dir_.file("kubeconfig"); }
  [[nodiscard]] kube::Client& client() { return *client_; }

  void kubectl(const std::vector<std::string>& args) {
    std::string command = "kubectl --kubeconfig " + kubeconfig();
    for (const auto& arg : args) command += " '" + arg + "'";
    command += " > " + dir_.file("kubectl.log") + " 2>&1";
    const int code = std::system(command.c_str());
    INFO(command);
    std::ifstream in(dir_.file("kubectl.log"));
    std::stringstream output;
    output << in.rdbuf();
    INFO(output.str());
    REQUIRE(code == 0);
  }

  kube::ObjectPtr create(const kube::Resource& resource, const std::string& ns, const std::string& body) {
    auto result = client_->create(resource, ns, body);
    INFO(body << "\n" << (result.ok() ? "" : result.error().to_string()));
    REQUIRE(result.ok());
    return result.value();
  }

  kube::ObjectPtr get_fos(const std::string& name) {
    auto result = client_->get(kube::kFailoverServices, "emojivoto", name);
    return result.ok() ? result.value() : nullptr;
  }

  // A string field of a FailoverService's status ("" while absent).
  std::string fos_status_string(const std::string& name, const char* field) {
    auto object = get_fos(name);
    if (!object) return {};
    const auto* status = object->member("status");
    if (status == nullptr || !status->IsObject()) return {};
    auto it = status->FindMember(field);
    return it != status->MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
  }

  // MemberCluster `name`'s status.connected (false while absent).
  bool member_connected(const std::string& name) {
    auto result = client_->get(kube::kMemberClusters, "", name);
    if (!result.ok()) return false;
    const auto* status = result.value()->member("status");
    if (status == nullptr || !status->IsObject()) return false;
    auto it = status->FindMember("connected");
    return it != status->MemberEnd() && it->value.IsBool() && it->value.GetBool();
  }

  // Event reasons recorded about `name` in namespace emojivoto.
  std::vector<std::string> event_reasons(const std::string& name) {
    std::vector<std::string> reasons;
    auto list = client_->list(kube::kEvents, "emojivoto");
    if (!list.ok()) return reasons;
    for (const auto& event : list.value().items) {
      const auto* involved = event->member("involvedObject");
      const auto* reason = event->member("reason");
      if (involved == nullptr || reason == nullptr || !reason->IsString()) continue;
      auto object_name = involved->FindMember("name");
      if (object_name != involved->MemberEnd() && object_name->value == name.c_str()) {
        reasons.emplace_back(reason->GetString());
      }
    }
    return reasons;
  }

  HubHandle start_hub(const std::string& name, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv{SWITCHYARD_HUB_BIN,
                                  "--kubeconfig", kubeconfig(),
                                  "--namespace", "switchyard-system",
                                  "--listen", "127.0.0.1:0",
                                  "--insecure-listen",
                                  "--metrics-listen", "127.0.0.1:0",
                                  "--cluster-timeout", "5s",
                                  "--log-level", "debug"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    HubHandle hub;
    hub.process = std::make_unique<ChildProcess>(argv, dir_.file(name + ".log"));
    const std::regex port(R"(port=(\d+))");
    std::smatch match;
    auto agent_line = hub.process->wait_for_line("agent API listening", 20s);
    INFO(hub.process->log());
    REQUIRE(agent_line);
    REQUIRE(std::regex_search(*agent_line, match, port));
    hub.agent_port = std::stoi(match[1]);
    auto metrics_line = hub.process->wait_for_line("metrics listening", 20s);
    REQUIRE(metrics_line);
    REQUIRE(std::regex_search(*metrics_line, match, port));
    hub.metrics_port = std::stoi(match[1]);
    return hub;
  }

  static std::string base64(const std::string& text) {
    static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::uint32_t bits = 0;
    int count = 0;
    for (unsigned char c : text) {
      bits = (bits << 8) | c;
      count += 8;
      while (count >= 6) {
        count -= 6;
        out.push_back(alphabet[(bits >> count) & 63]);
      }
    }
    if (count > 0) out.push_back(alphabet[(bits << (6 - count)) & 63]);
    while (out.size() % 4 != 0) out.push_back('=');
    return out;
  }

 private:
  TempDir dir_;
  std::unique_ptr<ChildProcess> devcluster_;
  std::unique_ptr<kube::Client> client_;
};

// A member cluster's agent, reduced to what the hub sees of it: full
// reports of the given health and assignment polls.
class TestAgent {
 public:
  TestAgent(const std::string& hub_url, const std::string& cluster, const std::string& token)
      : cluster_(cluster), client_(agent::HubClientOptions{hub_url, cluster, token, "", 2s, 5s}) {}

  struct Seen {
    std::string name;
    std::uint32_t ready;
    protocol::ServiceRole role = protocol::ServiceRole::Local;
  };

  agent::ReportResult report(const std::vector<Seen>& services) {
    protocol::Report report;
    report.agent_id = cluster_ + "-test-agent";
    report.seq = ++seq_;
    report.full = true;
    report.agent_version = "0.1.0-test";
    report.applied.revision = applied_;
    for (const auto& seen : services) {
      report.services.push_back({{"emojivoto", seen.name, seen.role}, true, seen.ready, seen.ready, {}});
    }
    last_ = services;
    return client_.send_report(report);
  }
  // Sends the same health again (a heartbeat that also carries `applied`).
  agent::ReportResult heartbeat() { return report(last_); }

  // Polls until an assignment with a revision other than `after` arrives;
  // remembers it as applied.
  std::optional<protocol::Assignment> poll(std::int64_t after, std::chrono::seconds wait = 5s) {
    auto result = client_.poll_assignment(after, "", wait);  // no epoch: the complete assignment
    if (result.outcome != agent::HubOutcome::Ok || !result.assignment) return std::nullopt;
    applied_ = result.assignment->revision;
    return result.assignment;
  }
  void set_applied(std::int64_t revision) { applied_ = revision; }

 private:
  std::string cluster_;
  agent::HubClient client_;
  std::uint64_t seq_ = 0;
  std::int64_t applied_ = 0;
  std::vector<Seen> last_;
};

// "service=weight" of the TrafficSplit named `name` in an assignment; empty when absent.
inline std::vector<std::string> split_of(const protocol::Assignment& assignment, const std::string& name = "web-svc") {
  std::vector<std::string> out;
  for (const auto& split : assignment.traffic_splits) {
    if (split.name != name) continue;
    rapidjson::Document document;
    document.Parse(split.object_json.c_str());
    REQUIRE_FALSE(document.HasParseError());
    for (const auto& backend : document["spec"]["backends"].GetArray()) {
      const auto& weight = backend["weight"];
      out.push_back(std::string(backend["service"].GetString()) + "=" +
                    (weight.IsString() ? std::string(weight.GetString()) : std::to_string(weight.GetInt64())));
    }
  }
  return out;
}

}  // namespace switchyard::hub::e2e
