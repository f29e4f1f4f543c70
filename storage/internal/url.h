#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace claims::storage::internal {

enum class Backend { kMySql, kSqlite };

// Where a storage URL points, as SOCI needs it.
struct ConnectionTarget {
  Backend backend = Backend::kSqlite;
  std::string soci_connect_string;  // "db=..." or "host=... port=... dbname=... user=..."
  std::string database;             // MySQL database name, or the SQLite path
  bool in_memory = false;           // sqlite::memory:, one connection only
};

// Parses "sqlite:PATH", "sqlite::memory:" or "mysql://user:password@host[:port]/database".
// User and password are percent-decoded. `require_database` = false lets a MySQL URL name no
// database (for server-level statements such as CREATE DATABASE). INVALID_ARGUMENT on anything
// else, with a message that does not echo the password.
absl::StatusOr<ConnectionTarget> ParseStorageUrl(std::string_view url, bool require_database);

// Percent-decodes `in`; INVALID_ARGUMENT on a truncated or non-hex escape.
absl::StatusOr<std::string> PercentDecode(std::string_view in);

}  // namespace claims::storage::internal
