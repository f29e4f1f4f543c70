#include "storage/internal/migrator.h"

#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "storage/internal/codec.h"
#include "storage/internal/dialect.h"
#include "storage/internal/migrations.h"
#include "storage/internal/strings.h"

namespace claims::storage::internal {
namespace {

constexpr std::string_view kCreateSchemaVersion =
    "CREATE TABLE IF NOT EXISTS schema_version (version INT NOT NULL PRIMARY KEY, "
    "name VARCHAR(191) NOT NULL, applied_at BIGINT NOT NULL)";
constexpr std::string_view kSelectSchemaVersion =
    "SELECT COALESCE(MAX(version), 0) FROM schema_version";
constexpr std::string_view kInsertSchemaVersion =
    "INSERT INTO schema_version (version, name, applied_at) VALUES (:version, :name, :applied_at)";
constexpr std::string_view kCountSchemaVersionTable =
    "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() "
    "AND table_name = 'schema_version'";
constexpr std::string_view kCountSchemaVersionTableSqlite =
    "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'";
constexpr std::string_view kGetLock = "SELECT COALESCE(GET_LOCK(:name, 30), 0)";
constexpr std::string_view kReleaseLock = "SELECT COALESCE(RELEASE_LOCK(:name), 0)";
constexpr std::string_view kWalMode = "PRAGMA journal_mode = WAL";
constexpr std::string_view kBeginExclusive = "BEGIN EXCLUSIVE";

// MariaDB and MySQL cap user-level lock names at 64 characters.
constexpr size_t kMaxLockName = 64;

// MySQL has no IF NOT EXISTS for columns and indexes (MariaDB has), and commits each DDL
// statement by itself: a migration cut short leaves some of its ALTERs done. One of them run
// again fails with one of these, which means it was applied; each ALTER is atomic, so "done"
// is all of it. Only MySQL's errors: SQLite migrates in one transaction and never reruns.
constexpr unsigned kMySqlDuplicateColumn = 1060;
constexpr unsigned kMySqlDuplicateKeyName = 1061;
constexpr unsigned kMySqlMultiplePrimaryKey = 1068;
constexpr unsigned kMySqlCantDropFieldOrKey = 1091;

void RunMigrationStatement(soci::session& session, Backend backend, const std::string& sql) {
  if (backend != Backend::kMySql) {
    session << sql;
    return;
  }
  try {
    session << sql;
  } catch (const soci::mysql_soci_error& e) {
    switch (e.err_num_) {
      case kMySqlDuplicateColumn:
      case kMySqlDuplicateKeyName:
      case kMySqlMultiplePrimaryKey:
      case kMySqlCantDropFieldOrKey:
        return;
      default:
        throw;
    }
  }
}

std::vector<const EmbeddedMigration*> MigrationsFor(Backend backend) {
  std::string_view dialect = DialectFor(backend).name;
  std::vector<const EmbeddedMigration*> out;
  for (const EmbeddedMigration& m : EmbeddedMigrations()) {
    if (m.dialect == dialect) out.push_back(&m);
  }
  return out;
}

int ApplyPending(soci::session& session, Backend backend, int up_to) {
  session << kCreateSchemaVersion;
  int current = 0;
  session << kSelectSchemaVersion, soci::into(current);
  for (const EmbeddedMigration* m : MigrationsFor(backend)) {
    if (m->version <= current || m->version > up_to) continue;
    for (const std::string& statement : SplitStatements(m->sql)) {
      RunMigrationStatement(session, backend, statement);
    }
    int version = m->version;
    std::string name(m->name);
    int64_t now = EncodeTime(absl::Now());
    session << kInsertSchemaVersion, soci::use(version), soci::use(name), soci::use(now);
    current = m->version;
  }
  return current;
}

}  // namespace

std::vector<std::string> SplitStatements(std::string_view sql) {
  std::vector<std::string> out;
  std::string current;
  for (absl::string_view line : absl::StrSplit(Av(sql), '\n')) {
    absl::string_view trimmed = absl::StripAsciiWhitespace(line);
    if (trimmed.empty() || absl::StartsWith(trimmed, "--")) continue;
    absl::StrAppend(&current, current.empty() ? "" : "\n", line);
    if (absl::EndsWith(trimmed, ";")) {
      current.erase(current.find_last_of(';'));
      out.push_back(std::move(current));
      current.clear();
    }
  }
  if (!absl::StripAsciiWhitespace(current).empty()) out.push_back(std::move(current));
  return out;
}

int LatestVersion(Backend backend) {
  int latest = 0;
  for (const EmbeddedMigration* m : MigrationsFor(backend)) latest = std::max(latest, m->version);
  return latest;
}

int CurrentVersion(soci::session& session) {
  int tables = 0;
  bool mysql = session.get_backend_name() == "mysql";
  session << (mysql ? kCountSchemaVersionTable : kCountSchemaVersionTableSqlite),
      soci::into(tables);
  if (tables == 0) return 0;
  int current = 0;
  session << kSelectSchemaVersion, soci::into(current);
  return current;
}

absl::StatusOr<int> Migrate(soci::session& session, Backend backend, std::string_view database,
                            int up_to) {
  if (backend == Backend::kSqlite) {
    // WAL lets readers run beside the single writer; the mode is stored in the file. It cannot
    // change inside a transaction, and an in-memory database answers "memory".
    std::string mode;
    session << kWalMode, soci::into(mode);
    session << kBeginExclusive;
    try {
      int reached = ApplyPending(session, backend, up_to);
      session << kCommit;
      return reached;
    } catch (...) {
      try {
        session << kRollback;
      } catch (...) {
        // The original failure is the one worth reporting.
      }
      throw;
    }
  }

  // MySQL commits each DDL statement by itself, so the migration cannot be one transaction: a
  // named lock keeps concurrent starts apart, and the statements are idempotent so a migration
  // cut short is completed by the next run.
  std::string lock_name = absl::StrCat("claims_migrate:", Av(database)).substr(0, kMaxLockName);
  int locked = 0;
  session << kGetLock, soci::use(lock_name), soci::into(locked);
  if (locked != 1) {
    return absl::UnavailableError(
        absl::StrCat("migration lock ", lock_name, " not acquired within 30s"));
  }
  try {
    int reached = ApplyPending(session, backend, up_to);
    int released = 0;
    session << kReleaseLock, soci::use(lock_name), soci::into(released);
    return reached;
  } catch (...) {
    try {
      int released = 0;
      session << kReleaseLock, soci::use(lock_name), soci::into(released);
    } catch (...) {
      // The lock dies with the connection anyway.
    }
    throw;
  }
}

}  // namespace claims::storage::internal
