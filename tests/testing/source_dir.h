#pragma once

#include <cstdlib>
#include <string>

namespace claims::testing {

// The source tree, for the shipped config/ files: CLAIMS_SOURCE_DIR if set, else the tree the
// test was built from.
inline std::string SourceDir() {
  if (const char* dir = std::getenv("CLAIMS_SOURCE_DIR"); dir != nullptr && *dir != '\0') {
    return dir;
  }
#ifdef CLAIMS_SOURCE_DIR_DEFAULT
  return CLAIMS_SOURCE_DIR_DEFAULT;
#else
  return ".";
#endif
}

}  // namespace claims::testing
