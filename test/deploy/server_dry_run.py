"""Every manifest in deploy/ applies cleanly to a devcluster with
`kubectl apply --dry-run=server`, as it would to a real cluster.

The namespace is created for real first (a real cluster needs it before any
namespaced dry-run); everything else is only dry-run, so what the server
validates is the manifests as shipped. Usage: server_dry_run.py BIN_DIR
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "test", "e2e"))

import fleet  # noqa: E402

DEPLOY = os.path.join(REPO, "deploy")
KUSTOMIZE_DIRS = ["", "agent", "smi"]


def main(bin_dir):
    failures = []
    with fleet.Fleet(members=(), bin_dir=bin_dir) as local:
        local.start_cluster("mgmt")
        local.kubectl("mgmt", "apply", "-f", os.path.join(DEPLOY, "namespace.yaml"))
        for directory in KUSTOMIZE_DIRS:
            path = os.path.join(DEPLOY, directory)
            result = local.kubectl("mgmt", "apply", "--dry-run=server", "-k", path, check=False)
            shown = "deploy/" + directory
            print(f"--- kubectl apply --dry-run=server -k {shown}: exit {result.returncode}")
            print(result.stdout, end="")
            if result.stderr:
                print(result.stderr, end="")
            if result.returncode != 0:
                failures.append(shown)
                continue
            # Each object the kustomization renders must be reported as applied by the server.
            rendered = local.kubectl("mgmt", "kustomize", path)
            expected = sum(1 for line in rendered.splitlines() if line.startswith("kind: "))
            reported = sum(1 for line in result.stdout.splitlines() if line.endswith("(server dry run)"))
            if reported != expected:
                print(f"{shown}: {expected} objects rendered, {reported} reported as server dry run")
                failures.append(shown)
        # A dry run must not have stored anything beyond the namespace.
        leftover = local.kubectl("mgmt", "get", "deployments,serviceaccounts,networkpolicies", "-n",
                                 fleet.SYSTEM_NAMESPACE, "-o", "name")
        if leftover.strip():
            print(f"dry run stored objects:\n{leftover}")
            failures.append("dry run stored objects")
    if failures:
        print("FAILED: " + ", ".join(failures))
        return 1
    print("all deploy/ kustomizations pass a server-side dry run")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
