#!/usr/bin/env bash
# Installs the Debian 12 (bookworm) packages claimsd needs. Idempotent: a second run only checks.
# Run as root.
#   scripts/install-deps.sh           build and run: compiler, libraries, protos, tzdata
#   scripts/install-deps.sh --tests   also what the tests and tools use: GoogleTest, Google
#                                     Benchmark, clang (fuzzing), MariaDB server, Chromium
#                                     (renders Mermaid), Graphviz, yamllint, Python gRPC, npm
# Everything comes from Debian. The build itself never downloads anything; only two test
# fixtures (the helm binary and Mermaid's bundle) come from npm, at test time, and npm is
# installed here only for --tests.
set -euo pipefail

build_packages=(
  build-essential cmake ninja-build pkg-config
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  # google/rpc/{status,error_details,code}.proto (cmake/GoogleApisProtos.cmake)
  golang-github-gogo-googleapis-dev
  libsoci-dev libboost-dev libmariadb-dev libsqlite3-dev liburiparser-dev
  libyaml-cpp-dev libspdlog-dev libabsl-dev libcli11-dev prometheus-cpp-dev libcpp-jwt-dev
  libssl-dev nlohmann-json3-dev
  # evidence content types told from the bytes (libmagic1 and its database libmagic-mgc come
  # with it and are what claimsd needs at run time)
  libmagic-dev libmagic1 libmagic-mgc
  # time zones for business calendars, read at run time
  tzdata
)

test_packages=(
  ccache git python3 ca-certificates
  libgtest-dev libgmock-dev libbenchmark-dev
  # lint and fuzzing
  clang clang-format libclang-rt-14-dev yamllint
  # the throwaway database of the storage and e2e tests
  mariadb-server mariadb-client sqlite3
  # policy-editor tooling and test helpers
  graphviz python3-yaml python3-jsonschema python3-grpcio python3-protobuf unzip
  # headless browser that renders the mermaid form of `claimsctl graph` with the real library
  chromium
)

packages=("${build_packages[@]}")
case "${1:-}" in
  --tests) packages+=("${test_packages[@]}") ;;
  "") ;;
  *) echo "usage: $0 [--tests]" >&2; exit 2 ;;
esac

# The npm-fetched test fixtures need an npm. Debian's npm (with Debian's nodejs) goes on only
# where there is no npm at all: a machine with a node of its own keeps it, since Debian's nodejs
# conflicts with other node packages.
if [ "${1:-}" = --tests ] && ! command -v npm >/dev/null; then
  if command -v node >/dev/null; then
    echo "install-deps: node is installed but npm is not; install the npm that goes with" \
      "$(command -v node), or remove that node so Debian's nodejs and npm can be installed" >&2
    exit 1
  fi
  packages+=(npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages (${missing[*]}); run as root" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# -q keeps apt's "Need to get ... / After this operation ..." summary and drops the progress.
apt-get install -y -q --no-install-recommends "${missing[@]}" |
  grep -E '^(Need to get|After this operation|[0-9]+ upgraded)' || true
# Fail loudly if apt did not install everything (the grep above hides its exit status).
for p in "${missing[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
    { echo "install-deps: $p did not install" >&2; exit 1; }
done
