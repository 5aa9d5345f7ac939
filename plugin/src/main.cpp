// kubectl-switchyard: the thin shell. Flags as kubectl spells them, the kube
// client for requests, the pure library for what is written and printed.
#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>
#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include "switchyard/kube/client.h"
#include "switchyard/kube/config.h"
#include "switchyard/plugin/plugin.h"
#include "switchyard/plugin/explain_view.h"
#include "switchyard/plugin/what_if_view.h"

namespace kube = switchyard::kube;
namespace plugin = switchyard::plugin;

namespace {

int fail(const std::string& message) {
  std::cerr << "error: " << message << "\n";
  return 1;
}

// One line per failure kind an operator can act on.
std::string describe(const kube::ApiError& e, const std::string& kind, const std::string& name,
                     const std::string& verb) {
  if (e.code == 404 && e.message.find("the server could not find the requested resource") != std::string::npos)
    return kind + ": the switchyard CRDs are not installed in this cluster (kubectl apply -f crds/)";
  if (e.code == 404 && name.empty())
    return kind + ": the switchyard CRDs are not installed in this cluster (kubectl apply -f crds/)";
  if (e.code == 404) return kind + " " + name + " not found";
  if (e.code == 403) return "forbidden: cannot " + verb + " " + kind + " " + name + ": " + e.message;
  return kind + " " + name + ": " + e.to_string();
}

std::string pretty(const rapidjson::Value& v) {
  rapidjson::StringBuffer buffer;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buffer);
  w.SetIndent(' ', 2);
  v.Accept(w);
  return buffer.GetString();
}

// The listed objects as one JSON array (what the pure library reads).
rapidjson::Document as_array(const std::vector<kube::ObjectPtr>& items) {
  rapidjson::Document array(rapidjson::kArrayType);
  for (const auto& item : items) array.PushBack(rapidjson::Value(item->json(), array.GetAllocator()), array.GetAllocator());
  return array;
}

