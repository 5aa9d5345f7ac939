"""The Python client's typed CoreV1Api and DiscoveryV1Api against the real
switchyard-devcluster: list and watch of Services and EndpointSlices, Secrets
with stringData, and what kubectl prints for EndpointSlices."""

import base64
import json
import subprocess
import unittest

import kubernetes
from kubernetes.client import (V1ObjectMeta, V1Secret, V1Service, V1ServicePort, V1ServiceSpec)

from devcluster_process import Devcluster, binary_from_argv, create_namespace

NAMESPACE = "core-test"

server = None
api_client = None


def setUpModule():
    global server, api_client
    server = Devcluster(BINARY).start()
    api_client = server.api_client()
    create_namespace(api_client, NAMESPACE)


def tearDownModule():
    if server is not None:
        server.stop()


def service(name, labels):
    return V1Service(metadata=V1ObjectMeta(name=name, labels=labels),
                     spec=V1ServiceSpec(selector={"app": name}, ports=[V1ServicePort(port=80, name="http")]))


def endpoint_slice(name, service_name, addresses, ports=(80,)):
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {"name": name, "labels": {"kubernetes.io/service-name": service_name}},
        "addressType": "IPv4",
        "ports": [{"name": "p%d" % port, "port": port, "protocol": "TCP"} for port in ports],
        "endpoints": [{"addresses": [address], "conditions": {"ready": True}} for address in addresses],
    }


class CoreV1Test(unittest.TestCase):
    def setUp(self):
        self.core = kubernetes.client.CoreV1Api(api_client)

    def test_list_services_with_label_selectors(self):
        self.core.create_namespaced_service(NAMESPACE, service("sel-a", {"tier": "web", "env": "prod"}))
        self.core.create_namespaced_service(NAMESPACE, service("sel-b", {"tier": "web", "env": "dev"}))
        self.core.create_namespaced_service(NAMESPACE, service("sel-c", {"tier": "db"}))

        def names(selector):
            listed = self.core.list_namespaced_service(NAMESPACE, label_selector=selector)
            return sorted(item.metadata.name for item in listed.items if item.metadata.name.startswith("sel-"))
        self.assertEqual(names("tier=web"), ["sel-a", "sel-b"])
        self.assertEqual(names("tier=web,env!=prod"), ["sel-b"])
        self.assertEqual(names("env in (prod,dev)"), ["sel-a", "sel-b"])
        self.assertEqual(names("!env"), ["sel-c"])
        self.assertEqual(names("tier notin (web)"), ["sel-c"])

        listed = self.core.list_namespaced_service(NAMESPACE, field_selector="metadata.name=sel-b")
        self.assertEqual([item.metadata.name for item in listed.items], ["sel-b"])
        created = self.core.read_namespaced_service("sel-a", NAMESPACE)
        self.assertEqual(created.spec.type, "ClusterIP")
        self.assertTrue(created.spec.cluster_ip)
        self.assertEqual(created.spec.ports[0].protocol, "TCP")

        everywhere = self.core.list_service_for_all_namespaces(label_selector="tier")
        self.assertEqual(sorted(item.metadata.name for item in everywhere.items), ["sel-a", "sel-b", "sel-c"])

    def test_watch_services_sees_added_modified_deleted_in_order(self):
        start = self.core.list_namespaced_service(NAMESPACE).metadata.resource_version
        self.core.create_namespaced_service(NAMESPACE, service("watched", {"watch": "me"}))
        watch = kubernetes.watch.Watch()
        seen = []
        for event in watch.stream(self.core.list_namespaced_service, NAMESPACE, resource_version=start,
                                  label_selector="watch=me", timeout_seconds=120):
            obj = event["object"]
            self.assertIsInstance(obj, V1Service)
            seen.append((event["type"], obj.metadata.labels.get("step")))
            if event["type"] == "ADDED":
                # A list body: the typed client sends it as a JSON patch.
                self.core.patch_namespaced_service(
                    "watched", NAMESPACE, [{"op": "add", "path": "/metadata/labels/step", "value": "2"}])
            elif event["type"] == "MODIFIED":
                self.core.delete_namespaced_service("watched", NAMESPACE)
            elif event["type"] == "DELETED":
                watch.stop()
        self.assertEqual(seen, [("ADDED", None), ("MODIFIED", "2"), ("DELETED", "2")])

    def test_watch_namespaces_from_now(self):
        # No resourceVersion: the current state arrives as ADDED first.
        watch = kubernetes.watch.Watch()
        added = set()
        for event in watch.stream(self.core.list_namespace, timeout_seconds=120):
            self.assertEqual(event["type"], "ADDED")
            added.add(event["object"].metadata.name)
            if {NAMESPACE, "default"} <= added:
                watch.stop()
        self.assertTrue({NAMESPACE, "default"} <= added, "initial ADDED events missing: %s" % added)

    def test_secret_string_data_is_stored_as_base64_data(self):
        created = self.core.create_namespaced_secret(
            NAMESPACE, V1Secret(metadata=V1ObjectMeta(name="token"), string_data={"token": "s3cret"},
                                data={"other": base64.b64encode(b"kept").decode()}))
        self.assertIsNone(created.string_data)
        self.assertEqual(created.type, "Opaque")
        self.assertEqual(base64.b64decode(created.data["token"]), b"s3cret")
        self.assertEqual(base64.b64decode(created.data["other"]), b"kept")

        fetched = self.core.read_namespaced_secret("token", NAMESPACE)
        self.assertIsNone(fetched.string_data)
        self.assertEqual(base64.b64decode(fetched.data["token"]), b"s3cret")

        # stringData wins over data on update and on patch, and is never kept.
        fetched.string_data = {"token": "rotated"}
        replaced = self.core.replace_namespaced_secret("token", NAMESPACE, fetched)
        self.assertEqual(base64.b64decode(replaced.data["token"]), b"rotated")
        self.assertIsNone(replaced.string_data)
        patched = self.core.patch_namespaced_secret(
            "token", NAMESPACE, [{"op": "add", "path": "/stringData", "value": {"extra": "x"}}])
        self.assertEqual(base64.b64decode(patched.data["extra"]), b"x")
        self.assertEqual(base64.b64decode(patched.data["token"]), b"rotated")
        self.assertIsNone(patched.string_data)
        listed = self.core.list_namespaced_secret(NAMESPACE, field_selector="metadata.name=token")
        self.assertEqual(sorted(listed.items[0].data), ["extra", "other", "token"])
        self.assertIsNone(listed.items[0].string_data)


