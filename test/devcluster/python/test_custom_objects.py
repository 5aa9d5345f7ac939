"""The Python client's CustomObjectsApi against the real switchyard-devcluster:
create, list with limit/continue, status patches, watches with bookmarks, and
schema violations rejected with 422 naming the field."""

import copy
import json
import unittest

import kubernetes

from devcluster_process import (Devcluster, binary_from_argv, create_namespace, install_crds, load_yaml)

GROUP, VERSION, PLURAL = "switchyard.io", "v1alpha1", "failoverservices"
NAMESPACE = "emojivoto"

server = None
api_client = None


def setUpModule():
    global server, api_client
    server = Devcluster(BINARY).start()
    api_client = server.api_client()
    install_crds(api_client)
    create_namespace(api_client, NAMESPACE)


def tearDownModule():
    if server is not None:
        server.stop()


def example(name):
    body = copy.deepcopy(load_yaml("examples/emojivoto/failoverservice.yaml"))
    body["metadata"] = {"name": name, "namespace": NAMESPACE, "labels": {"test": "custom-objects"}}
    return body


class CustomObjectsTest(unittest.TestCase):
    def setUp(self):
        self.custom = kubernetes.client.CustomObjectsApi(api_client)

    def create(self, name):
        return self.custom.create_namespaced_custom_object(GROUP, VERSION, NAMESPACE, PLURAL, example(name))

    def test_create_fills_server_metadata_and_a_second_create_conflicts(self):
        created = self.create("create-once")
        metadata = created["metadata"]
        self.assertEqual(created["kind"], "FailoverService")
        self.assertEqual(created["apiVersion"], "switchyard.io/v1alpha1")
        self.assertTrue(metadata["uid"])
        self.assertTrue(metadata["resourceVersion"].isdigit())
        self.assertTrue(metadata["creationTimestamp"].endswith("Z"))
        self.assertEqual(metadata["generation"], 1)
        self.assertEqual(created["spec"]["backingServices"][0]["cluster"], "west")

        fetched = self.custom.get_namespaced_custom_object(GROUP, VERSION, NAMESPACE, PLURAL, "create-once")
        self.assertEqual(fetched["metadata"]["uid"], metadata["uid"])

        with self.assertRaises(kubernetes.client.ApiException) as raised:
            self.create("create-once")
        self.assertEqual(raised.exception.status, 409)
        status = json.loads(raised.exception.body)
        self.assertEqual(status["kind"], "Status")
        self.assertEqual(status["reason"], "AlreadyExists")
        self.assertIn("create-once", status["message"])

    def test_list_with_limit_pages_through_every_object_once(self):
        names = {"page-%d" % i for i in range(5)}
        for name in sorted(names):
            self.create(name)
        seen = []
        continue_token = None
        pages = 0
        while True:
            kwargs = {"limit": 2, "label_selector": "test=custom-objects"}
            if continue_token:
                kwargs["_continue"] = continue_token
            page = self.custom.list_namespaced_custom_object(GROUP, VERSION, NAMESPACE, PLURAL, **kwargs)
            pages += 1
            self.assertLessEqual(len(page["items"]), 2)
            seen += [item["metadata"]["name"] for item in page["items"]]
            continue_token = page["metadata"].get("continue")
            if not continue_token:
                break
            self.assertGreater(page["metadata"]["remainingItemCount"], 0)
            self.assertLess(pages, 100, "paging does not end")
        self.assertEqual(len(seen), len(set(seen)), "an object was listed twice: %s" % seen)
        self.assertTrue(names <= set(seen), "missing from the pages: %s" % (names - set(seen)))
        self.assertGreaterEqual(pages, 3)

    def test_status_patch_changes_only_status(self):
        created = self.create("status-patch")
        status = {"status": {"state": "FailedOver", "observedGeneration": 1,
                             "active": [{"cluster": "east", "namespace": NAMESPACE, "name": "web-svc",
                                         "weight": 100}]}}
        patched = self.custom.patch_namespaced_custom_object_status(GROUP, VERSION, NAMESPACE, PLURAL,
                                                                    "status-patch", status)
        self.assertEqual(patched["status"]["state"], "FailedOver")
        self.assertEqual(patched["status"]["active"][0]["cluster"], "east")
        self.assertEqual(patched["metadata"]["generation"], 1, "a status write must not bump generation")
        self.assertNotEqual(patched["metadata"]["resourceVersion"], created["metadata"]["resourceVersion"])
        self.assertEqual(patched["spec"], created["spec"])

        # The main resource ignores status, and a spec change bumps generation.
        spec_patch = {"spec": {"failback": {"delaySeconds": 45}}, "status": {"state": "Primary"}}
        after = self.custom.patch_namespaced_custom_object(GROUP, VERSION, NAMESPACE, PLURAL, "status-patch",
                                                           spec_patch)
        self.assertEqual(after["status"]["state"], "FailedOver")
        self.assertEqual(after["spec"]["failback"]["delaySeconds"], 45)
        self.assertEqual(after["metadata"]["generation"], 2)

        # A status write that breaks the status schema is refused.
        with self.assertRaises(kubernetes.client.ApiException) as raised:
            self.custom.patch_namespaced_custom_object_status(GROUP, VERSION, NAMESPACE, PLURAL, "status-patch",
                                                              {"status": {"state": "Sideways"}})
        self.assertEqual(raised.exception.status, 422)
        self.assertIn("status.state", raised.exception.body)

    def test_watch_sees_changes_in_order_and_bookmarks(self):
        listed = self.custom.list_namespaced_custom_object(GROUP, VERSION, NAMESPACE, PLURAL)
        start = listed["metadata"]["resourceVersion"]
        self.create("watched")
        watch = kubernetes.watch.Watch()
        events = []
        # The server sends a bookmark every few seconds; 120 s bounds the wait.
        for event in watch.stream(self.custom.list_namespaced_custom_object, GROUP, VERSION, NAMESPACE, PLURAL,
                                  resource_version=start, allow_watch_bookmarks=True, timeout_seconds=120):
            events.append(event)
            name = event["raw_object"]["metadata"].get("name")
            if event["type"] == "ADDED" and name == "watched":
                # Made while the stream is open: must arrive as MODIFIED.
                self.custom.patch_namespaced_custom_object(GROUP, VERSION, NAMESPACE, PLURAL, "watched",
                                                           {"metadata": {"labels": {"seen": "yes"}}})
            if event["type"] == "BOOKMARK" and any(e["type"] == "MODIFIED" for e in events):
                watch.stop()
        types = [e["type"] for e in events]
        self.assertIn("ADDED", types)
        self.assertIn("MODIFIED", types, "no MODIFIED event before the watch ended: %s" % types)
        self.assertEqual(types[-1], "BOOKMARK", "no bookmark before the timeout: %s" % types)
        added = next(e for e in events if e["type"] == "ADDED")
        modified = next(e for e in events if e["type"] == "MODIFIED")
        self.assertLess(types.index("ADDED"), types.index("MODIFIED"))
        self.assertEqual(added["raw_object"]["metadata"]["name"], "watched")
        self.assertEqual(modified["raw_object"]["metadata"]["labels"]["seen"], "yes")
        self.assertGreater(int(modified["raw_object"]["metadata"]["resourceVersion"]),
                           int(added["raw_object"]["metadata"]["resourceVersion"]))
        self.assertGreater(int(added["raw_object"]["metadata"]["resourceVersion"]), int(start))
        bookmark = events[-1]["raw_object"]
        self.assertEqual(bookmark["kind"], "FailoverService")
        self.assertGreaterEqual(int(bookmark["metadata"]["resourceVersion"]),
                                int(modified["raw_object"]["metadata"]["resourceVersion"]))

    def test_schema_violation_is_422_naming_the_field(self):
        body = example("invalid")
        body["spec"]["backingServices"][1]["priority"] = -1
        with self.assertRaises(kubernetes.client.ApiException) as raised:
            self.custom.create_namespaced_custom_object(GROUP, VERSION, NAMESPACE, PLURAL, body)
        self.assertEqual(raised.exception.status, 422)
        status = json.loads(raised.exception.body)
        self.assertEqual(status["reason"], "Invalid")
        self.assertEqual(status["details"]["name"], "invalid")
        self.assertEqual(status["details"]["kind"], "FailoverService")
        fields = [cause["field"] for cause in status["details"]["causes"]]
        self.assertIn("spec.backingServices[1].priority", fields)
        self.assertIn("spec.backingServices[1].priority", status["message"])

        missing = example("missing-field")
        del missing["spec"]["backingServices"]
        with self.assertRaises(kubernetes.client.ApiException) as raised:
            self.custom.create_namespaced_custom_object(GROUP, VERSION, NAMESPACE, PLURAL, missing)
        self.assertEqual(raised.exception.status, 422)
        status = json.loads(raised.exception.body)
        self.assertIn("spec.backingServices", [cause["field"] for cause in status["details"]["causes"]])

        # Nothing was stored.
        for name in ("invalid", "missing-field"):
            with self.assertRaises(kubernetes.client.ApiException) as raised:
                self.custom.get_namespaced_custom_object(GROUP, VERSION, NAMESPACE, PLURAL, name)
            self.assertEqual(raised.exception.status, 404)


if __name__ == "__main__":
    BINARY = binary_from_argv()
    unittest.main(verbosity=2)
