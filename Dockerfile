# switchyard: one image with switchyard-hub, switchyard-agent and the kubectl
# plugin kubectl-switchyard (copy it out to run it on an operator's machine).
# The build stage runs the same commands as CI (scripts/install-deps, then
# CMake through the Makefile), on the same Debian release.
FROM debian:bookworm AS build
WORKDIR /src
COPY . .
RUN scripts/install-deps && make build && \
    install -D build/bin/switchyard-hub /out/switchyard-hub && \
    install -D build/bin/switchyard-agent /out/switchyard-agent && \
    install -D build/bin/kubectl-switchyard /out/kubectl-switchyard

FROM debian:bookworm-slim
RUN apt-get update && \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates libcpp-httplib0.11 libyaml-cpp0.7 libuv1 libssl3 && \
    rm -rf /var/lib/apt/lists/* && \
    groupadd --gid 65532 switchyard && \
    useradd --uid 65532 --gid 65532 --no-create-home --shell /usr/sbin/nologin switchyard
COPY --from=build /out/ /usr/local/bin/
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/switchyard-hub"]
