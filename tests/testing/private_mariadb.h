#pragma once

// A MariaDB server of one test's own (tests/testing/mariadb.sh), for tests that stop, resume or
// restart it: doing that to the shared one would drop the connections of every other test
// ctest runs in parallel.

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "tests/testing/test_databases.h"

namespace claims::testing {

class PrivateMariaDb {
 public:
  // `name` keeps the data directories of different tests of one process apart.
  explicit PrivateMariaDb(const std::string& name = "server")
      : dir_((std::filesystem::temp_directory_path() /
              absl::StrCat("claims-private-mariadb-", ::getpid(), "-", name))
                 .string()) {}
  ~PrivateMariaDb() {
    Run("stop");
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  PrivateMariaDb(const PrivateMariaDb&) = delete;
  PrivateMariaDb& operator=(const PrivateMariaDb&) = delete;

  bool Start() { return Run("start"); }
  // Started offering TLS with this certificate and key (PEM files), checking client
  // certificates against `client_ca_file` if one is given.
  bool StartWithTls(const std::string& cert_file, const std::string& key_file,
                    const std::string& client_ca_file = "") {
    return Run("start",
               absl::StrCat("CLAIMS_MARIADB_TLS_CERT='", cert_file, "' CLAIMS_MARIADB_TLS_KEY='",
                            key_file, "' CLAIMS_MARIADB_TLS_CA='", client_ca_file, "' "));
  }
  bool Stop() { return Run("stop"); }
  // After Stop: the same port and data again.
  bool Resume() { return Run("resume"); }
  // Same port, same data, every open connection dropped.
  bool Restart() { return Run("restart"); }
  // "mysql://claims:claims@127.0.0.1:PORT/" + `database`.
  absl::StatusOr<std::string> Url(const std::string& database) const {
    std::ifstream in(dir_ + "/url");
    std::string url;
    if (!std::getline(in, url)) return absl::NotFoundError("no url file in " + dir_);
    return url + database;
  }
  const std::string& dir() const { return dir_; }

 private:
  bool Run(const char* command, const std::string& environment = "") const {
    const std::string line = absl::StrCat(environment, "'", TestMariaDbScript(), "' ", command,
                                          " '", dir_, "' >/dev/null");
    return std::system(line.c_str()) == 0;
  }
  std::string dir_;
};

}  // namespace claims::testing
