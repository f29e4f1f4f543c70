#!/usr/bin/env bash
# Runs the README's two quick-start commands on a clean Debian 12 (bookworm) root, the way a new
# user would on a fresh machine:
#   1. mmdebstrap builds a minimal bookworm root (the debootstrap variant: Essential and
#      Priority important, no compiler, no python, no node or npm) from Debian's archive;
#   2. a clean clone of this repository at HEAD goes to /root/claims inside it;
#   3. in a chroot (with /proc, /sys, /dev, /dev/pts and /dev/shm mounted) it runs
#      `scripts/run.sh` until claimsd answers grpc.health.v1 SERVING, stops it by PID, then
#      runs `scripts/test.sh` to the end;
#   4. it prints how long each command took and what each installed, unmounts by path, removes
#      the root, and exits non-zero if either command failed.
# Uncommitted changes are not tested: commit first. It takes a long while (two full builds'
# worth of packages and compiling on a cold cache): it is not part of the test command.
#
# The chroot shares the host's network namespace (apt and npm need the archive and registry), so:
#   - claimsd listens on a free loopback port (CLAIMS_LISTEN; the shipped config says 50051);
#     the metrics port of the shipped config (127.0.0.1:9464) must be free on the host;
#   - apt inside uses the host's apt proxy and validity settings (apt-config), and the host's
#     local CA certificates (/usr/local/share/ca-certificates) are copied in, so apt and npm
#     reach their archives exactly as they do on the host.
# Environment: CLAIMS_FRESH_DIR (where the root goes; default a new directory under /var/tmp),
# CLAIMS_FRESH_KEEP=1 (keep the root for a look afterwards; still unmounted),
# CLAIMS_FRESH_MIRROR (a Debian mirror URL or sources file; default deb.debian.org with
# bookworm, bookworm-updates and bookworm-security), CLAIMS_FRESH_SERVE_TIMEOUT (seconds
# run.sh may take to reach SERVING, default 5400).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "fresh-machine-check: run as root (mmdebstrap, chroot)" >&2; exit 1; }

host_tools=(mmdebstrap python3-grpcio)
missing=()
for p in "${host_tools[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 9464))' 2>/dev/null
then
  echo "fresh-machine-check: 127.0.0.1:9464 (the shipped config's metrics port) is in use" >&2
  exit 1
fi
if [ -n "$(git -C "$repo" status --porcelain --untracked-files=no)" ]; then
  echo "fresh-machine-check: uncommitted changes are not part of the check (HEAD is tested)" >&2
fi

work=${CLAIMS_FRESH_DIR:-$(mktemp -d /var/tmp/claims-fresh.XXXXXX)}
mkdir -p "$work"
work=$(cd "$work" && pwd)
root=$work/root
logs=$work/logs
mkdir -p "$logs"
mounts=(proc sys dev dev/pts dev/shm)
server_pgid=

unmount_all() {
  local i target
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
    target=$root/${mounts[$i]}
    if mountpoint -q "$target" 2>/dev/null; then
      umount "$target" || umount -l "$target" || true
    fi
  done
}

cleanup() {
  local rc=$?
  if [ -n "$server_pgid" ] && kill -0 -- "-$server_pgid" 2>/dev/null; then
    kill -TERM -- "-$server_pgid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 -- "-$server_pgid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$server_pgid" 2>/dev/null || true
  fi
  unmount_all
  # Never delete through a mount: if anything is still mounted below the root, leave it.
  if grep -q " $root/" /proc/mounts; then
    echo "fresh-machine-check: mounts remain under $root; not removing it" >&2
  elif [ "${CLAIMS_FRESH_KEEP:-0}" = 1 ]; then
    echo "fresh-machine-check: root kept at $root, logs at $logs"
  else
    rm -rf --one-file-system "$root"
    echo "fresh-machine-check: root removed; logs at $logs"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s; }
elapsed() { local s=$1; printf '%dm%02ds' $((s / 60)) $((s % 60)); }

# apt inside the root behaves as on the host: the same proxies and Release validity rules.
aptopts=()
for key in Acquire::http::Proxy Acquire::https::Proxy Acquire::Check-Valid-Until; do
  value=$(apt-config dump "$key" 2>/dev/null | sed -n "s/^$key \"\(.*\)\";$/\1/p" | head -n 1)
  [ -n "$value" ] && aptopts+=("--aptopt=$key \"$value\"")
done
mirror=()
[ -n "${CLAIMS_FRESH_MIRROR:-}" ] && mirror=("$CLAIMS_FRESH_MIRROR")

