#include "storage/internal/dialect.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "storage/internal/strings.h"

namespace claims::storage::internal {
namespace {

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
  d.select_claim_for_sweep = absl::StrCat(select_claim, " FOR UPDATE SKIP LOCKED");
  d.select_due_timers = absl::StrCat(Av(kDueTimers), " FOR UPDATE SKIP LOCKED");
  d.upsert_timer_suffix = std::string(kMySqlTimerUpsert);
  d.update_claim = absl::StrCat(Av(kUpdateClaimPrefix),
                                "history_count = LAST_INSERT_ID(history_count + :history_added)",
                                Av(kUpdateClaimWhere));
  d.history_row_after_update =
      "(:claim_id, LAST_INSERT_ID() - :back, :kind, :name, :actor_id, :perspective, :time, "
      ":details)";
  d.event_row =
      "(NULL, (SELECT partition_id FROM claims WHERE id = :owner), :type, :claim_id, "
      ":partner_id, :time, :attributes)";
  d.lock_purged_through = "SELECT purged_through FROM event_counter WHERE id = 1 FOR UPDATE";
  // In index order, by the index that has them in that order: a bounded range delete.
  d.purge_idempotency_batch =
      "DELETE FROM idempotency WHERE expire_time <= :now ORDER BY expire_time LIMIT :limit";
  d.select_claims_prefix = absl::StrCat("SELECT ", Av(kClaimColumns), " FROM claims");
  d.index_hint_prefix = " FORCE INDEX (";
  d.index_hint_suffix = ")";
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
  d.select_claim_for_sweep = select_claim;
  d.select_due_timers = std::string(kDueTimers);
  d.upsert_timer_suffix = std::string(kSqliteTimerUpsert);
  d.update_claim =
      absl::StrCat(Av(kUpdateClaimPrefix), "history_count = history_count + :history_added",
                   Av(kUpdateClaimWhere), " RETURNING history_count");
  d.update_claim_returns_history_count = true;
  d.history_row_after_update = std::string(kHistoryRow);
  d.sequences_at_write = true;
  d.event_row =
      "(:sequence, (SELECT partition_id FROM claims WHERE id = :owner), :type, :claim_id, "
      ":partner_id, :time, :attributes)";
  d.lock_purged_through = "SELECT purged_through FROM event_counter WHERE id = 1";
  // SQLite has DELETE ... LIMIT only when built with it; a rowid subquery bounds it alike.
  d.purge_idempotency_batch =
      "DELETE FROM idempotency WHERE rowid IN (SELECT rowid FROM idempotency "
      "WHERE expire_time <= :now ORDER BY expire_time LIMIT :limit)";
  d.select_claims_prefix = absl::StrCat("SELECT ", Av(kClaimColumns), " FROM claims");
  d.index_hint_prefix = " INDEXED BY ";
  d.index_hint_suffix = "";
  return d;
}

}  // namespace

std::string RowsSql(std::string_view prefix, std::string_view row, size_t rows,
                    std::string_view suffix) {
  std::string sql(prefix);
  for (size_t i = 0; i < rows; ++i) {
    if (i > 0) sql += ", ";
    for (size_t at = 0; at < row.size(); ++at) {
      sql += row[at];
      if (row[at] != ':') continue;
      size_t end = at + 1;
      while (end < row.size() &&
             (absl::ascii_isalnum(static_cast<unsigned char>(row[end])) || row[end] == '_')) {
        ++end;
      }
      absl::StrAppend(&sql, Av(row.substr(at + 1, end - at - 1)), "_", i);
      at = end - 1;
    }
  }
  sql += suffix;
  return sql;
}

const Dialect& DialectFor(Backend backend) {
  static const Dialect* mysql = new Dialect(MakeMySql());
  static const Dialect* sqlite = new Dialect(MakeSqlite());
  return backend == Backend::kMySql ? *mysql : *sqlite;
}

}  // namespace claims::storage::internal
