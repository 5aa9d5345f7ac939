"""The real switchyard-devcluster binary as a context manager for tests.

Starts the binary on a free port (--listen 127.0.0.1:0) with TLS and a
bearer token, waits for its `ready <url>` line, and hands out the kubeconfig
it wrote with --kubeconfig-out. Stopping (SIGTERM, then SIGKILL) happens on
exit from the `with` block, on an exception inside it, and at interpreter
exit, so a failing test never leaves a server behind.
"""

import atexit
import ctypes
import os
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import kubernetes
import yaml

# Generous: other helpers may be compiling on the same two cores.
READY_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 30

_running = []


def _stop_all_at_exit():
    for process in list(_running):
        process.stop()


atexit.register(_stop_all_at_exit)
# ctest ends a test that runs too long with SIGTERM: unwind so atexit runs.
signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated"))

_PR_SET_PDEATHSIG = 1


def _die_with_parent():
    # Even a SIGKILLed test takes its server down with it.
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class Devcluster:
    def __init__(self, binary, event_window=None, extra_args=()):
        self.binary = binary
        self.event_window = event_window
        self.extra_args = list(extra_args)
        self.token = secrets.token_hex(16)
        self.directory = None
        self.process = None
        self.url = None
        self.kubeconfig = None
        self._clients = []

    def start(self):
        self.directory = tempfile.mkdtemp(prefix="devcluster-python-")
        self.kubeconfig = os.path.join(self.directory, "kubeconfig")
        args = [self.binary, "--listen", "127.0.0.1:0", "--tls", "--token", self.token,
                "--kubeconfig-out", self.kubeconfig, "--context-name", "python-test"]
        if self.event_window is not None:
            args += ["--event-window", str(self.event_window)]
        args += self.extra_args
        self.stderr_path = os.path.join(self.directory, "stderr")
        with open(self.stderr_path, "wb") as stderr:
            self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=stderr,
                                            preexec_fn=_die_with_parent)
        _running.append(self)
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        line = b""
        while not line.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.process.poll() is not None:
                message = ("switchyard-devcluster did not print `ready <url>` (exit %s): %s"
                           % (self.process.poll(), self._stderr_text()))
                self.stop()
                raise RuntimeError(message)
            readable, _, _ = select.select([self.process.stdout], [], [], remaining)
            if readable:
                chunk = os.read(self.process.stdout.fileno(), 1)
                if not chunk:
                    time.sleep(0.01)
                    continue
                line += chunk
        text = line.decode().strip()
        if not text.startswith("ready "):
            self.stop()
            raise RuntimeError("unexpected first line from switchyard-devcluster: %r" % text)
        self.url = text[len("ready "):]
        return self

    def _stderr_text(self):
        try:
            with open(self.stderr_path, "rb") as stderr:
                return stderr.read().decode(errors="replace")
        except OSError:
            return ""

    def api_client(self):
        """A kubernetes.client.ApiClient configured from the server's own kubeconfig."""
        configuration = kubernetes.client.Configuration()
        kubernetes.config.load_kube_config(config_file=self.kubeconfig, client_configuration=configuration)
        client = kubernetes.client.ApiClient(configuration)
        self._clients.append(client)
        return client

    def stop(self):
        # Idle keep-alive connections would hold the server's shutdown until
        # they time out; a client that exits closes them too.
        for client in self._clients:
            client.rest_client.pool_manager.clear()
            client.close()
        self._clients = []
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None and self.process.stdout is not None:
            self.process.stdout.close()
        if self in _running:
            _running.remove(self)
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


def binary_from_argv():
    """The binary path is the first command-line argument (ctest passes it)."""
    if len(sys.argv) < 2:
        sys.exit("usage: %s /path/to/switchyard-devcluster [unittest args]" % sys.argv[0])
    binary = sys.argv.pop(1)
    if not os.access(binary, os.X_OK):
        sys.exit("not an executable: %s" % binary)
    return binary


def source_dir():
    """The repository root (for crds/ and examples/)."""
    return os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


def wait_for(condition, what, timeout=60.0, interval=0.05):
    """Polls `condition` until it returns a true value; fails naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(interval)


def load_yaml(relative_path):
    """The one YAML document at `relative_path` under the repository root."""
    with open(os.path.join(source_dir(), relative_path)) as stream:
        return yaml.safe_load(stream)


def install_crds(api_client):
    """Creates the repository's CRDs and waits until FailoverServices are served."""
    extensions = kubernetes.client.ApiextensionsV1Api(api_client)
    for name in sorted(os.listdir(os.path.join(source_dir(), "crds"))):
        if name.endswith(".yaml"):
            extensions.create_custom_resource_definition(load_yaml(os.path.join("crds", name)))
    custom = kubernetes.client.CustomObjectsApi(api_client)

    def served():
        try:
            custom.list_cluster_custom_object("switchyard.io", "v1alpha1", "failoverservices")
            return True
        except kubernetes.client.ApiException as error:
            if error.status == 404:
                return False
            raise
    wait_for(served, "FailoverServices to be served")


def create_namespace(api_client, name):
    kubernetes.client.CoreV1Api(api_client).create_namespace({"metadata": {"name": name}})
