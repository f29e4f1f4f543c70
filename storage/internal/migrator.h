#pragma once

#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "storage/internal/url.h"

namespace soci {
class session;
}

namespace claims::storage::internal {

// The highest migration version compiled in for `backend`.
int LatestVersion(Backend backend);

// Applies the pending compiled-in migrations for `backend` on `session`, holding the dialect's
// migration lock (MySQL: GET_LOCK on "claims_migrate:<database>", waiting up to 30 s; SQLite: an
// exclusive transaction) so concurrent starts apply each migration once. Returns the version
// reached, which is the stored version when the database is newer than this build.
// SOCI exceptions propagate; the caller maps them to a Status. UNAVAILABLE when the MySQL lock
// could not be taken in time.
// `up_to` stops at that version (tests build databases as older builds left them).
absl::StatusOr<int> Migrate(soci::session& session, Backend backend, std::string_view database,
                            int up_to = std::numeric_limits<int>::max());

// The version recorded in schema_version, 0 for an empty database.
int CurrentVersion(soci::session& session);

// `sql` split into statements: each ends with ';' at the end of a line; "--" comment lines
// are dropped.
std::vector<std::string> SplitStatements(std::string_view sql);

}  // namespace claims::storage::internal