echo "== mmdebstrap bookworm into $root"
t0=$(now)
mmdebstrap --variant=debootstrap "${aptopts[@]}" bookworm "$root" "${mirror[@]}" \
  >"$logs/mmdebstrap.log" 2>&1 || { tail -n 30 "$logs/mmdebstrap.log"; exit 1; }
t_root=$(($(now) - t0))
echo "root built in $(elapsed $t_root) ($(du -sh --one-file-system "$root" | cut -f1))"
for tool in node npm npx gcc cmake python3; do
  if chroot "$root" /bin/sh -c "command -v $tool" >/dev/null 2>&1; then
    echo "fresh-machine-check: the clean root already has $tool" >&2
    exit 1
  fi
done

mkdir -p "$root/usr/local/share/ca-certificates"
cp -p /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/" 2>/dev/null ||
  true
# A fresh clone of HEAD, so only committed files take part (no build tree, no caches).
commit=$(git -C "$repo" rev-parse HEAD)
git clone -q --no-local "$repo" "$root/root/claims"
git -C "$root/root/claims" checkout -q -B fresh-check "$commit"
echo "clone of $(git -C "$repo" log -1 --format='%h %s' | cut -c1-72)"

mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount --bind /dev "$root/dev"
mount -t devpts devpts "$root/dev/pts" -o newinstance,ptmxmode=0666,mode=0620
mount -t tmpfs -o mode=1777 tmpfs "$root/dev/shm"

# in_root COMMAND [VAR=VALUE...]: runs COMMAND in /root/claims as a fresh root login would,
# with none of the host's environment.
in_root() {
  local command=$1
  shift
  chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@" \
    /bin/bash -c "cd /root/claims && $command"
}

port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
echo "== scripts/run.sh (claimsd on 127.0.0.1:$port)"
t0=$(now)
# A session of its own, so the whole tree (apt, the build, then claimsd, which run.sh execs
# into with the same PID) is stopped through its process group.
setsid chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  CLAIMS_LISTEN="127.0.0.1:$port" /bin/bash -c 'cd /root/claims && exec scripts/run.sh' \
  >"$logs/run.log" 2>&1 &
server_pgid=$!
run_rc=1
deadline=$(($(now) + ${CLAIMS_FRESH_SERVE_TIMEOUT:-5400}))
while [ "$(now)" -lt "$deadline" ]; do
  if ! kill -0 "$server_pgid" 2>/dev/null; then
    echo "scripts/run.sh exited before claimsd served"; tail -n 40 "$logs/run.log"; break
  fi
  # Until claimsd listens, each probe is refused at once; readiness means the database answers.
  if /usr/bin/python3 "$repo/scripts/lib/grpc_health.py" "127.0.0.1:$port" claims.v1.Claims 3 \
       >>"$logs/probe.log" 2>&1; then
    run_rc=0
    break
  fi
  sleep 5
done
t_run=$(($(now) - t0))
if [ $run_rc -eq 0 ]; then
  echo "claimsd SERVING after $(elapsed $t_run); stopping it (pid $server_pgid)"
  kill -TERM -- "-$server_pgid"
  for _ in $(seq 1 300); do kill -0 -- "-$server_pgid" 2>/dev/null || break; sleep 0.1; done
  kill -0 -- "-$server_pgid" 2>/dev/null && { echo "claimsd ignored SIGTERM for 30s"; run_rc=1; }
else
  echo "scripts/run.sh: claimsd not SERVING after $(elapsed $t_run)"
fi
kill -KILL -- "-$server_pgid" 2>/dev/null || true
server_pgid=

echo "== scripts/test.sh"
t0=$(now)
test_rc=0
in_root 'scripts/test.sh' >"$logs/test.log" 2>&1 || test_rc=$?
t_test=$(($(now) - t0))
grep -E 'tests passed|tests failed|\*\*\*Failed|Failed  |\(Failed\)|Timeout' "$logs/test.log" | tail -n 40 ||
  true

sizes() { grep -E '^(Need to get|After this operation)' "$1" | sed 's/^/    /' || true; }
echo
echo "== fresh Debian 12 root: $(git -C "$repo" log -1 --format=%h)"
echo "root (mmdebstrap):  $(elapsed $t_root)"
echo "scripts/run.sh:     $(elapsed $t_run) to SERVING, $([ $run_rc -eq 0 ] && echo passed || echo FAILED)"
sizes "$logs/run.log"
echo "scripts/test.sh:    $(elapsed $t_test), $([ $test_rc -eq 0 ] && echo passed || echo "FAILED (exit $test_rc)")"
sizes "$logs/test.log"
[ $run_rc -eq 0 ] && [ $test_rc -eq 0 ]
