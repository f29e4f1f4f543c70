#include "storage/internal/dialect.h"

#include "absl/strings/str_cat.h"
#include "storage/internal/strings.h"

namespace claims::storage::internal {
namespace {

constexpr std::string_view kTimerInsert =
    "INSERT INTO timers (claim_id, name, position, status, started_at, due_at, warn_at, warned, "
    "remaining_us, next_fire_at) VALUES (:claim_id, :name, :position, :status, :started_at, "
    ":due_at, :warn_at, :warned, :remaining_us, :next_fire_at)";
constexpr std::string_view kMySqlTimerUpsert =
    " ON DUPLICATE KEY UPDATE status = VALUES(status), started_at = VALUES(started_at), "
    "due_at = VALUES(due_at), warn_at = VALUES(warn_at), warned = VALUES(warned), "
    "remaining_us = VALUES(remaining_us), next_fire_at = VALUES(next_fire_at)";
constexpr std::string_view kSqliteTimerUpsert =
    " ON CONFLICT (claim_id, name) DO UPDATE SET status = excluded.status, "
    "started_at = excluded.started_at, due_at = excluded.due_at, warn_at = excluded.warn_at, "
    "warned = excluded.warned, remaining_us = excluded.remaining_us, "
    "next_fire_at = excluded.next_fire_at";
constexpr std::string_view kDueTimers =
    "SELECT claim_id, name FROM timers WHERE next_fire_at <= :now AND status = 'armed' "
    "ORDER BY next_fire_at LIMIT :limit";

Dialect MakeMySql() {
  Dialect d;
  d.backend = Backend::kMySql;
  d.name = "mysql";
  // READ COMMITTED: every read inside a write transaction sees what committed before it, which
  // is what the lock-then-read steps need (REPEATABLE READ would read an older snapshot of rows
  // locked later), and InnoDB releases locks on rows a filter rejects. Lost updates are
  // prevented by the version check, not by the isolation level.
  d.session_setup = {"SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
                     "SET SESSION innodb_lock_wait_timeout = 20"};
  d.begin_write = "START TRANSACTION";
  d.begin_read = {"SET TRANSACTION ISOLATION LEVEL REPEATABLE READ",
                  "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"};
  std::string select_claim =
      absl::StrCat("SELECT ", Av(kClaimColumns), " FROM claims WHERE id = :id");
  d.select_claim = select_claim;
  d.select_claim_for_update = absl::StrCat(select_claim, " FOR UPDATE");
  d.select_claim_for_sweep = absl::StrCat(select_claim, " FOR UPDATE SKIP LOCKED");
  d.select_due_timers = absl::StrCat(Av(kDueTimers), " FOR UPDATE SKIP LOCKED");
  d.upsert_timer = absl::StrCat(Av(kTimerInsert), Av(kMySqlTimerUpsert));
  d.select_claims_prefix = absl::StrCat("SELECT ", Av(kClaimColumns), " FROM claims");
  return d;
}

Dialect MakeSqlite() {
  Dialect d;
  d.backend = Backend::kSqlite;
  d.name = "sqlite";
  d.session_setup = {"PRAGMA foreign_keys = ON", "PRAGMA synchronous = NORMAL"};
  // IMMEDIATE takes the write lock up front (waiting up to the busy timeout): a deferred
  // transaction that reads first and then writes fails with SQLITE_BUSY without waiting when
  // another writer got in between. With one writer at a time, no row locks are needed.
  d.begin_write = "BEGIN IMMEDIATE";
  d.begin_read = {"BEGIN"};
  std::string select_claim =
      absl::StrCat("SELECT ", Av(kClaimColumns), " FROM claims WHERE id = :id");
  d.select_claim = select_claim;
  d.select_claim_for_update = select_claim;
  d.select_claim_for_sweep = select_claim;
  d.select_due_timers = std::string(kDueTimers);
  d.upsert_timer = absl::StrCat(Av(kTimerInsert), Av(kSqliteTimerUpsert));
  d.select_claims_prefix = absl::StrCat("SELECT ", Av(kClaimColumns), " FROM claims");
  return d;
}

}  // namespace

const Dialect& DialectFor(Backend backend) {
  static const Dialect* mysql = new Dialect(MakeMySql());
  static const Dialect* sqlite = new Dialect(MakeSqlite());
  return backend == Backend::kMySql ? *mysql : *sqlite;
}

}  // namespace claims::storage::internal
