#!/usr/bin/env bash
# Installs every Debian package the build, the tests and the tools need. Idempotent: a second run
# only checks. Run as root on Debian 12 (bookworm).
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config ccache git clang clang-format libclang-rt-14-dev
  # libraries
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  libsoci-dev libboost-dev libmariadb-dev libsqlite3-dev
  libyaml-cpp-dev libspdlog-dev libabsl-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev prometheus-cpp-dev libcpp-jwt-dev
  # runtime data and the throwaway database for tests and benchmarks
  libssl-dev nlohmann-json3-dev
  tzdata sqlite3 mariadb-server mariadb-client
  # policy-editor tooling and test helpers
  graphviz yamllint python3-yaml python3-jsonschema python3-grpcio python3-protobuf unzip
  # headless browser that renders the mermaid form of `claimsctl graph` with the real library
  chromium
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages (${missing[*]}); run as root" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # nodejs is left out on purpose: the machine's node/npm come from elsewhere and conflict.
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

command -v npm >/dev/null || { echo "install-deps: npm is required (for google-proto-files)" >&2; exit 1; }