class BadYamlTest(unittest.TestCase):
    def post_yaml(self, body):
        return api_client.call_api("/api/v1/namespaces", "POST", body=body, auth_settings=["BearerToken"],
                                   header_params={"Content-Type": "application/yaml", "Accept": "application/json"},
                                   _preload_content=False, _request_timeout=60, _return_http_data_only=True)

    def test_yaml_with_control_characters_or_broken_utf8_is_400_and_the_server_keeps_serving(self):
        # Each of these once sent the YAML parser into an endless loop.
        for body in (b",/apis\n\n\x00\x0f\n", b"#\xecpis\n\n,\nx"):
            with self.subTest(body=body):
                with self.assertRaises(kubernetes.client.ApiException) as raised:
                    self.post_yaml(body)
                self.assertEqual(raised.exception.status, 400)
                status = json.loads(raised.exception.body)
                self.assertEqual(status["reason"], "BadRequest")
                self.assertIn("yaml", status["message"])
        response = self.post_yaml(b"metadata:\n  name: from-yaml\n")
        self.assertEqual(response.status, 201)
        self.assertEqual(kubernetes.client.CoreV1Api(api_client).read_namespace("from-yaml").metadata.name,
                         "from-yaml")


class DiscoveryV1Test(unittest.TestCase):
    def setUp(self):
        self.discovery = kubernetes.client.DiscoveryV1Api(api_client)

    def test_list_and_watch_endpoint_slices(self):
        start = self.discovery.list_namespaced_endpoint_slice(NAMESPACE).metadata.resource_version
        self.discovery.create_namespaced_endpoint_slice(NAMESPACE, endpoint_slice("web-abc", "web", ["10.0.0.1"]))
        listed = self.discovery.list_namespaced_endpoint_slice(
            NAMESPACE, label_selector="kubernetes.io/service-name=web")
        self.assertEqual([item.metadata.name for item in listed.items], ["web-abc"])
        slice_ = listed.items[0]
        self.assertEqual(slice_.address_type, "IPv4")
        self.assertEqual(slice_.endpoints[0].addresses, ["10.0.0.1"])
        self.assertTrue(slice_.endpoints[0].conditions.ready)
        self.assertIsInstance(slice_.ports[0], kubernetes.client.DiscoveryV1EndpointPort)
        everywhere = self.discovery.list_endpoint_slice_for_all_namespaces()
        self.assertIn("web-abc", [item.metadata.name for item in everywhere.items])

        watch = kubernetes.watch.Watch()
        ready_counts = []
        for event in watch.stream(self.discovery.list_namespaced_endpoint_slice, NAMESPACE, resource_version=start,
                                  timeout_seconds=120):
            endpoints = event["object"].endpoints or []
            ready_counts.append((event["type"], len(endpoints)))
            if event["type"] == "ADDED":
                body = endpoint_slice("web-abc", "web", ["10.0.0.1", "10.0.0.2"])
                current = self.discovery.read_namespaced_endpoint_slice("web-abc", NAMESPACE)
                body["metadata"]["resourceVersion"] = current.metadata.resource_version
                self.discovery.replace_namespaced_endpoint_slice("web-abc", NAMESPACE, body)
            elif event["type"] == "MODIFIED":
                watch.stop()
        self.assertEqual(ready_counts, [("ADDED", 1), ("MODIFIED", 2)])

    def test_kubectl_prints_endpoint_slices_like_a_real_server(self):
        self.discovery.create_namespaced_endpoint_slice(
            NAMESPACE, endpoint_slice("many", "many", ["10.1.0.%d" % i for i in range(1, 6)], ports=(80, 81, 82, 83)))
        self.discovery.create_namespaced_endpoint_slice(NAMESPACE, endpoint_slice("two", "two", ["10.2.0.1", "10.2.0.2"]))
        self.discovery.create_namespaced_endpoint_slice(NAMESPACE, endpoint_slice("none", "none", [], ports=()))
        output = subprocess.run(["/usr/bin/kubectl", "--kubeconfig", server.kubeconfig, "-n", NAMESPACE,
                                 "get", "endpointslices", "many", "two", "none"],
                                capture_output=True, text=True, timeout=120)
        self.assertEqual(output.returncode, 0, output.stderr)
        rows = {line.split()[0]: line for line in output.stdout.splitlines()[1:]}
        header = output.stdout.splitlines()[0].split()
        self.assertEqual(header, ["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"])
        self.assertIn("80,81,82 + 1 more...", rows["many"])
        self.assertIn("10.1.0.1,10.1.0.2,10.1.0.3 + 2 more...", rows["many"])
        self.assertIn("10.2.0.1,10.2.0.2 ", rows["two"])
        self.assertEqual(rows["none"].split()[1:4], ["IPv4", "<unset>", "<unset>"])


if __name__ == "__main__":
    BINARY = binary_from_argv()
    unittest.main(verbosity=2)
