#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "storage/repository.h"

namespace claims::storage {

inline constexpr int kMaxEventPartitions = 1024;

struct StorageOptions {
  // "sqlite:claims.db" (relative or absolute path; "sqlite::memory:" gives a private in-memory
  // database on one connection) or "mysql://user:password@host:port/database" (user and
  // password percent-decoded).
  std::string url;
  int pool_size = 8;
  int64_t max_evidence_bytes = 10 * 1024 * 1024;
  int max_retries = 5;  // deadlocks, lock-wait timeouts, lost connections
  absl::Duration busy_timeout = absl::Seconds(5);  // SQLite
  bool migrate = true;                             // run migrations on open
  // Outbox partitions new claims are spread over (a hash of the claim id), 1 to 1024. A claim
  // keeps the partition it was created in, so the count may change at any time.
  int event_partitions = 8;
  // How long outbox events are kept (PurgeOldEvents); zero keeps them forever.
  absl::Duration event_retention = absl::Hours(7 * 24);
  // SQLite files: how often a background thread on a connection of its own copies the
  // write-ahead log into the database (a PASSIVE checkpoint, which waits for no reader or
  // writer). With it, committing connections never checkpoint (wal_autocheckpoint = 0): SQLite's
  // automatic checkpoint runs inside the COMMIT that crosses 1000 pages and syncs the database
  // file there, a stall of tens to hundreds of milliseconds for the caller who happens to make
  // it. Zero leaves checkpoints to SQLite's automatic one.
  absl::Duration sqlite_checkpoint_interval = absl::Milliseconds(500);
  // SQLite files, with background checkpoints: the log's bound. A PASSIVE checkpoint never
  // empties the log while commits keep arriving, and only a writer that finds it empty starts
  // it over, so under steady writes it grew without end (750 MB in 10,000 calls). Past this
  // size the thread holds new write transactions off, waits for those in progress and copies
  // the few frames left, so the next writer starts the log over: writers wait for one short
  // checkpoint and its syncs.
  int64_t sqlite_wal_restart_bytes = int64_t{64} * 1024 * 1024;
};

// Opens the database (creating the SQLite file if needed), runs pending migrations under a lock
// when options.migrate, and returns a thread-safe repository backed by a pool of
// options.pool_size connections. INVALID_ARGUMENT for a bad URL or option, UNAVAILABLE when the
// server cannot be reached, FAILED_PRECONDITION when !options.migrate and the schema is older
// than this build needs.
//
// Transactions that fail with a deadlock, a lock-wait timeout or a lost connection are retried
// whole, up to options.max_retries times with jittered backoff; a lost connection is replaced by
// reconnecting the pooled session (MySQL's own auto-reconnect stays off). When the connection is
// lost during COMMIT, ApplyDecision and CreateClaim look up what they wrote (the idempotency
// record, or the claim's write token) before retrying, so an ambiguous commit is neither lost
// nor applied twice; if that cannot be settled they answer UNAVAILABLE.
//
// TimerFirer callbacks run inside a database transaction holding a pooled connection: they must
// not call back into the repository.
absl::StatusOr<std::unique_ptr<Repository>> OpenSociRepository(const StorageOptions& options);

// Runs pending migrations only (claimsd --migrate-only). Returns the schema version reached.
// Safe to run from several processes at once: MySQL takes GET_LOCK('claims_migrate:<db>'),
// SQLite migrates inside BEGIN EXCLUSIVE.
absl::StatusOr<int> MigrateDatabase(const StorageOptions& options);

// The schema version this build migrates to.
int LatestSchemaVersion();

// Creates the MySQL database named by options.url if it does not exist yet (provisioning and
// tests); for SQLite, does nothing, since opening creates the file. UNAVAILABLE when the server
// cannot be reached.
absl::Status CreateDatabaseIfMissing(const StorageOptions& options);

// How the database runs one of the repository's index-backed queries.
struct QueryPlan {
  std::string name;  // "list_by_partner", "list_by_partner_next_page", "list_by_state",
                     // "list_breached", "list_by_partner_state", "list_partner_breached",
                     // "list_deadline_before", "list_created_window", "list_all",
                     // "workflow_claims", "count_workflow_claims", "due_timers", "next_timer_due",
                     // "get_claim", "history_page", "events_after", "partition_events_after"
  std::string sql;
  // One line per table access: MySQL's EXPLAIN FORMAT=JSON reduced to table, access type, key,
  // row estimate and "index-only" when no row is read (plus "filesort" when the order is not
  // read from an index); SQLite's EXPLAIN QUERY PLAN detail lines ("COVERING INDEX" when no row
  // is read).
  std::vector<std::string> plan;
  std::vector<std::string> indexes;  // the indexes the plan reads
};

// The plans of the list and due-timer queries on the database at options.url, with the same
// SQL and the same kind of bound values the repository uses. For the README and for the test
// that each query is served by its index. Refreshes the table statistics of claims and timers
// first (ANALYZE), since plans follow them. Does not migrate.
absl::StatusOr<std::vector<QueryPlan>> ExplainQueries(const StorageOptions& options);

// Test hook for a repository from OpenSociRepository: inside every write transaction, `hook` is
// called with the step just done ("idempotency", "claim", "timers", "history", "comments",
// "evidence", "events") and a non-OK answer aborts the transaction with that status. Two more
// steps simulate a connection lost during COMMIT: a non-OK answer to "before_commit" rolls back
// and one to "after_commit" keeps the commit, and either way the repository then has to settle
// the ambiguous outcome. An empty function removes the hook.
void SetWriteHookForTest(Repository& repository,
                         std::function<absl::Status(std::string_view step)> hook);

// Test hooks for migrations: migrate only up to `version`, as an older build left the database,
// and run statements on it directly (to fill it as that build would have).
absl::StatusOr<int> MigrateDatabaseForTest(const StorageOptions& options, int version);
absl::Status ExecuteSqlForTest(const StorageOptions& options,
                               const std::vector<std::string>& statements);

}  // namespace claims::storage
