#include <catch2/catch.hpp>

#include "base64.h"
#include "switchyard/kube/config.h"
#include "test_support.h"

using namespace switchyard::kube;
using switchyard::kube::test::EnvOverride;
using switchyard::kube::test::TempDir;

namespace {

const std::string kCaPem = "-----BEGIN CERTIFICATE-----\nQ0EgZGF0YQ==\n-----END CERTIFICATE-----\n";
const std::string kCertPem = "-----BEGIN CERTIFICATE-----\nY2VydA==\n-----END CERTIFICATE-----\n";
const std::string kKeyPem = "-----BEGIN EC PRIVATE KEY-----\na2V5\n-----END EC PRIVATE KEY-----\n";

ClusterConfig must_parse(const std::string& yaml, const std::string& dir, const std::string& context = "") {
  auto config = parse_kubeconfig(yaml, dir, context);
  INFO((config ? std::string("ok") : config.error().to_string()));
  REQUIRE(config.ok());
  return config.value();
}

std::string must_fail(const std::string& yaml, const std::string& dir, const std::string& context = "") {
  auto config = parse_kubeconfig(yaml, dir, context);
  REQUIRE_FALSE(config.ok());
  CHECK(config.error().reason == "InvalidConfig");
  return config.error().message;
}

}  // namespace

