#pragma once

// Throwaway TLS certificates for a test (tests/testing/make_test_certs.sh lists them).

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "tests/testing/source_dir.h"
#include "tests/testing/test_databases.h"

namespace claims::testing {

// A new directory with the certificates in it.
inline absl::StatusOr<std::string> MakeTestCerts() {
  const std::string dir =
      (std::filesystem::temp_directory_path() / absl::StrCat("claims-test-certs-", RandomSuffix()))
          .string();
  const std::string command =
      absl::StrCat("'", SourceDir(), "/tests/testing/make_test_certs.sh' '", dir, "'");
  if (std::system(command.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("could not make test certificates: ", command));
  }
  return dir;
}

inline std::string ReadTestFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace claims::testing