switchyard::core::TimeMs now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// -o json prints `json` as it is; -o yaml the same document as YAML.
void print_machine(const std::string& json, const std::string& output) {
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  std::cout << (output == "json" ? json : plugin::json_to_yaml(doc));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"kubectl switchyard: inspect and steer switchyard failover"};
  app.require_subcommand(1);
  app.fallthrough();  // -n, --context... after the subcommand, as kubectl accepts them
  std::string kubeconfig, context, ns;
  bool all_namespaces = false;
  app.add_option("--kubeconfig", kubeconfig, "kubeconfig file (default $KUBECONFIG, ~/.kube/config)");
  app.add_option("--context", context, "kubeconfig context");
  app.add_option("-n,--namespace", ns, "namespace (default: the context's)");
  app.add_flag("-A,--all-namespaces", all_namespaces, "every namespace (status)");

  auto* status_cmd = app.add_subcommand("status", "a tree per FailoverService from its status");
  std::string status_name, output;
  status_cmd->add_option("NAME", status_name);
  status_cmd->add_option("-o,--output", output, "json|yaml (machine-readable)")->check(CLI::IsMember({"json", "yaml"}));

  auto* drain_cmd = app.add_subcommand("drain", "move all traffic off a cluster's backends");
  std::string cluster, reason;
  drain_cmd->add_option("CLUSTER", cluster)->required();
  drain_cmd->add_option("--reason", reason, "why (shown in status)")->required();

  auto* undrain_cmd = app.add_subcommand("undrain", "let traffic return to a cluster");
  bool now = false;
  undrain_cmd->add_option("CLUSTER", cluster)->required();
  undrain_cmd->add_flag("--now", now, "skip the failback delay");

  auto* pin_cmd = app.add_subcommand("pin", "make one backend the only active one");
  std::string fs_name, backend_arg, for_text;
  bool force = false;
  pin_cmd->add_option("NAME", fs_name)->required();
  pin_cmd->add_option("BACKEND", backend_arg, "CLUSTER/NAMESPACE/NAME or CLUSTER")->required();
  pin_cmd->add_option("--for", for_text, "expiry, e.g. 30m");
  pin_cmd->add_flag("--force", force, "even when the backend is not usable");

  auto* unpin_cmd = app.add_subcommand("unpin", "remove a pin");
  unpin_cmd->add_option("NAME", fs_name)->required();

  auto* import_cmd = app.add_subcommand("import", "print FailoverServices and MemberClusters for linkerd-failover's TrafficSplits");
  std::vector<std::string> import_contexts;
  bool from_linkerd_failover = false;
  import_cmd->add_flag("--from-linkerd-failover", from_linkerd_failover, "read linkerd-failover TrafficSplits")->required();
  import_cmd->add_option("--context", import_contexts, "the member clusters' contexts (repeat)")->required();

  auto* what_if_cmd = app.add_subcommand("what-if", "the weights each consumer would get if a cluster or backend failed (writes nothing)");
  std::string what_if_name, fail_arg;
  bool what_if_all = false;
  what_if_cmd->add_option("NAME", what_if_name, "a FailoverService");
  what_if_cmd->add_flag("--all", what_if_all, "every FailoverService in the namespace (-A: everywhere)");
  what_if_cmd->add_option("--fail", fail_arg, "CLUSTER or CLUSTER/NAMESPACE/NAME")->required();
  what_if_cmd->add_option("-o,--output", output, "json|yaml (machine-readable)")->check(CLI::IsMember({"json", "yaml"}));

  auto* explain_cmd = app.add_subcommand("explain", "why traffic is where it is, rule by rule");
  std::string explain_name;
  explain_cmd->add_option("NAME", explain_name, "a FailoverService")->required();
  explain_cmd->add_option("-o,--output", output, "json|yaml (machine-readable)")->check(CLI::IsMember({"json", "yaml"}));

  CLI11_PARSE(app, argc, argv);

  if (import_cmd->parsed()) {
    std::vector<rapidjson::Document> lists;
    lists.reserve(import_contexts.size());
    std::vector<std::pair<std::string, const rapidjson::Value*>> input;
    for (const auto& ctx : import_contexts) {
      auto cfg = kube::load_config(kubeconfig, ctx);
      if (!cfg) return fail("kubeconfig: " + cfg.error().to_string());
      kube::Client member(cfg.value());
      auto splits = member.list_all(kube::trafficsplits("v1alpha2"), "");
      if (!splits && splits.error().code == 404)
        return fail("context " + ctx + ": no TrafficSplit API (split.smi-spec.io/v1alpha2) in this cluster");
      if (!splits) return fail("context " + ctx + ": TrafficSplit: " + splits.error().to_string());
      auto& doc = lists.emplace_back(rapidjson::kArrayType);
      for (const auto& ts : splits.value().items)
        doc.PushBack(rapidjson::Value(ts->json(), doc.GetAllocator()), doc.GetAllocator());
    }
    for (std::size_t i = 0; i < import_contexts.size(); ++i) input.emplace_back(import_contexts[i], &lists[i]);
    auto yaml = plugin::import_linkerd_failover(input);
    if (!yaml.ok()) return fail(yaml.error);
    std::cout << *yaml.value;
    return 0;
  }

  auto config = kube::load_config(kubeconfig, context);
  if (!config) return fail("kubeconfig: " + config.error().to_string());
  config.value().user_agent = "kubectl-switchyard";
  if (ns.empty()) ns = config.value().namespace_name;
  kube::Client client(config.value());

  if (status_cmd->parsed()) {
    rapidjson::Document clusters(rapidjson::kArrayType);
    if (auto mcs = client.list_all(kube::kMemberClusters, "")) {
      for (const auto& mc : mcs.value().items)
        clusters.PushBack(rapidjson::Value(mc->json(), clusters.GetAllocator()), clusters.GetAllocator());
    } else if (!mcs.error().forbidden()) {
      return fail(describe(mcs.error(), "MemberCluster", "", "list"));
    }
    std::vector<kube::ObjectPtr> services;
    if (!status_name.empty()) {
      auto got = client.get(kube::kFailoverServices, ns, status_name);
      if (!got) return fail(describe(got.error(), "FailoverService", ns + "/" + status_name, "get"));
      services.push_back(got.value());
    } else {
      auto list = client.list_all(kube::kFailoverServices, all_namespaces ? "" : ns);
      if (!list) return fail(describe(list.error(), "FailoverService", "", "list"));
      services = list.value().items;
    }
    if (!output.empty()) {
      rapidjson::Document doc(rapidjson::kObjectType);
      auto& alloc = doc.GetAllocator();
      rapidjson::Value items(rapidjson::kArrayType);
      for (const auto& s : services) items.PushBack(rapidjson::Value(s->json(), alloc), alloc);
      doc.AddMember("failoverServices", items, alloc);
      doc.AddMember("memberClusters", rapidjson::Value(clusters, alloc), alloc);
      std::cout << (output == "json" ? pretty(doc) + "\n" : plugin::json_to_yaml(doc));
      return 0;
    }
    if (services.empty()) {
      std::cout << "No FailoverServices in " << (all_namespaces ? "any namespace" : "namespace " + ns) << ".\n";
      return 0;
    }
    for (const auto& s : services)
      std::cout << plugin::status_tree(s->json(), clusters, std::chrono::system_clock::now());
    return 0;
  }

  if (what_if_cmd->parsed()) {
    if (what_if_name.empty() == !what_if_all) return fail("what-if: give a FailoverService NAME or --all");
    auto failure = switchyard::core::parse_failure(fail_arg);
    if (!failure.ok()) return fail(failure.message());
    // Every FailoverService and MemberCluster, whatever is asked about: the
    // hub decides on all of them (rule 8's threshold is the fleet's).
    auto mcs = client.list_all(kube::kMemberClusters, "");
    if (!mcs) return fail(describe(mcs.error(), "MemberCluster", "", "list"));
    auto all = client.list_all(kube::kFailoverServices, "");
    if (!all) return fail(describe(all.error(), "FailoverService", "", "list"));
    auto live = plugin::live_state_from(as_array(all.value().items), as_array(mcs.value().items));
    if (auto problem = plugin::check_failure(live.state, *failure.value); !problem.empty()) return fail(problem);
    for (const auto& unreadable : live.unreadable) std::cerr << "warning: not decided: " << unreadable << "\n";
    auto predictions = switchyard::core::what_if(live.state, *failure.value, now_ms());
    std::erase_if(predictions, [&](const switchyard::core::ServicePrediction& p) {
      if (!what_if_name.empty()) return p.key.namespace_name != ns || p.key.name != what_if_name;
      return !all_namespaces && p.key.namespace_name != ns;
    });
    if (!what_if_name.empty() && predictions.empty())
      return fail("FailoverService " + ns + "/" + what_if_name + " not found");
    if (output.empty()) {
      std::cout << plugin::what_if_text(*failure.value, predictions);
    } else {
      print_machine(plugin::what_if_json(*failure.value, predictions), output);
    }
    return 0;
  }

  if (explain_cmd->parsed()) {
    auto got = client.get(kube::kFailoverServices, ns, explain_name);
    if (!got) return fail(describe(got.error(), "FailoverService", ns + "/" + explain_name, "get"));
    auto mcs = client.list_all(kube::kMemberClusters, "");
    if (!mcs) return fail(describe(mcs.error(), "MemberCluster", "", "list"));
    auto live = plugin::live_state_from(as_array({got.value()}), as_array(mcs.value().items));
    if (live.state.services.empty()) return fail(live.unreadable.front());
    const auto& service = live.state.services.front();
    const auto lines = switchyard::core::explain(service, live.state.clusters, now_ms());
    if (output.empty()) {
      std::cout << plugin::explain_text(service.fos.key, lines);
    } else {
      print_machine(plugin::explain_json(service.fos.key, lines), output);
    }
    return 0;
  }

  auto patch = [&](const kube::Resource& resource, const std::string& kind, const std::string& where,
                   const std::string& name, const std::string& body) -> int {
    auto result = client.patch(resource, where, name, kube::PatchType::Merge, body);
    if (!result) return fail(describe(result.error(), kind, where.empty() ? name : where + "/" + name, "patch"));
    return 0;
  };

  if (drain_cmd->parsed()) {
    auto body = plugin::drain_patch(reason);
    if (!body.ok()) return fail(body.error);
    if (int rc = patch(kube::kMemberClusters, "MemberCluster", "", cluster, *body.value)) return rc;
    std::cout << "MemberCluster " << cluster << " drained: " << reason << "\n";
    return 0;
  }
  if (undrain_cmd->parsed()) {
    if (int rc = patch(kube::kMemberClusters, "MemberCluster", "", cluster, plugin::undrain_patch(now))) return rc;
    std::cout << "MemberCluster " << cluster
              << (now ? " undrained (traffic returns at once, without the failback delay)\n"
                      : " undrained (traffic returns after the failback delay)\n");
    return 0;
  }
  if (pin_cmd->parsed()) {
    std::string until;
    if (!for_text.empty()) {
      auto duration = plugin::parse_duration(for_text);
      if (!duration.ok()) return fail(duration.error);
      until = plugin::format_time(std::chrono::system_clock::now() + *duration.value);
    }
    auto got = client.get(kube::kFailoverServices, ns, fs_name);
    if (!got) return fail(describe(got.error(), "FailoverService", ns + "/" + fs_name, "get"));
    auto backend = plugin::resolve_backend(backend_arg, got.value()->json());
    if (!backend.ok()) return fail(backend.error);
    if (int rc = patch(kube::kFailoverServices, "FailoverService", ns, fs_name,
                       plugin::pin_patch(*backend.value, until, force)))
      return rc;
    const auto& b = *backend.value;
    std::cout << "FailoverService " << ns << "/" << fs_name << " pinned to " << b.cluster << "/"
              << b.namespace_name << "/" << b.name << (until.empty() ? "" : " until " + until)
              << (force ? " (forced)" : "") << "\n";
    return 0;
  }
  if (unpin_cmd->parsed()) {
    auto got = client.get(kube::kFailoverServices, ns, fs_name);
    if (!got) return fail(describe(got.error(), "FailoverService", ns + "/" + fs_name, "get"));
    if (int rc = patch(kube::kFailoverServices, "FailoverService", ns, fs_name, plugin::unpin_patch())) return rc;
    std::cout << "FailoverService " << ns << "/" << fs_name << " unpinned\n";
    return 0;
  }
  return 0;
}
