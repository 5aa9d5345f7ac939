#!/usr/bin/env python3
"""Fails when a Python test method is not run by any CTest test.

The Python suites are registered in CMake one class or one method at a
time (so they run in parallel and report one by one); a method added to a
file and not to its CMakeLists.txt list never runs, and nothing says so
(test_share_within_a_bound_agrees_with_histogram_quantile went unrun that
way). This lists every test method the unittest loader finds in the
project's test_*.py files and looks, among the commands of `ctest
--show-only=json-v1`, for one that runs it: `-m unittest ... NAME` in the
file's folder, where NAME is its module, class or method, or the file run
as a script.

  registered_tests.py SOURCE_DIR BUILD_DIR
"""
import json
import os
import subprocess
import sys
import unittest

SEARCHED = ("test", "bench")


def test_files(source_dir):
    for top in SEARCHED:
        for folder, subfolders, files in os.walk(os.path.join(source_dir, top)):
            subfolders[:] = [s for s in subfolders if s not in ("node_modules", "__pycache__")]
            for name in sorted(files):
                if name.startswith("test_") and name.endswith(".py"):
                    yield os.path.join(folder, name)


def test_ids(path):
    """module.Class.method of every test in the file, loaded as unittest would."""
    folder, module = os.path.dirname(path), os.path.basename(path)[:-3]
    sys.path.insert(0, folder)
    try:
        suite = unittest.defaultTestLoader.loadTestsFromName(module)
    finally:
        sys.path.remove(folder)
    ids = []

    def walk(s):
        for t in s:
            if isinstance(t, unittest.TestSuite):
                walk(t)
            else:
                ids.append(t.id())
    walk(suite)
    return ids


def runs(command, directory, path, test_id):
    """Whether the CTest command, run in `directory`, runs `test_id` of `path`."""
    if len(command) >= 2 and os.path.abspath(command[1]) == os.path.abspath(path):
        return True  # the file run as a script: unittest.main runs all of it
    if "unittest" not in command or directory != os.path.dirname(path):
        return False
    names = command[command.index("unittest") + 1:]
    return any(test_id == n or test_id.startswith(n + ".") for n in names if not n.startswith("-"))


def main():
    source_dir, build_dir = sys.argv[1], sys.argv[2]
    listed = subprocess.run(["ctest", "--show-only=json-v1"], cwd=build_dir, capture_output=True, text=True,
                            check=True)
    commands = []
    for test in json.loads(listed.stdout)["tests"]:
        directory = next((p["value"] for p in test.get("properties", []) if p["name"] == "WORKING_DIRECTORY"), "")
        commands.append((test.get("command") or [], os.path.abspath(directory) if directory else ""))
    missing = []
    count = 0
    for path in test_files(source_dir):
        for test_id in test_ids(path):
            count += 1
            if not any(runs(command, directory, path, test_id) for command, directory in commands):
                missing.append(f"{os.path.relpath(path, source_dir)}: {test_id}")
    if count == 0:
        print("no Python tests found under " + ", ".join(SEARCHED), file=sys.stderr)
        return 1
    if missing:
        print(f"{len(missing)} of {count} Python tests are run by no CTest test "
              "(add them to their folder's CMakeLists.txt):", file=sys.stderr)
        for line in missing:
            print("  " + line, file=sys.stderr)
        return 1
    print(f"all {count} Python tests are registered")
    return 0


if __name__ == "__main__":
    sys.exit(main())