TEST_CASE("kubeconfig shapes written by real tools", "[kube][config]") {
  TempDir dir;

  SECTION("kind: embedded certificate data") {
    auto config = must_parse(R"(apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: )" + base64::encode(kCaPem) + R"(
    server: https://127.0.0.1:39017
  name: kind-kind
contexts:
- context:
    cluster: kind-kind
    user: kind-kind
  name: kind-kind
current-context: kind-kind
kind: Config
preferences: {}
users:
- name: kind-kind
  user:
    client-certificate-data: )" + base64::encode(kCertPem) + R"(
    client-key-data: )" + base64::encode(kKeyPem) + "\n",
                             dir.path());
    CHECK(config.server == "https://127.0.0.1:39017");
    CHECK(config.ca_pem == kCaPem);
    CHECK(config.client_cert_pem == kCertPem);
    CHECK(config.client_key_pem == kKeyPem);
    CHECK(config.token.empty());
    CHECK_FALSE(config.exec);
    CHECK(config.namespace_name == "default");
    CHECK(config.source.find("kind-kind") != std::string::npos);
  }

  SECTION("minikube: certificate files relative to the kubeconfig, extensions, context namespace") {
    dir.write("profiles/ca.crt", kCaPem);
    dir.write("profiles/client.crt", kCertPem);
    dir.write("profiles/client.key", kKeyPem);
    auto config = must_parse(R"(apiVersion: v1
clusters:
- cluster:
    certificate-authority: profiles/ca.crt
    extensions:
    - extension:
        last-update: Tue, 01 Aug 2023 10:00:00 UTC
        provider: minikube.sigs.k8s.io
        version: v1.31.1
      name: cluster_info
    server: https://192.168.49.2:8443
  name: minikube
contexts:
- context:
    cluster: minikube
    namespace: emojivoto
    user: minikube
  name: minikube
current-context: minikube
kind: Config
users:
- name: minikube
  user:
    client-certificate: profiles/client.crt
    client-key: )" + dir.file("profiles/client.key") + "\n",
                             dir.path());
    CHECK(config.ca_pem == kCaPem);
    CHECK(config.client_cert_pem == kCertPem);
    CHECK(config.client_key_pem == kKeyPem);
    CHECK(config.namespace_name == "emojivoto");
  }

  SECTION("EKS: exec plugin with v1beta1, args and env") {
    auto config = must_parse(R"(apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: )" + base64::encode(kCaPem) + R"(
    server: https://ABCDEF0123456789.gr7.eu-west-1.eks.amazonaws.com
  name: arn:aws:eks:eu-west-1:111122223333:cluster/prod
contexts:
- context:
    cluster: arn:aws:eks:eu-west-1:111122223333:cluster/prod
    user: arn:aws:eks:eu-west-1:111122223333:cluster/prod
  name: arn:aws:eks:eu-west-1:111122223333:cluster/prod
current-context: arn:aws:eks:eu-west-1:111122223333:cluster/prod
kind: Config
users:
- name: arn:aws:eks:eu-west-1:111122223333:cluster/prod
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      args:
      - --region
      - eu-west-1
      - eks
      - get-token
      - --cluster-name
      - prod
      command: aws
      env:
      - name: AWS_PROFILE
        value: ops
      interactiveMode: IfAvailable
      provideClusterInfo: false
)",
                             dir.path());
    REQUIRE(config.exec);
    CHECK(config.exec->command == "aws");  // no '/': found on PATH, not resolved
    CHECK(config.exec->api_version == "client.authentication.k8s.io/v1beta1");
    CHECK(config.exec->args.size() == 6);
    CHECK(config.exec->args[3] == "get-token");
    REQUIRE(config.exec->env.size() == 1);
    CHECK(config.exec->env[0] == std::pair<std::string, std::string>{"AWS_PROFILE", "ops"});
    CHECK_FALSE(config.exec->provide_cluster_info);
  }

  SECTION("GKE: exec plugin with provideClusterInfo and an install hint") {
    auto config = must_parse(R"(apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: )" + base64::encode(kCaPem) + R"(
    server: https://34.77.1.2
  name: gke_proj_europe-west1_c1
contexts:
- context: {cluster: gke_proj_europe-west1_c1, user: gke_proj_europe-west1_c1}
  name: gke_proj_europe-west1_c1
current-context: gke_proj_europe-west1_c1
users:
- name: gke_proj_europe-west1_c1
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: gke-gcloud-auth-plugin
      installHint: Install gke-gcloud-auth-plugin for use with kubectl
      provideClusterInfo: true
)",
                             dir.path());
    REQUIRE(config.exec);
    CHECK(config.exec->provide_cluster_info);
    CHECK(config.exec->install_hint.find("gke-gcloud-auth-plugin") != std::string::npos);
    CHECK(config.server == "https://34.77.1.2");
  }

  SECTION("token, tokenFile, insecure and tls-server-name; explicit context") {
    dir.write("secrets/token", "file-token\n");
    std::string yaml = R"(clusters:
- name: a
  cluster: {server: "https://10.0.0.1:6443/", insecure-skip-tls-verify: true}
- name: b
  cluster: {server: "https://10.0.0.2:6443", tls-server-name: kubernetes.default.svc}
users:
- name: static
  user: {token: abc.def}
- name: projected
  user: {tokenFile: secrets/token}
contexts:
- name: first
  context: {cluster: a, user: static}
- name: second
  context: {cluster: b, user: projected}
current-context: first
)";
    auto first = must_parse(yaml, dir.path());
    CHECK(first.server == "https://10.0.0.1:6443");  // trailing '/' dropped
    CHECK(first.insecure_skip_tls_verify);
    CHECK(first.token == "abc.def");
    auto second = must_parse(yaml, dir.path(), "second");
    CHECK(second.tls_server_name == "kubernetes.default.svc");
    CHECK_FALSE(second.insecure_skip_tls_verify);
    CHECK(second.token_file == dir.file("secrets/token"));
  }

  SECTION("exec command with a '/' resolves against the kubeconfig folder") {
    auto config = must_parse(R"(clusters: [{name: c, cluster: {server: "https://h:1"}}]
users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: ./bin/cred}}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
)",
                             dir.path());
    REQUIRE(config.exec);
    CHECK(config.exec->command == dir.path() + "/./bin/cred");
  }
}

