"""The Service in front of the two hub replicas: a TCP forwarder that sends
each new connection to the replica whose /readyz answers 200 (the leader),
as a Kubernetes Service with a readiness probe does. TLS passes through
untouched (both replicas serve the same certificate). With no leader, a
connection is closed at once and the agent retries, as it would against a
Service with no ready endpoints.
"""

import socket
import threading

_CHUNK = 65536


def ready(metrics_port, timeout=0.5):
    """True when the hub behind `metrics_port` answers /readyz with 200."""
    try:
        with socket.create_connection(("127.0.0.1", metrics_port), timeout=timeout) as s:
            s.sendall(b"GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            return s.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


class HubService:
    """Listens on 127.0.0.1:0; `replicas` is a list of (agent API port,
    metrics port). `leader_port()` is consulted per connection."""

    def __init__(self, replicas):
        self.replicas = list(replicas)
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(128)
        self.port = self._listener.getsockname()[1]
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def leader_port(self):
        for api_port, metrics_port in self.replicas:
            if ready(metrics_port):
                return api_port
        return None

    def _accept(self):
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client):
        port = self.leader_port()
        if port is None:
            client.close()
            return
        try:
            upstream = socket.create_connection(("127.0.0.1", port), timeout=2)
            upstream.settimeout(None)
        except OSError:
            client.close()
            return
        threading.Thread(target=_pump, args=(upstream, client), daemon=True).start()
        _pump(client, upstream)

    def close(self):
        self._closed = True
        try:
            self._listener.close()
        except OSError:
            pass


def _pump(source, sink):
    """Copies until either side closes, then closes both (a killed hub's
    connections end for the agent too)."""
    try:
        while True:
            data = source.recv(_CHUNK)
            if not data:
                break
            sink.sendall(data)
    except OSError:
        pass
    for s in (source, sink):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()
