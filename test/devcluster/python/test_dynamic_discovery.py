"""The Python client's DynamicClient against the real switchyard-devcluster:
discovery of built-in and custom resources (groups, versions, kinds, short
names, scope, subresources), and verbs through the discovered resources."""

import os
import unittest

import kubernetes
from kubernetes.dynamic import DynamicClient
from kubernetes.dynamic.exceptions import ResourceNotFoundError

from devcluster_process import Devcluster, binary_from_argv, create_namespace, install_crds, load_yaml

server = None
api_client = None


def setUpModule():
    global server, api_client
    server = Devcluster(BINARY).start()
    api_client = server.api_client()
    install_crds(api_client)
    create_namespace(api_client, "emojivoto")


def tearDownModule():
    if server is not None:
        server.stop()


def dynamic_client():
    # A cache file per server: discovery results of one must not leak into another.
    return DynamicClient(api_client, cache_file=os.path.join(server.directory, "discovery-cache.json"))


class DynamicDiscoveryTest(unittest.TestCase):
    def test_custom_resource_is_discovered_with_its_names_and_subresources(self):
        client = dynamic_client()
        resource = client.resources.get(api_version="switchyard.io/v1alpha1", kind="FailoverService")
        self.assertEqual(resource.name, "failoverservices")
        self.assertEqual(resource.group, "switchyard.io")
        self.assertEqual(resource.group_version, "switchyard.io/v1alpha1")
        self.assertTrue(resource.namespaced)
        self.assertIn("fos", resource.short_names)
        self.assertIn("status", resource.subresources)
        for verb in ("create", "get", "list", "patch", "update", "watch", "delete"):
            self.assertIn(verb, resource.verbs)
        # The same resource is found by its short name alone.
        by_short_name = client.resources.get(short_names=["fos"])
        self.assertEqual(by_short_name.name, "failoverservices")

        cluster_scoped = client.resources.get(api_version="switchyard.io/v1alpha1", kind="MemberCluster")
        self.assertFalse(cluster_scoped.namespaced)

    def test_built_in_kinds_are_discovered(self):
        client = dynamic_client()
        expected = {
            ("v1", "Namespace"): ("namespaces", False),
            ("v1", "Service"): ("services", True),
            ("v1", "Secret"): ("secrets", True),
            ("v1", "ConfigMap"): ("configmaps", True),
            ("v1", "Event"): ("events", True),
            ("discovery.k8s.io/v1", "EndpointSlice"): ("endpointslices", True),
            ("coordination.k8s.io/v1", "Lease"): ("leases", True),
            ("apiextensions.k8s.io/v1", "CustomResourceDefinition"): ("customresourcedefinitions", False),
            ("apps/v1", "Deployment"): ("deployments", True),
            ("rbac.authorization.k8s.io/v1", "ClusterRole"): ("clusterroles", False),
        }
        for (api_version, kind), (plural, namespaced) in expected.items():
            with self.subTest(kind=kind):
                resource = client.resources.get(api_version=api_version, kind=kind)
                self.assertEqual(resource.name, plural)
                self.assertEqual(resource.namespaced, namespaced)
        self.assertIn("svc", client.resources.get(api_version="v1", kind="Service").short_names)
        with self.assertRaises(ResourceNotFoundError):
            client.resources.get(api_version="switchyard.io/v1alpha1", kind="NoSuchKind")

    def test_verbs_through_discovered_resources(self):
        client = dynamic_client()
        fos = client.resources.get(api_version="switchyard.io/v1alpha1", kind="FailoverService")
        body = load_yaml("examples/emojivoto/failoverservice.yaml")
        body["metadata"]["name"] = "dynamic"
        created = fos.create(body=body, namespace="emojivoto")
        self.assertEqual(created.metadata.name, "dynamic")
        self.assertEqual(created.spec.backingServices[0].cluster, "west")

        listed = fos.get(namespace="emojivoto")
        self.assertIn("dynamic", [item.metadata.name for item in listed.items])

        patched = fos.patch(name="dynamic", namespace="emojivoto", body={"spec": {"consumers": ["west"]}},
                            content_type="application/merge-patch+json")
        self.assertEqual(list(patched.spec.consumers), ["west"])
        self.assertEqual(patched.metadata.generation, 2)

        status = fos.status.patch(name="dynamic", namespace="emojivoto", body={"status": {"state": "Primary"}},
                                  content_type="application/merge-patch+json")
        self.assertEqual(status.status.state, "Primary")

        fos.delete(name="dynamic", namespace="emojivoto")
        with self.assertRaises(kubernetes.dynamic.exceptions.NotFoundError):
            fos.get(name="dynamic", namespace="emojivoto")

    def test_a_new_crd_becomes_discoverable(self):
        extensions = kubernetes.client.ApiextensionsV1Api(api_client)
        extensions.create_custom_resource_definition({
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.example.test"},
            "spec": {
                "group": "example.test",
                "scope": "Namespaced",
                "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "shortNames": ["wd"]},
                "versions": [{"name": "v1", "served": True, "storage": True,
                              "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                                  "spec": {"type": "object", "properties": {"size": {"type": "integer"}}}}}}}],
            },
        })
        client = dynamic_client()
        widgets = client.resources.get(api_version="example.test/v1", kind="Widget")
        self.assertIn("wd", widgets.short_names)
        created = widgets.create(namespace="default", body={"apiVersion": "example.test/v1", "kind": "Widget",
                                                            "metadata": {"name": "w1"}, "spec": {"size": 3}})
        self.assertEqual(created.spec.size, 3)
        with self.assertRaises(kubernetes.dynamic.exceptions.UnprocessibleEntityError) as raised:
            widgets.create(namespace="default", body={"apiVersion": "example.test/v1", "kind": "Widget",
                                                      "metadata": {"name": "w2"}, "spec": {"size": "big"}})
        self.assertIn("spec.size", str(raised.exception))

        extensions.delete_custom_resource_definition("widgets.example.test")
        fresh = dynamic_client()
        fresh.resources.invalidate_cache()
        with self.assertRaises(ResourceNotFoundError):
            fresh.resources.get(api_version="example.test/v1", kind="Widget")


if __name__ == "__main__":
    BINARY = binary_from_argv()
    unittest.main(verbosity=2)
