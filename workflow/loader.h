#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "workflow/definition.h"

namespace claims::workflow {

// One problem in a workflow file, at the YAML position it concerns (1-based line and column).
struct Diagnostic {
  std::string file;
  int line = 0;
  int column = 0;
  std::string message;
  // "file:line:col: message"
  std::string ToString() const;
};

// Bounds on hostile input: a workflow file is small, so anything beyond these is refused.
struct LoadLimits {
  std::size_t max_bytes = 1 << 20;
  int max_depth = 32;
  std::size_t max_nodes = 100'000;
  std::size_t max_alias_expansions = 1'000;
};

// Returns the text of a file the definition includes (e.g. a calendar), given the path as
// written in the YAML; nullopt if it does not exist. Keeps loading free of I/O.
using IncludeResolver = std::function<std::optional<std::string>(std::string_view path)>;

struct LoadResult {
  std::shared_ptr<const Definition> definition;  // null when diagnostics is not empty
  std::vector<Diagnostic> diagnostics;           // every problem found, in file order
  bool ok() const { return definition != nullptr; }
};

// Parses and validates a workflow definition. Never throws.
LoadResult LoadDefinition(std::string_view yaml_text, std::string_view file_name,
                          const IncludeResolver& resolve = {}, const LoadLimits& limits = {});

}  // namespace claims::workflow