TEST_CASE("kubeconfig errors name the file, the entry and the field", "[kube][config]") {
  TempDir dir;
  const std::string file = dir.file("kubeconfig");

  SECTION("cluster without server") {
    auto message = must_fail(R"(clusters: [{name: c, cluster: {insecure-skip-tls-verify: true}}]
contexts: [{name: x, context: {cluster: c}}]
current-context: x
)",
                             dir.path());
    CHECK(message == file + ": cluster \"c\".server: missing");
  }
  SECTION("server without a scheme") {
    auto message = must_fail(R"(clusters: [{name: c, cluster: {server: "10.0.0.1:6443"}}]
contexts: [{name: x, context: {cluster: c}}]
current-context: x
)",
                             dir.path());
    CHECK(message.find("cluster \"c\".server: \"10.0.0.1:6443\" must start with https://") != std::string::npos);
  }
  SECTION("context not found, named by current-context") {
    auto message = must_fail("contexts: []\ncurrent-context: gone\n", dir.path());
    CHECK(message == "kubeconfig " + file + ": context \"gone\" not found (named by current-context in " + file + ")");
  }
  SECTION("no current-context and no context given") {
    auto message = must_fail("clusters: []\n", dir.path());
    CHECK(message.find("no current-context is set") != std::string::npos);
  }
  SECTION("context names a missing user / cluster") {
    std::string yaml = R"(clusters: [{name: c, cluster: {server: "https://h:1"}}]
contexts: [{name: x, context: {cluster: c, user: nobody}}, {name: y, context: {cluster: nowhere}}]
)";
    CHECK(must_fail(yaml, dir.path(), "x") ==
          file + ": context \"x\".user: user \"nobody\" not found in " + file);
    CHECK(must_fail(yaml, dir.path(), "y") ==
          file + ": context \"y\".cluster: cluster \"nowhere\" not found in " + file);
  }
  SECTION("bad base64 in certificate data") {
    auto message = must_fail(R"(clusters: [{name: c, cluster: {server: "https://h:1", certificate-authority-data: "not*base64"}}]
contexts: [{name: x, context: {cluster: c}}]
current-context: x
)",
                             dir.path());
    CHECK(message == file + ": cluster \"c\".certificate-authority-data: not valid base64");
  }
  SECTION("certificate file that does not exist") {
    auto message = must_fail(R"(clusters: [{name: c, cluster: {server: "https://h:1", certificate-authority: missing/ca.crt}}]
contexts: [{name: x, context: {cluster: c}}]
current-context: x
)",
                             dir.path());
    CHECK(message == file + ": cluster \"c\".certificate-authority: " + dir.file("missing/ca.crt") +
                         ": No such file or directory");
  }
  SECTION("client certificate without key; exec without apiVersion; token file missing; auth-provider") {
    std::string base = R"(clusters: [{name: c, cluster: {server: "https://h:1"}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
)";
    CHECK(must_fail(base + "users: [{name: u, user: {client-certificate-data: " + base64::encode(kCertPem) + "}}]\n",
                    dir.path()) == file + ": user \"u\": client-certificate and client-key must be given together");
    CHECK(must_fail(base + "users: [{name: u, user: {exec: {command: x}}}]\n", dir.path()) ==
          file + ": user \"u\".exec.apiVersion: missing");
    CHECK(must_fail(base + "users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1alpha1, command: x}}}]\n",
                    dir.path())
              .find("exec.apiVersion: \"client.authentication.k8s.io/v1alpha1\" is not supported") != std::string::npos);
    CHECK(must_fail(base + "users: [{name: u, user: {tokenFile: nope}}]\n", dir.path()) ==
          file + ": user \"u\".tokenFile: " + dir.file("nope") + ": No such file or directory");
    CHECK(must_fail(base + "users: [{name: u, user: {auth-provider: {name: gcp}}}]\n", dir.path())
              .find("user \"u\".auth-provider: not supported") != std::string::npos);
    CHECK(must_fail(base + "users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: x, env: [{value: v}]}}}]\n",
                    dir.path()) == file + ": user \"u\".exec.env[0].name: missing");
  }
  SECTION("not YAML, wrong shapes") {
    CHECK(must_fail("clusters: [unclosed\n", dir.path()).rfind(file + ": not valid YAML", 0) == 0);
    CHECK(must_fail("- a\n- b\n", dir.path()) == file + ": expected a kubeconfig map at the top level");
    CHECK(must_fail("clusters: {a: b}\n", dir.path()) == file + ": clusters: must be a list");
    CHECK(must_fail("clusters: [{cluster: {server: x}}]\n", dir.path()) == file + ": clusters[0].name: missing");
    CHECK(must_fail(R"(clusters: [{name: c, cluster: {server: "https://h:1", insecure-skip-tls-verify: maybe}}]
contexts: [{name: x, context: {cluster: c}}]
current-context: x
)",
                    dir.path()) == file + ": cluster \"c\".insecure-skip-tls-verify: must be true or false");
  }
}

