"""A watch from a resourceVersion older than the server's event window: the
real switchyard-devcluster answers 200 with an in-stream ERROR event carrying
a 410 Expired Status, the Python client raises ApiException(410), and a
client that recovers the documented way (re-list, watch from the list's
resourceVersion) sees everything, including changes made after the recovery."""

import json
import unittest

import kubernetes

from devcluster_process import Devcluster, binary_from_argv, create_namespace

NAMESPACE = "expiry"
EVENT_WINDOW = 5

server = None
api_client = None


def setUpModule():
    global server, api_client
    server = Devcluster(BINARY, event_window=EVENT_WINDOW).start()
    api_client = server.api_client()
    create_namespace(api_client, NAMESPACE)


def tearDownModule():
    if server is not None:
        server.stop()


def config_map(name, value):
    return {"metadata": {"name": name, "labels": {"test": "expiry"}}, "data": {"value": value}}


class WatchExpiredTest(unittest.TestCase):
    def setUp(self):
        self.core = kubernetes.client.CoreV1Api(api_client)

    def outrun_the_window(self, prefix):
        """Returns a resourceVersion that more than EVENT_WINDOW later writes made too old."""
        old = self.core.list_namespaced_config_map(NAMESPACE).metadata.resource_version
        for i in range(EVENT_WINDOW * 3):
            self.core.create_namespaced_config_map(NAMESPACE, config_map("%s-%d" % (prefix, i), str(i)))
        return old

    def test_expired_watch_is_an_in_stream_410(self):
        old = self.outrun_the_window("raw")
        response = self.core.list_namespaced_config_map(NAMESPACE, watch=True, resource_version=old,
                                                        _preload_content=False, _request_timeout=120)
        try:
            self.assertEqual(response.status, 200)
            lines = [line for line in response.read().decode().splitlines() if line.strip()]
        finally:
            response.release_conn()
        self.assertEqual(len(lines), 1, "expected one ERROR event and the end of the stream: %s" % lines)
        event = json.loads(lines[0])
        self.assertEqual(event["type"], "ERROR")
        status = event["object"]
        self.assertEqual(status["kind"], "Status")
        self.assertEqual(status["code"], 410)
        self.assertEqual(status["reason"], "Expired")
        self.assertEqual(status["status"], "Failure")
        self.assertTrue(status["message"])

    def test_python_watch_raises_410(self):
        old = self.outrun_the_window("typed")
        # With timeout_seconds the client does not retry and raises at once.
        with self.assertRaises(kubernetes.client.ApiException) as raised:
            for _ in kubernetes.watch.Watch().stream(self.core.list_namespaced_config_map, NAMESPACE,
                                                     resource_version=old, timeout_seconds=60):
                self.fail("no event may come before the 410")
        self.assertEqual(raised.exception.status, 410)
        self.assertIn("Expired", raised.exception.reason)
        # Without it the client retries once from the same version, then raises.
        with self.assertRaises(kubernetes.client.ApiException) as raised:
            for _ in kubernetes.watch.Watch().stream(self.core.list_namespaced_config_map, NAMESPACE,
                                                     resource_version=old):
                self.fail("no event may come before the 410")
        self.assertEqual(raised.exception.status, 410)

    def test_watch_recovers_by_relisting(self):
        # A reflector's state: what it knows, and a resourceVersion from long ago.
        known = {}
        resource_version = self.outrun_the_window("recover")
        lists = 0
        expired = 0
        late_name = "made-after-recovery"
        made_late = False
        while late_name not in known:
            self.assertLess(lists, 5, "the watch keeps failing")
            try:
                watch = kubernetes.watch.Watch()
                for event in watch.stream(self.core.list_namespaced_config_map, NAMESPACE,
                                          resource_version=resource_version, label_selector="test=expiry",
                                          timeout_seconds=120):
                    obj = event["object"]
                    if event["type"] == "DELETED":
                        known.pop(obj.metadata.name, None)
                    else:
                        known[obj.metadata.name] = obj.data["value"]
                    resource_version = obj.metadata.resource_version
                    if obj.metadata.name == late_name:
                        watch.stop()
                if not made_late:
                    self.fail("the watch ended without the expected events")
            except kubernetes.client.ApiException as error:
                self.assertEqual(error.status, 410)
                expired += 1
                listed = self.core.list_namespaced_config_map(NAMESPACE, label_selector="test=expiry")
                lists += 1
                known = {item.metadata.name: item.data["value"] for item in listed.items}
                resource_version = listed.metadata.resource_version
                if not made_late:
                    # A change after the re-list must reach the new watch.
                    self.core.create_namespaced_config_map(NAMESPACE, config_map(late_name, "late"))
                    made_late = True
        self.assertEqual(expired, 1)
        self.assertEqual(lists, 1)
        self.assertEqual(known[late_name], "late")
        for i in range(EVENT_WINDOW * 3):
            self.assertEqual(known["recover-%d" % i], str(i))


if __name__ == "__main__":
    BINARY = binary_from_argv()
    unittest.main(verbosity=2)
