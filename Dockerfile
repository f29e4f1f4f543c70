# claimsd's container image, for machines that reach an image registry:
#   docker build -t claimsd:0.1.0 .     (or podman build)
# scripts/image.sh build makes the same image offline (mmdebstrap + umoci), from the same
# runtime package list (scripts/lib/runtime-packages.txt); `scripts/image.sh dockerfile`
# checks that this file still installs that list and lays the image out as the offline build.

FROM debian:12 AS build
WORKDIR /src
COPY scripts/install-deps.sh scripts/install-deps.sh
# Build packages only (no --tests): compiler, CMake, the -dev libraries, protoc.
RUN scripts/install-deps.sh
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCLAIMS_BUILD_TESTS=OFF \
 && cmake --build /build --target claimsd claimsctl \
 && strip /build/server/claimsd /build/cli/claimsctl

FROM debian:12-slim
COPY scripts/lib/runtime-packages.txt /tmp/runtime-packages.txt
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      $(grep -v '^#' /tmp/runtime-packages.txt) \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages.txt \
 && groupadd --gid 10001 claims \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /var/lib/claims \
      --shell /usr/sbin/nologin claims \
 && install -d -o 10001 -g 10001 -m 0750 /var/lib/claims
COPY --from=build /build/server/claimsd /build/cli/claimsctl /usr/bin/
COPY config/claimsd.container.yaml /etc/claims/config/claimsd.yaml
COPY config/workflows /etc/claims/workflows
COPY config/calendars /etc/claims/calendars
USER 10001:10001
WORKDIR /var/lib/claims
VOLUME /var/lib/claims
EXPOSE 50051 9464
ENTRYPOINT ["/usr/bin/claimsd"]
CMD ["--config", "/etc/claims/config/claimsd.yaml"]
