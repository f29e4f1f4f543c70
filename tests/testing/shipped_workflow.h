#pragma once

// The shipped workflow files, read as claimsd's registry reads them: the file from its
// directory, and the calendars it includes from beside it.

#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include "tests/testing/source_dir.h"
#include "workflow/loader.h"

namespace claims::testing {

inline std::optional<std::string> ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline std::string ShippedWorkflowsDir() { return SourceDir() + "/config/workflows"; }

// Loads `file` from `directory`; an unreadable file is a diagnostic like any other problem.
inline workflow::LoadResult LoadWorkflowFile(const std::string& directory = ShippedWorkflowsDir(),
                                             const std::string& file = "cpor-association.yaml") {
  const std::optional<std::string> text = ReadTextFile(directory + "/" + file);
  if (!text.has_value()) {
    workflow::LoadResult unreadable;
    unreadable.diagnostics.push_back(
        {file, 0, 0, "cannot read " + directory + "/" + file + " (set CLAIMS_SOURCE_DIR)"});
    return unreadable;
  }
  return workflow::LoadDefinition(*text, file, [&directory](std::string_view include) {
    return ReadTextFile(directory + "/" + std::string(include));
  });
}

}  // namespace claims::testing
