#include "storage/internal/session.h"

#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <algorithm>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "storage/internal/dialect.h"

namespace claims::storage::internal {

void OpenSession(soci::session& session, const ConnectionTarget& target,
                 absl::Duration busy_timeout, absl::Duration io_timeout) {
  if (target.backend == Backend::kMySql) {
    const int64_t io_seconds = std::max<int64_t>(1, absl::ToInt64Seconds(io_timeout));
    const int64_t connect_seconds = std::min<int64_t>(5, io_seconds);
    session.open(*soci::factory_mysql(),
                 absl::StrCat(target.soci_connect_string, " connect_timeout=", connect_seconds,
                              " read_timeout=", io_seconds, " write_timeout=", io_seconds));
  } else {
    session.open(*soci::factory_sqlite3(), target.soci_connect_string);
  }
  SetUpSession(session, target.backend, busy_timeout);
}

void SetUpSession(soci::session& session, Backend backend, absl::Duration busy_timeout) {
  // The busy timeout first: the other pragmas may already have to wait for a writer.
  if (backend == Backend::kSqlite) {
    session << absl::StrCat("PRAGMA busy_timeout = ", absl::ToInt64Milliseconds(busy_timeout));
  }
  for (const std::string& sql : DialectFor(backend).session_setup) session << sql;
}

}  // namespace claims::storage::internal
