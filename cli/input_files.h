#pragma once

#include <optional>
#include <string>

#include "workflow/loader.h"

namespace claims::cli {

// The text of a workflow or simulation script, read within the loader's size limit (the size
// is checked before reading, so a huge file costs no memory); on failure, prints
// "FILE: why" to stderr and returns nullopt.
std::optional<std::string> ReadInputFile(const std::string& path);

// Resolves a workflow's includes as editors do, relative to the including `file`, each read
// within the same limit. The loader reports an include it did not get, at its position; why a
// file that exists was refused (too large, not a regular file) goes to stderr.
workflow::IncludeResolver IncludesRelativeTo(const std::string& file);

}  // namespace claims::cli
