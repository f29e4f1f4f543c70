#!/usr/bin/env bash
# Builds and checks claimsd's container image without an image registry. Run as root.
#   scripts/image.sh build       a Release build of this tree; a runtime root made by mmdebstrap
#                                from Debian's archive (the host's apt sources) holding only the
#                                packages in scripts/lib/runtime-packages.txt; the binaries,
#                                the container config, workflows and calendars copied in; packed
#                                by umoci as an OCI image layout build-image/oci, tag claimsd:VERSION,
#                                and an OCI archive build-image/claimsd-VERSION.tar
#   scripts/image.sh check       unpacks that image afresh and runs it: with podman (vfs storage,
#                                host network) when podman can run a container here, else by
#                                chroot into the unpacked root as uid 10001 (/proc and /dev
#                                mounted, unmounted on exit). Fails unless every library the
#                                binaries load resolves inside the image, claimsd answers
#                                grpc.health.v1 SERVING on loopback, and the image's claimsctl
#                                takes a claim through create, evidence and submit
#   scripts/image.sh dockerfile [BUILD_DIR]
#                                checks that the Dockerfile installs the same package list and
#                                lays the image out as the offline build does, and that the list
#                                has the package of every library the binaries of BUILD_DIR (or
#                                the Release tree) load
# The host must be Debian 12: the binaries built here go into a bookworm root, so they find the
# libraries they were linked against. Environment: CLAIMS_IMAGE_DIR (default build-image),
# CLAIMS_IMAGE_BUILD_DIR (the Release build tree, default build-release).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
out=${CLAIMS_IMAGE_DIR:-$repo/build-image}
build=${CLAIMS_IMAGE_BUILD_DIR:-$repo/build-release}
version=$(sed -n 's/^project(claims VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
tag=claimsd:$version
package_list=scripts/lib/runtime-packages.txt
uid=10001

now() { date +%s.%N; }
since() { printf '%.1fs' "$(echo "$(now) - $1" | bc)"; }
runtime_packages() { grep -v -e '^#' -e '^$' "$package_list"; }

need_tools() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || { echo "image.sh: missing ${missing[*]}; run as root" >&2; exit 1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# needed_packages BINARY...: the Debian package of every shared library the binaries load; a
# library no package installed comes out as "unpackaged:PATH", which no list holds.
needed_packages() {
  local lib libs=() names=()
  mapfile -t libs < <(ldd "$@" | awk '/=> \//{print $3}' | sort -u)
  # dpkg knows a file by the path its package ships, which on a merged-/usr host may be either
  # the name ldd found or the file it resolves to: ask for both, in one call.
  for lib in "${libs[@]}"; do names+=("$lib" "$(readlink -f "$lib")"); done
  local owners owned
  owners=$(dpkg -S "${names[@]}" 2>/dev/null || true)
  owned=$(awk -F': ' '{print $NF}' <<<"$owners")
  {
    for lib in "${libs[@]}"; do
      grep -qxF -e "$lib" -e "$(readlink -f "$lib")" <<<"$owned" || echo "unpackaged:$lib"
    done
    cut -d: -f1 <<<"$owners"
  } | sort -u
}

# check_package_list BINARY...: fails when a library of the binaries comes from a package that
# the runtime list does not install.
check_package_list() {
  local absent needed
  needed=$(needed_packages "$@")
  absent=$(comm -23 <(echo "$needed") <(runtime_packages | sort -u))
  if [ -n "$absent" ]; then
    echo "image.sh: the binaries load libraries from packages missing in $package_list:" >&2
    echo "$absent" | sed 's/^/  /' >&2
    return 1
  fi
  echo "runtime packages: all $(echo "$needed" | wc -l) library packages of the binaries are listed"
}

build_image() {
  need_tools mmdebstrap umoci bc
  local t0 t_start
  t_start=$(now)
  t0=$(now)
  if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCLAIMS_BUILD_TESTS=OFF >/dev/null
  fi
  nice -n 10 cmake --build "$build" -j "$(nproc)" --target claimsd claimsctl >/dev/null
  echo "release build: $(since "$t0")"
  local claimsd=$build/server/claimsd claimsctl=$build/cli/claimsctl
  check_package_list "$claimsd" "$claimsctl"

  rm -rf "$out"
  mkdir -p "$out"
  local root=$out/root
  t0=$(now)
  # The extract variant unpacks the listed packages and their dependencies and runs no
  # maintainer script: no shell, no dpkg or apt, nothing the server does not load.
  local sources=()
  [ -f /etc/apt/sources.list.d/debian.sources ] && sources=(/etc/apt/sources.list.d/debian.sources)
  [ -s /etc/apt/sources.list ] && sources+=(/etc/apt/sources.list)
  local aptopts=() key value
  for key in Acquire::http::Proxy Acquire::https::Proxy Acquire::Check-Valid-Until; do
    value=$(apt-config dump "$key" 2>/dev/null | sed -n "s/^$key \"\(.*\)\";$/\1/p" | head -n 1)
    [ -n "$value" ] && aptopts+=("--aptopt=$key \"$value\"")
  done
  mmdebstrap --variant=extract --include="$(runtime_packages | paste -sd,)" "${aptopts[@]}" \
    bookworm "$root" "${sources[@]}" >"$out/mmdebstrap.log" 2>&1 ||
    { tail -n 30 "$out/mmdebstrap.log"; exit 1; }
  rm -rf "$root"/usr/share/{doc,man,info,locale,lintian,bug} "$root"/var/cache/* \
    "$root"/var/lib/apt "$root"/var/log/*
  echo "runtime root (mmdebstrap): $(since "$t0")"

  install -m 0755 -s "$claimsd" "$claimsctl" "$root/usr/bin/"
  install -d "$root/etc/claims/config"
  install -m 0644 config/claimsd.container.yaml "$root/etc/claims/config/claimsd.yaml"
  cp -r config/workflows config/calendars "$root/etc/claims/"
  printf 'root:x:0:0:root:/root:/usr/sbin/nologin\nclaims:x:%d:%d:claimsd:/var/lib/claims:/usr/sbin/nologin\n' \
    $uid $uid >"$root/etc/passwd"
  printf 'root:x:0:\nclaims:x:%d:\n' $uid >"$root/etc/group"
  install -d -o $uid -g $uid -m 0750 "$root/var/lib/claims"
  install -d -m 1777 "$root/tmp"
  install -d "$root/proc" "$root/dev" "$root/sys"
  ldconfig -r "$root"

  t0=$(now)
  local bundle=$out/bundle
  umoci init --layout "$out/oci"
  umoci new --image "$out/oci:$tag"
  umoci unpack --image "$out/oci:$tag" "$bundle" >/dev/null
  rm -rf "$bundle/rootfs"
  mv "$root" "$bundle/rootfs"
  umoci repack --image "$out/oci:$tag" "$bundle"
  umoci config --image "$out/oci:$tag" --author claims --os linux --architecture amd64 \
    --config.user "$uid:$uid" --config.workingdir /var/lib/claims \
    --config.entrypoint /usr/bin/claimsd \
    --config.cmd --config --config.cmd /etc/claims/config/claimsd.yaml \
    --config.exposedports 50051/tcp --config.exposedports 9464/tcp \
    --config.volume /var/lib/claims \
    --config.env PATH=/usr/bin \
    --config.label "org.opencontainers.image.version=$version" \
    --config.label "org.opencontainers.image.source=$(git rev-parse HEAD 2>/dev/null || echo unknown)"
  umoci gc --layout "$out/oci"
  rm -rf "$bundle"
  tar -C "$out/oci" -cf "$out/claimsd-$version.tar" .
  echo "packed (umoci): $(since "$t0")"
  echo "image $tag: $(du -sh "$out/oci/blobs" | cut -f1) compressed in build-image/oci," \
    "archive $(du -h "$out/claimsd-$version.tar" | cut -f1); built in $(since "$t_start")"
}

# podman_works: can podman run a container from this image here (vfs storage, host network)?
podman_store=
podman_cmd() {
  podman --root "$podman_store/root" --runroot "$podman_store/run" --storage-driver vfs \
    --cgroup-manager cgroupfs --events-backend none "$@"
}
# bounded_podman ARGS...: podman_cmd, killed after 120 s (podman can hang where it cannot run).
bounded_podman() {
  timeout 120 podman --root "$podman_store/root" --runroot "$podman_store/run" \
    --storage-driver vfs --cgroup-manager cgroupfs --events-backend none "$@"
}

check_image() {
  need_tools umoci bc python3-grpcio
  [ -d "$out/oci" ] || { echo "image.sh: no image in $out/oci; run scripts/image.sh build" >&2; exit 1; }
  local t0 root
  # Globals: the EXIT trap reads them after this function has returned.
  work= pid= mounts=() passes=0 failures=0
  pass() { passes=$((passes + 1)); echo "ok: $*"; }
  fail() { failures=$((failures + 1)); echo "FAIL: $*"; }
  work=$(mktemp -d /var/tmp/claims-image.XXXXXX)
  root=$work/bundle/rootfs
  cleanup() {
    local rc=$? i
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
    for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
      umount "${mounts[$i]}" 2>/dev/null || umount -l "${mounts[$i]}" || true
    done
    if [ -n "$podman_store" ]; then podman_cmd rm -af >/dev/null 2>&1 || true; fi
    if grep -q " $work/" /proc/mounts; then
      echo "image.sh: mounts remain under $work; not removing it" >&2
    else
      rm -rf --one-file-system "$work"
    fi
    exit "$rc"
  }
  trap cleanup EXIT
  trap 'exit 130' INT TERM

  t0=$(now)
  umoci unpack --image "$out/oci:$tag" "$work/bundle" >/dev/null
  echo "unpacked $tag: $(since "$t0"), root $(du -sh --one-file-system "$root" | cut -f1)"
  for shell in bin/sh bin/bash usr/bin/sh usr/bin/bash usr/bin/dash; do
    [ -e "$root/$shell" ] && echo "note: the image has /$shell (nothing in it needs a shell)"
  done

  # Every library of the binaries resolves inside the image, through the image's own loader.
  local binary unresolved
  for binary in claimsd claimsctl; do
    unresolved=$(chroot "$root" /lib64/ld-linux-x86-64.so.2 --list "/usr/bin/$binary" 2>&1 |
      grep -E 'not found|cannot|No such file' || true)
    if [ -n "$unresolved" ]; then
      fail "/usr/bin/$binary in the image cannot load:"; echo "$unresolved" | sed 's/^/  /'
    else
      pass "every library of /usr/bin/$binary resolves in the image"
    fi
  done

  # The image's own configuration, moved to free loopback ports (the host's network is shared),
  # with the database under /tmp of the image.
  local port metrics_port
  read -r port metrics_port < <(/usr/bin/python3 -c '
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))')
  install -d -o $uid -g $uid "$root/tmp/check"
  sed -e "s|^listen: .*|listen: 127.0.0.1:$port|" \
      -e "s|^  listen: 0.0.0.0:9464|  listen: 127.0.0.1:$metrics_port|" \
      -e "s|^  url: sqlite:.*|  url: sqlite:/tmp/check/claims.db|" \
      "$root/etc/claims/config/claimsd.yaml" >"$root/tmp/check/claimsd.yaml"
  grep -q "127.0.0.1:$metrics_port" "$root/tmp/check/claimsd.yaml" ||
    { echo "image.sh: the image's config has no metrics listen to move" >&2; exit 1; }
  echo '%PDF-1.7' >"$root/tmp/check/poe.pdf"
  chown -R $uid:$uid "$root/tmp/check"

  # in_image COMMAND...: runs a program of the image as uid 10001 (podman exec or chroot).
  local runner
  podman_store=$work/podman
  if command -v podman >/dev/null &&
     bounded_podman load -q -i "$out/claimsd-$version.tar" >"$work/podman.log" 2>&1 &&
     bounded_podman run --rm --network host --entrypoint /usr/bin/claimsctl "$tag" --help \
       >>"$work/podman.log" 2>&1; then
    runner=podman
  else
    echo "podman cannot run a container here ($(grep -m1 -iE 'error|denied' "$work/podman.log" |
      cut -c1-120)); running the image by chroot"
    podman_cmd rm -af >/dev/null 2>&1 || true
    podman_store=
    runner=chroot
    mount -t proc proc "$root/proc" && mounts+=("$root/proc")
    mount --bind /dev "$root/dev" && mounts+=("$root/dev")
  fi
  in_image() {
    if [ $runner = podman ]; then
      podman_cmd run --rm --network host --user $uid:$uid -v "$root/tmp/check:/tmp/check" \
        -e CLAIMS_SERVER -e CLAIMS_ACTOR -e CLAIMS_ROLES -e CLAIMS_PARTNER \
        --entrypoint "$1" "$tag" "${@:2}"
    else
      chroot --userspec=$uid:$uid "$root" "$@"
    fi
  }

  t0=$(now)
  if [ $runner = podman ]; then
    podman_cmd run --rm --network host -v "$root/tmp/check:/tmp/check" "$tag" \
      --config /tmp/check/claimsd.yaml >"$work/claimsd.log" 2>&1 &
  else
    (cd / && exec chroot --userspec=$uid:$uid "$root" /usr/bin/claimsd \
      --config /tmp/check/claimsd.yaml) >"$work/claimsd.log" 2>&1 &
  fi
  pid=$!
  if /usr/bin/python3 scripts/lib/grpc_health.py "127.0.0.1:$port" claims.v1.Claims 60 >/dev/null; then
    pass "claimsd ($runner, uid $uid) answers grpc.health.v1 SERVING on 127.0.0.1:$port" \
      "after $(since "$t0")"
  else
    echo "FAIL: claimsd not SERVING on 127.0.0.1:$port"; tail -n 20 "$work/claimsd.log"; exit 1
  fi

  export CLAIMS_SERVER=127.0.0.1:$port CLAIMS_ACTOR=pat CLAIMS_ROLES=billing_admin \
    CLAIMS_PARTNER=contoso
  field() { /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
  t0=$(now)
  local claim name state
  claim=$(in_image /usr/bin/claimsctl claims create partners/contoso --mpn 1234567 \
    --customer-tenant-id 6f1c2a9e-0000-4000-8000-000000000001 --customer-name Fabrikam \
    --product dynamics_365_sales --activity revenue_association --request-id image-check-1)
  name=$(echo "$claim" | field '["name"]')
  state=$(echo "$claim" | field '["state"]')
  if [ "$state" = editing ]; then pass "create: $name in editing"; else
    fail "create answered state $state"; fi
  if in_image /usr/bin/claimsctl claims evidence "$name" /tmp/check/poe.pdf >/dev/null; then
    pass "evidence uploaded"; else fail "evidence"; fi
  state=$(in_image /usr/bin/claimsctl claims act "$name" submit | field '["state"]' || true)
  if [ "$state" = submitted ]; then pass "submit: submitted"; else
    fail "submit answered state '$state'"; fi
  echo "claim end to end: $(since "$t0")"
  # The image's config says log_format: json: every line one object, one access line a call.
  local log_check
  if log_check=$(/usr/bin/python3 - "$work/claimsd.log" <<'PY'
import json, sys
lines = [l for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
objects = [json.loads(l) for l in lines]
methods = [o.get("method") for o in objects if o.get("logger") == "access"]
assert {"CreateClaim", "AddEvidence", "PerformAction"} <= set(methods), methods
print(f"{len(objects)} lines, each a JSON object, {len(methods)} access lines")
PY
  ); then pass "log: $log_check"; else fail "log is not one JSON object a line: $log_check"; fi

  t0=$(now)
  kill -TERM "$pid"
  local exited=0
  for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || { exited=1; break; }; sleep 0.1; done
  if [ $exited = 1 ]; then
    wait "$pid" || true
    pid=
    pass "SIGTERM: exited in $(since "$t0")"
  else
    fail "claimsd still running 15 s after SIGTERM"
  fi
  echo "image $tag: $(du -sh "$out/oci/blobs" | cut -f1) as stored (compressed layers)," \
    "$(du -sh --one-file-system "$root" | cut -f1) unpacked"
  echo "$passes passed, $failures failed"
  [ $failures -eq 0 ]
}

check_dockerfile() {
  local failures=0 expect
  # The runtime stage installs the one list, and only it.
  grep -q 'COPY scripts/lib/runtime-packages.txt' Dockerfile &&
    grep -q "\$(grep -v '^#' /tmp/runtime-packages.txt)" Dockerfile ||
    { echo "FAIL: the Dockerfile does not install $package_list"; failures=$((failures + 1)); }
  for expect in 'FROM debian:12 AS build' 'FROM debian:12-slim' 'scripts/install-deps.sh$' \
    '-DCMAKE_BUILD_TYPE=Release -DCLAIMS_BUILD_TESTS=OFF' 'USER 10001:10001' \
    'COPY config/claimsd.container.yaml /etc/claims/config/claimsd.yaml' \
    'COPY config/workflows /etc/claims/workflows' 'COPY config/calendars /etc/claims/calendars' \
    'ENTRYPOINT \["/usr/bin/claimsd"\]' \
    'CMD \["--config", "/etc/claims/config/claimsd.yaml"\]'; do
    if ! grep -qE -- "$expect" Dockerfile; then
      echo "FAIL: the Dockerfile lacks: $expect"; failures=$((failures + 1))
    fi
  done
  # The offline build lays the image out the same way.
  for expect in 'config.user "$uid:$uid"' 'config.entrypoint /usr/bin/claimsd' \
    'config/claimsd.container.yaml "$root/etc/claims/config/claimsd.yaml"'; do
    grep -qF -- "$expect" "$0" || { echo "FAIL: image.sh lacks: $expect"; failures=$((failures + 1)); }
  done
  # With a build tree named, its binaries must be there: the list is checked against them.
  local binaries=${1:-$build}
  if [ -x "$binaries/server/claimsd" ] && [ -x "$binaries/cli/claimsctl" ]; then
    check_package_list "$binaries/server/claimsd" "$binaries/cli/claimsctl" ||
      failures=$((failures + 1))
  elif [ -n "${1:-}" ]; then
    echo "FAIL: no claimsd and claimsctl in $binaries"; failures=$((failures + 1))
  else
    echo "note: no binaries in $binaries to check the package list against"
  fi
  [ $failures -eq 0 ] && echo "ok: Dockerfile and the offline build install $package_list"
  [ $failures -eq 0 ]
}

case "${1:-}" in
  build) build_image ;;
  check) check_image ;;
  dockerfile) check_dockerfile "${2:-}" ;;
  *) echo "usage: $0 build|check|dockerfile [BUILD_DIR]" >&2; exit 2 ;;
esac
