#pragma once

// Fresh databases for tests: a new SQLite file, or a new database on the throwaway MariaDB that
// ctest's `mariadb` fixture starts (tests/testing/mariadb.sh). Each call gives a database no
// other test process touches, since ctest runs test cases as parallel processes.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "storage/soci_repository.h"
#include "tests/testing/source_dir.h"

namespace claims::testing {

inline std::string RandomSuffix() {
  static absl::BitGen* gen = new absl::BitGen();
  static absl::Mutex mu;
  absl::MutexLock lock(&mu);
  return absl::StrFormat("%016x", absl::Uniform<uint64_t>(*gen));
}

// "sqlite:/tmp/.../claims_test_<random>.db": a file that does not exist yet.
inline std::string FreshSqliteUrl() {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / absl::StrCat("claims_test_", RandomSuffix(), ".db");
  return absl::StrCat("sqlite:", path.string());
}

// The file behind a "sqlite:PATH" URL such as FreshSqliteUrl()'s; empty for any other URL.
inline std::string SqliteFileOf(std::string_view url) {
  constexpr std::string_view kPrefix = "sqlite:";
  if (url.substr(0, kPrefix.size()) != kPrefix) return "";
  return std::string(url.substr(kPrefix.size()));
}

// Deletes the file behind a FreshSqliteUrl() and its WAL companions.
inline void RemoveSqliteDatabase(std::string_view url) {
  const std::string path = SqliteFileOf(url);
  if (path.empty()) return;
  std::error_code ignored;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::filesystem::remove(path + suffix, ignored);
  }
}

// The server URL of the test MariaDB ("mysql://claims:claims@127.0.0.1:PORT/"), read from the
// file named by CLAIMS_TEST_MYSQL_URL_FILE. FAILED_PRECONDITION, saying what to do, when the
// variable or the file is missing.
inline absl::StatusOr<std::string> TestMariaDbServerUrl() {
  const char* file = std::getenv("CLAIMS_TEST_MYSQL_URL_FILE");
  if (file == nullptr || *file == '\0') {
    return absl::FailedPreconditionError(
        "CLAIMS_TEST_MYSQL_URL_FILE is not set: run the MariaDB tests through ctest, whose "
        "`mariadb` fixture starts the server (tests/testing/mariadb.sh start DIR writes DIR/url)");
  }
  std::ifstream in(file);
  std::string url;
  if (!in || !std::getline(in, url)) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read the MariaDB URL from ", file,
                     ": the test server is not running (tests/testing/mariadb.sh start DIR)"));
  }
  url = std::string(absl::StripAsciiWhitespace(url));
  if (url.empty() || url.back() != '/') {
    return absl::FailedPreconditionError(absl::StrCat("unexpected MariaDB URL in ", file));
  }
  return url;
}

// The control script of test MariaDB servers (tests/testing/mariadb.sh), for tests that start
// a server of their own: CLAIMS_TEST_MARIADB_SCRIPT, else the one in the source tree (not
// __FILE__, which a compiler cache may have made relative to the build directory).
inline std::string TestMariaDbScript() {
  if (const char* script = std::getenv("CLAIMS_TEST_MARIADB_SCRIPT");
      script != nullptr && *script != '\0') {
    return script;
  }
  return SourceDir() + "/tests/testing/mariadb.sh";
}

// Creates claims_test_<random> on the test MariaDB and returns its mysql:// URL. The error says
// why when the server is not configured or not reachable.
inline absl::StatusOr<std::string> FreshMariaDbUrl() {
  absl::StatusOr<std::string> server = TestMariaDbServerUrl();
  if (!server.ok()) return server.status();
  std::string url = absl::StrCat(*server, "claims_test_", RandomSuffix());
  storage::StorageOptions options;
  options.url = url;
  if (absl::Status created = storage::CreateDatabaseIfMissing(options); !created.ok()) {
    return absl::Status(created.code(), absl::StrCat("test MariaDB at ", *server,
                                                     " is not reachable: ", created.message()));
  }
  return url;
}

}  // namespace claims::testing