TEST_CASE("several kubeconfig files merge as kubectl merges them", "[kube][config]") {
  TempDir dir;
  // First file: no current-context, cluster "shared" and user "alice".
  auto first = dir.write("one/config", R"(clusters:
- name: shared
  cluster: {server: "https://first:6443", certificate-authority: ca.crt}
users:
- name: alice
  user: {token: from-first}
)");
  dir.write("one/ca.crt", kCaPem);
  // Second file: sets current-context, redefines "shared" (ignored) and
  // "alice" (ignored), adds the context.
  auto second = dir.write("two/config", R"(current-context: work
clusters:
- name: shared
  cluster: {server: "https://second:6443"}
users:
- name: alice
  user: {token: from-second}
contexts:
- name: work
  context: {cluster: shared, user: alice, namespace: team}
)");
  // Third file: another current-context, which loses to the second's.
  auto third = dir.write("three/config", R"(current-context: other
contexts:
- name: other
  context: {cluster: shared}
- name: work
  context: {cluster: shared, namespace: ignored}
)");

  SECTION("first file to define a name wins; current-context from the first that sets it") {
    auto config = load_kubeconfig_files({first, second, third}, "");
    REQUIRE(config.ok());
    CHECK(config.value().server == "https://first:6443");
    CHECK(config.value().ca_pem == kCaPem);  // relative to one/, where the cluster was defined
    CHECK(config.value().token == "from-first");
    CHECK(config.value().namespace_name == "team");
  }
  SECTION("the order decides") {
    auto config = load_kubeconfig_files({third, second, first}, "");
    REQUIRE(config.ok());
    CHECK(config.value().source.find("context \"other\"") != std::string::npos);
    CHECK(config.value().server == "https://second:6443");
    CHECK(config.value().token.empty());  // context "other" has no user
  }
  SECTION("KUBECONFIG with a missing entry and an explicit context") {
    EnvOverride env("KUBECONFIG", first + "::" + dir.file("absent") + ":" + second);
    auto config = load_config("", "work");
    REQUIRE(config.ok());
    CHECK(config.value().server == "https://first:6443");
  }
  SECTION("--kubeconfig wins over KUBECONFIG, and a missing flag file is an error") {
    EnvOverride env("KUBECONFIG", third);
    auto config = load_config(second, "");
    REQUIRE(config.ok());
    CHECK(config.value().server == "https://second:6443");
    auto missing = load_config(dir.file("nope"), "");
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().message == "kubeconfig " + dir.file("nope") + ": No such file or directory");
  }
}

TEST_CASE("in-cluster configuration from the service-account files", "[kube][config]") {
  TempDir dir;
  InClusterPaths paths{dir.file("token"), dir.file("ca.crt"), dir.file("namespace")};

  SECTION("all files present") {
    dir.write("token", "sa-token\n");
    dir.write("ca.crt", kCaPem);
    dir.write("namespace", "switchyard-system");
    auto config = load_in_cluster("10.96.0.1", "443", paths);
    REQUIRE(config.ok());
    CHECK(config.value().server == "https://10.96.0.1:443");
    CHECK(config.value().ca_pem == kCaPem);
    CHECK(config.value().token_file == paths.token);
    CHECK(config.value().namespace_name == "switchyard-system");
  }
  SECTION("IPv6 service address, from the environment, namespace file absent") {
    dir.write("token", "t");
    dir.write("ca.crt", kCaPem);
    EnvOverride host("KUBERNETES_SERVICE_HOST", "fd00::1");
    EnvOverride port("KUBERNETES_SERVICE_PORT", "6443");
    auto config = load_in_cluster(paths);
    REQUIRE(config.ok());
    CHECK(config.value().server == "https://[fd00::1]:6443");
    CHECK(config.value().namespace_name == "default");
  }
  SECTION("errors name what is missing") {
    auto no_env = load_in_cluster("", "443", paths);
    REQUIRE_FALSE(no_env.ok());
    CHECK(no_env.error().message.find("KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT") != std::string::npos);
    auto no_token = load_in_cluster("10.0.0.1", "443", paths);
    REQUIRE_FALSE(no_token.ok());
    CHECK(no_token.error().message ==
          "in-cluster config: service-account token " + paths.token + ": No such file or directory");
    dir.write("token", "t");
    auto no_ca = load_in_cluster("10.0.0.1", "443", paths);
    REQUIRE_FALSE(no_ca.ok());
    CHECK(no_ca.error().message == "in-cluster config: service-account CA " + paths.ca + ": No such file or directory");
  }
  SECTION("load_config falls back to in-cluster only when nothing else is configured") {
    EnvOverride kubeconfig("KUBECONFIG", std::nullopt);
    EnvOverride home("HOME", dir.path());
    EnvOverride host("KUBERNETES_SERVICE_HOST", std::nullopt);
    auto config = load_config("", "");
    REQUIRE_FALSE(config.ok());
    CHECK(config.error().message.find("not running in a cluster") != std::string::npos);
  }
}
