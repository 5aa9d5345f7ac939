# Thin wrapper around CMake; see README.md and docs/testing.md.
BUILD_DIR ?= build
ASAN_DIR ?= build-asan
TSAN_DIR ?= build-tsan
JOBS ?= 2

# Sanitizer trees: clang (libFuzzer needs it), -O1 with asserts on.
SANITIZER_CMAKE = -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
                  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g"
# Whole fleets of real processes stay on the normal build, and so do the
# data-plane tests (a real Prometheus and stand-in proxies; the client's C++
# is covered by agent_unit_tests under the sanitizers).
# (catch_discover_tests names have no space after the prefix's colon.)
# Normal build only: tests that measure resident memory (glibc's heap handing
# pages back with malloc_trim; yaml-cpp's nodes freed): a sanitizer's
# allocator keeps freed memory in quarantine and malloc_trim never touches
# it; the 2,000-watch scale test (a sanitizer's 2-5x cost per request
# turns it into a measure of the machine); and the test registry check
# (Python only; it reads what the normal tree registers, bench/'s tests
# among them, which a sanitizer tree does not build). The code of the
# others still runs under the sanitizers in the other tests of their files.
NORMAL_ONLY_TESTS = telemetry:after the process has grown|devcluster:deeply nested YAML|devcluster:two thousand concurrent watches|test registry:
FLEET_TESTS = ^(e2e: |agent: e2e |agent: prometheus |hub e2e:|deploy: |chaos: short seeded run|$(NORMAL_ONLY_TESTS))
# ThreadSanitizer covers the code with threads: the hub's agent API and
# decision loop, the kube client and its informers, devcluster's watch
# fan-out, the agent's reporter/poller/applier and telemetry's servers.
TSAN_TARGETS = hub_agent_api_tests hub_controller_tests kube_tests kube_informer_tests \
               kube_informer_e2e_tests devcluster_server_tests telemetry_tests agent_unit_tests
TSAN_TESTS = ^(hub:|kube:|devcluster:|telemetry:|agent:)
# Left out: the fleets and the real clients' tests (processes of their own,
# nothing of ours shares memory with them) and NORMAL_ONLY_TESTS.
TSAN_SKIP = ^(agent: e2e |agent: prometheus |devcluster: (kubectl|python|js|fuzz) |$(NORMAL_ONLY_TESTS))

.PHONY: deps configure build test test-normal test-asan test-tsan demo bench clean

deps:
	@scripts/install-deps

configure: deps
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j$(JOBS)

# What CI runs (.ci/run): the normal build and every test, then the ASan +
# UBSan tree and its tests, then the TSan tree and the tests of the code with
# threads (docs/testing.md).
test: test-normal test-asan test-tsan

test-normal: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j$(JOBS)

# ASan + UBSan: every unit and integration test and the fuzz targets' short runs.
test-asan: deps
	@cmake -S . -B $(ASAN_DIR) $(SANITIZER_CMAKE) -DSWITCHYARD_SANITIZE=address >/dev/null
	@cmake --build $(ASAN_DIR) -j$(JOBS)
	@cd $(ASAN_DIR) && ctest --output-on-failure -j$(JOBS) -E '$(FLEET_TESTS)'

test-tsan: deps
	@cmake -S . -B $(TSAN_DIR) $(SANITIZER_CMAKE) -DSWITCHYARD_SANITIZE=thread >/dev/null
	@cmake --build $(TSAN_DIR) -j$(JOBS) --target $(TSAN_TARGETS)
	@# Without address randomization: clang 14's TSan cannot map its shadow
	@# memory on kernels with vm.mmap_rnd_bits = 32 ("unexpected memory mapping").
	@cd $(TSAN_DIR) && setarch $$(uname -m) -R ctest --output-on-failure -j$(JOBS) -R '$(TSAN_TESTS)' -E '$(TSAN_SKIP)'

# make demo OUTPUT=httproute (or linkerd-httproute, auto): scripts/demo --output.
demo: build
	@scripts/demo $(if $(OUTPUT),--output $(OUTPUT))

bench: build
	@scripts/bench

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR) $(TSAN_DIR)
