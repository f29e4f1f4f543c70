#pragma once

#include <string_view>
#include <vector>

namespace claims::storage::internal {

// One storage/migrations/<dialect>/NNNN_name.sql file, compiled in.
struct EmbeddedMigration {
  std::string_view dialect;  // "mysql" or "sqlite"
  int version;
  std::string_view name;
  std::string_view sql;  // statements separated by ';' at the end of a line
};

// Every migration of every dialect, by dialect then version. Defined in a file CMake generates.
const std::vector<EmbeddedMigration>& EmbeddedMigrations();

}  // namespace claims::storage::internal
