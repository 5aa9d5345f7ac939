"""Event field selectors through the Python client's CoreV1Api, as a real API
server answers them: involvedObject.*, reason, type and source (which falls
back to reportingComponent) in lists and watches; unknown fields are 400."""

import unittest

import kubernetes
from kubernetes.client import CoreV1Event, V1ObjectMeta, V1ObjectReference, V1EventSource

from devcluster_process import Devcluster, binary_from_argv, create_namespace

NAMESPACE = "events-test"

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


def event(name, kind, object_name, reason, event_type, component=None, reporting=None):
    return CoreV1Event(
        metadata=V1ObjectMeta(name=name, namespace=NAMESPACE),
        involved_object=V1ObjectReference(api_version="switchyard.io/v1alpha1", kind=kind, name=object_name,
                                          namespace=NAMESPACE, uid="uid-" + name),
        reason=reason, type=event_type, message=name,
        source=V1EventSource(component=component) if component else None,
        reporting_component=reporting)


class EventFieldSelectors(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.core = kubernetes.client.CoreV1Api(api_client)
        for e in (event("failed-web", "FailoverService", "web-svc", "FailedOver", "Warning", "switchyard-hub"),
                  event("back-web", "FailoverService", "web-svc", "FailedBack", "Normal", "switchyard-hub"),
                  event("failed-api", "FailoverService", "api-svc", "FailedOver", "Warning", None, "switchyard.io/hub"),
                  event("west", "MemberCluster", "west", "ApplyFailed", "Warning", "switchyard-hub")):
            cls.core.create_namespaced_event(NAMESPACE, e)

    def names(self, selector, all_namespaces=False):
        if all_namespaces:
            items = self.core.list_event_for_all_namespaces(field_selector=selector).items
        else:
            items = self.core.list_namespaced_event(NAMESPACE, field_selector=selector).items
        return sorted(item.metadata.name for item in items)

    def test_selects_as_kube_apiserver(self):
        self.assertEqual(self.names("involvedObject.kind=FailoverService,reason=FailedOver"),
                         ["failed-api", "failed-web"])
        self.assertEqual(self.names("involvedObject.kind=FailoverService,involvedObject.name=web-svc"),
                         ["back-web", "failed-web"])
        self.assertEqual(self.names("involvedObject.kind=MemberCluster", all_namespaces=True), ["west"])
        self.assertEqual(self.names("type!=Warning"), ["back-web"])
        self.assertEqual(self.names("involvedObject.uid=uid-west"), ["west"])
        self.assertEqual(self.names("source=switchyard.io/hub"), ["failed-api"])
        self.assertEqual(self.names("source=switchyard-hub,reason=FailedBack"), ["back-web"])

    def test_unknown_field_is_bad_request(self):
        with self.assertRaises(kubernetes.client.exceptions.ApiException) as raised:
            self.names("involvedObject.color=red")
        self.assertEqual(raised.exception.status, 400)
        self.assertIn("field label not supported: involvedObject.color", raised.exception.body)

    def test_watch_sees_only_selected_events(self):
        version = self.core.list_namespaced_event(NAMESPACE).metadata.resource_version
        self.core.create_namespaced_event(
            NAMESPACE, event("later-west", "MemberCluster", "west", "FailedOver", "Warning", "switchyard-hub"))
        self.core.create_namespaced_event(
            NAMESPACE, event("later-web", "FailoverService", "web-svc", "FailedOver", "Warning", "switchyard-hub"))
        seen = []
        watch = kubernetes.watch.Watch()
        for item in watch.stream(self.core.list_namespaced_event, NAMESPACE, resource_version=version,
                                 field_selector="involvedObject.kind=FailoverService,reason=FailedOver",
                                 timeout_seconds=10):
            seen.append(item["object"].metadata.name)
            if item["object"].metadata.name == "later-web":
                watch.stop()
        self.assertEqual(seen, ["later-web"])


if __name__ == "__main__":
    BINARY = binary_from_argv()
    unittest.main(verbosity=2)
