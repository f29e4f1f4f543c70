#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace claims::server {

// Lays out a Graphviz DOT graph with the dot engine and renders it as SVG, in-process (Debian's
// libgvc with its core and dot plugins linked in, so no `dot -c` plugin configuration is needed
// at run time). INVALID_ARGUMENT when `dot` does not parse, INTERNAL when Graphviz fails.
// Thread-safe: Graphviz keeps global state, so calls are serialized.
absl::StatusOr<std::string> RenderSvg(std::string_view dot);

}  // namespace claims::server
