#!/usr/bin/env bash
# The dependency rule of the README ("What is where"), checked by tools rather than review: workflow/ is a pure
# core (no gRPC, protobuf, SOCI, logging, clock or files); storage/ speaks domain types only.
set -euo pipefail
cd "${1:?source dir}"
status=0
report() { echo "layering: $1"; echo "$2" | sed 's/^/  /'; status=1; }

hits=$(grep -rnE '#include\s*[<"](grpcpp/|grpc/|google/protobuf/|soci/|spdlog/|mysql|sqlite3|storage/|server/|config/)|\.pb\.h"' workflow || true)
[ -z "$hits" ] || report "workflow/ includes a transport, database, logging or outer-layer header" "$hits"
hits=$(grep -rnE 'system_clock::now|steady_clock::now|absl::Now\(\)|time\(nullptr\)|std::ifstream|std::ofstream|fopen\(' workflow || true)
[ -z "$hits" ] || report "workflow/ reads the clock or files itself" "$hits"
hits=$(grep -rnE '#include\s*[<"](grpcpp/|grpc/|server/|config/)|\.pb\.h"' storage || true)
[ -z "$hits" ] || report "storage/ includes gRPC, generated protobuf or outer-layer headers" "$hits"
hits=$(grep -rnE '#include\s*[<"](grpcpp/|soci/)|\.pb\.h"|server/' config --include='*.h' --include='*.cc' || true)
[ -z "$hits" ] || report "config/ code depends on transport, database or server headers" "$hits"
exit $status
