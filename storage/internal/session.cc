#include "storage/internal/session.h"

#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include "absl/strings/str_cat.h"
#include "storage/internal/dialect.h"

namespace claims::storage::internal {

void OpenSession(soci::session& session, const ConnectionTarget& target,
                 absl::Duration busy_timeout) {
  if (target.backend == Backend::kMySql) {
    session.open(*soci::factory_mysql(), target.soci_connect_string);
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
