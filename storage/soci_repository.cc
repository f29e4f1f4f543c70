#include "storage/soci_repository.h"

#include <soci/soci.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "storage/internal/codec.h"
#include "storage/internal/dialect.h"
#include "storage/internal/failure.h"
#include "storage/internal/migrator.h"
#include "storage/internal/rows.h"
#include "storage/internal/session.h"
#include "storage/internal/soci_repository_impl.h"
#include "storage/internal/status_macros.h"
#include "storage/internal/strings.h"
#include "storage/internal/url.h"

namespace claims::storage {
namespace internal {
namespace {

constexpr absl::Duration kBackoffBase = absl::Milliseconds(25);
constexpr absl::Duration kBackoffCap = absl::Seconds(1);

}  // namespace

SociRepository::SociRepository(StorageOptions options, ConnectionTarget target, size_t pool_size)
    : options_(std::move(options)),
      target_(std::move(target)),
      dialect_(DialectFor(target_.backend)),
      pool_(pool_size),
      broken_(pool_size, 0) {}

SociRepository::~SociRepository() {
  {
    absl::MutexLock lock(&checkpoint_mu_);
    stop_checkpoints_ = true;
  }
  if (checkpointer_.joinable()) checkpointer_.join();
}

void SociRepository::Connect() {
  const bool background_checkpoints = target_.backend == Backend::kSqlite && !target_.in_memory &&
                                      options_.sqlite_checkpoint_interval > absl::ZeroDuration();
  for (size_t i = 0; i < broken_.size(); ++i) {
    OpenSession(pool_.at(i), target_, options_.busy_timeout);
    if (background_checkpoints) pool_.at(i) << "PRAGMA wal_autocheckpoint = 0";
  }
  if (background_checkpoints) {
    gate_writes_ = true;
    checkpointer_ = std::thread([this] { RunCheckpoints(); });
  }
}

void SociRepository::WriteGate::Enter() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](bool* closed) { return !*closed; }, &closed_));
  ++inside_;
}

void SociRepository::WriteGate::Leave() {
  absl::MutexLock lock(&mu_);
  --inside_;
}

void SociRepository::WriteGate::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
  mu_.Await(absl::Condition(
      +[](int* inside) { return *inside == 0; }, &inside_));
}

void SociRepository::WriteGate::Open() {
  absl::MutexLock lock(&mu_);
  closed_ = false;
}

namespace {
// A thread inside a write transaction never passes the gate again: the checkpointer, once it
// has closed the gate, waits for the first pass to end.
thread_local bool inside_write_gate = false;
}  // namespace

SociRepository::GatePass::GatePass(WriteGate* gate)
    : gate_(gate != nullptr && !inside_write_gate ? gate : nullptr) {
  if (gate_ == nullptr) return;
  gate_->Enter();
  inside_write_gate = true;
}

SociRepository::GatePass::~GatePass() {
  if (gate_ == nullptr) return;
  inside_write_gate = false;
  gate_->Leave();
}

void SociRepository::RunCheckpoints() {
  int64_t page_size = 4096;  // a log frame holds one page
  absl::MutexLock lock(&checkpoint_mu_);
  while (!checkpoint_mu_.AwaitWithTimeout(absl::Condition(&stop_checkpoints_),
                                          options_.sqlite_checkpoint_interval)) {
    checkpoint_mu_.Unlock();
    try {
      // Opened here, after the migrations that switch a new file to WAL: a connection
      // opened before that would find no log to checkpoint.
      if (checkpoint_session_ == nullptr) {
        auto session = std::make_unique<soci::session>();
        OpenSession(*session, target_, options_.busy_timeout);
        checkpoint_session_ = std::move(session);
        *checkpoint_session_ << "PRAGMA page_size", soci::into(page_size);
      }
      std::string journal_mode;
      *checkpoint_session_ << "PRAGMA journal_mode", soci::into(journal_mode);
      if (journal_mode == "wal") {
        // PASSIVE copies what no reader still needs and never waits; what is left goes next
        // time.
        int busy = 0, log_frames = 0, checkpointed = 0;
        *checkpoint_session_ << "PRAGMA wal_checkpoint(PASSIVE)", soci::into(busy),
            soci::into(log_frames), soci::into(checkpointed);
        if (busy == 0 && int64_t{log_frames} * page_size >= options_.sqlite_wal_restart_bytes) {
          // Commits keep arriving while PASSIVE copies, so under steady writes it never
          // leaves the log fully copied, and only a writer that begins on a fully copied log
          // starts it over: the log grew without end. Holding writers off for a second pass,
          // which copies just the frames committed during the first, lets the next writer
          // start it over. (RESTART polls for the write lock with the busy handler instead, and
          // took 200 ms under steady writes while the log kept growing.)
          write_gate_.Close();
          absl::Cleanup reopen = [this] { write_gate_.Open(); };
          *checkpoint_session_ << "PRAGMA wal_checkpoint(PASSIVE)", soci::into(busy),
              soci::into(log_frames), soci::into(checkpointed);
        }
      }
    } catch (...) {
      // The file busy with another process's checkpoint, or gone: the next tick tries again.
    }
    checkpoint_mu_.Lock();
  }
}

void SociRepository::SetWriteHook(WriteHook hook) {
  absl::MutexLock lock(&hook_mu_);
  hook_ = hook ? std::make_shared<const WriteHook>(std::move(hook)) : nullptr;
}

SociRepository::Lease::Lease(SociRepository& repo)
    : repo_(repo), pos_(repo.LeaseCounted()), conn_(repo.pool_.at(pos_), repo.statements_) {}

SociRepository::Lease::~Lease() {
  repo_.in_use_.fetch_sub(1, std::memory_order_relaxed);
  repo_.pool_.give_back(pos_);
}

Conn& SociRepository::Lease::Connected() {
  if (repo_.broken_[pos_] != 0) {
    soci::session& s = repo_.pool_.at(pos_);
    s.reconnect();
    repo_.SetUpSession(s);
    repo_.broken_[pos_] = 0;
  }
  return conn_;
}

void SociRepository::Lease::RollbackQuietly() {
  try {
    Exec(conn_, kRollback);
  } catch (...) {
    // A failed rollback means the connection is unusable; the server rolls back for us.
    MarkBroken();
  }
}

void SociRepository::SetUpSession(soci::session& s) {
  internal::SetUpReconnectedSession(s, target_, options_.busy_timeout);
}

size_t SociRepository::LeaseCounted() {
  const int before = in_use_.fetch_add(1, std::memory_order_relaxed);
  if (before < static_cast<int>(broken_.size())) return pool_.lease();
  const absl::Time start = absl::Now();
  const size_t pos = pool_.lease();
  waits_.fetch_add(1, std::memory_order_relaxed);
  wait_micros_.fetch_add(absl::ToInt64Microseconds(absl::Now() - start), std::memory_order_relaxed);
  return pos;
}

void SociRepository::CountRetry(Failure::Cause cause) {
  switch (cause) {
    case Failure::kDeadlock:
      retries_deadlock_.fetch_add(1, std::memory_order_relaxed);
      break;
    case Failure::kLockTimeout:
      retries_lock_timeout_.fetch_add(1, std::memory_order_relaxed);
      break;
    case Failure::kBusy:
      retries_busy_.fetch_add(1, std::memory_order_relaxed);
      break;
    case Failure::kConnectionLost:
    case Failure::kOther:
      retries_connection_lost_.fetch_add(1, std::memory_order_relaxed);
      break;
  }
}

std::shared_ptr<const WriteHook> SociRepository::Hook() {
  absl::MutexLock lock(&hook_mu_);
  return hook_;
}

void SociRepository::Backoff(int attempt) {
  absl::Duration ceiling = std::min(kBackoffCap, kBackoffBase * (1 << std::min(attempt, 10)));
  double fraction;
  {
    absl::MutexLock lock(&rng_mu_);
    fraction = absl::Uniform(rng_, 0.5, 1.0);
  }
  absl::SleepFor(ceiling * fraction);
}

absl::Status SociRepository::Transact(std::string_view op, TxMode mode, const TxBody& body,
                                      const CommitCheck* check) {
  absl::Status last_error;
  int attempts = 0;
  for (int attempt = 0; attempt <= options_.max_retries; ++attempt) {
    if (attempt > 0) Backoff(attempt);
    ++attempts;
    GatePass gate(mode == TxMode::kWrite && gate_writes_ ? &write_gate_ : nullptr);
    Lease lease(*this);
    bool commit_sent = false;
    Failure failure;
    bool failed = false;
    try {
      Conn& s = lease.Connected();
      if (mode == TxMode::kWrite) {
        Exec(s, dialect_.begin_write);
      } else if (mode == TxMode::kRead) {
        for (const std::string& sql : dialect_.begin_read) Exec(s, sql);
      }
      absl::Status status = body(s);
      if (!status.ok()) {
        if (mode != TxMode::kNone) lease.RollbackQuietly();
        return Prefixed(op, status);
      }
      if (mode == TxMode::kNone) return absl::OkStatus();
      std::shared_ptr<const WriteHook> hook = mode == TxMode::kWrite ? Hook() : nullptr;
      if (absl::Status h = hook ? (*hook)("before_commit") : absl::OkStatus(); !h.ok()) {
        lease.RollbackQuietly();
        commit_sent = true;
        failed = true;
        failure = {Failure::kConnection, absl::UnavailableError(h.message())};
      } else {
        commit_sent = true;
        Exec(s, kCommit);
        if (absl::Status h2 = hook ? (*hook)("after_commit") : absl::OkStatus(); !h2.ok()) {
          failed = true;
          failure = {Failure::kConnection, absl::UnavailableError(h2.message())};
        } else {
          return absl::OkStatus();
        }
      }
    } catch (...) {
      failed = true;
      failure = ClassifyCurrentException();
    }
    if (!failed) return absl::OkStatus();
    if (failure.kind == Failure::kConnection) {
      lease.MarkBroken();
    } else if (mode != TxMode::kNone && !commit_sent) {
      lease.RollbackQuietly();
    }
    if (failure.kind == Failure::kFinal) return Prefixed(op, failure.status);
    CountRetry(failure.cause);
    last_error = failure.status;
    if (commit_sent && failure.kind == Failure::kConnection && mode == TxMode::kWrite &&
        check != nullptr) {
      absl::StatusOr<CommitOutcome> outcome = SettleCommit(*check);
      if (!outcome.ok()) {
        return absl::UnavailableError(absl::StrCat(
            Av(op), ": connection lost during commit and the outcome could not be checked: ",
            outcome.status().message()));
      }
      if (*outcome == CommitOutcome::kCommitted) return absl::OkStatus();
      if (*outcome == CommitOutcome::kUnknown) {
        return absl::UnavailableError(absl::StrCat(
            Av(op), ": connection lost during commit; whether it took effect is unknown"));
      }
    }
  }
  return absl::Status(last_error.code(), absl::StrCat(Av(op), ": gave up after ", attempts,
                                                      " attempts: ", last_error.message()));
}

absl::Status SociRepository::Ping(absl::Duration timeout) {
  absl::MutexLock lock(&ping_mu_);
  try {
    if (ping_session_ == nullptr) {
      auto session = std::make_unique<soci::session>();
      OpenSession(*session, target_, timeout, timeout);
      ping_session_ = std::move(session);
    }
    int one = 0;
    *ping_session_ << "SELECT 1", soci::into(one);
    return absl::OkStatus();
  } catch (...) {
    // Whatever went wrong, the next ping starts from a new connection.
    ping_session_.reset();
    Failure failure = ClassifyCurrentException();
    return absl::UnavailableError(absl::StrCat("database ping: ", failure.status.message()));
  }
}

StorageStats SociRepository::Stats() const {
  StorageStats stats;
  stats.pool_size = static_cast<int>(broken_.size());
  stats.connections_in_use =
      std::clamp(in_use_.load(std::memory_order_relaxed), 0, stats.pool_size);
  stats.connection_waits = waits_.load(std::memory_order_relaxed);
  stats.connection_wait_time = absl::Microseconds(wait_micros_.load(std::memory_order_relaxed));
  stats.retries_deadlock = retries_deadlock_.load(std::memory_order_relaxed);
  stats.retries_lock_timeout = retries_lock_timeout_.load(std::memory_order_relaxed);
  stats.retries_busy = retries_busy_.load(std::memory_order_relaxed);
  stats.retries_connection_lost = retries_connection_lost_.load(std::memory_order_relaxed);
  stats.statements = statements_.load(std::memory_order_relaxed);
  return stats;
}

absl::StatusOr<CommitOutcome> SociRepository::SettleCommit(const CommitCheck& check) {
  absl::Status last_error;
  for (int attempt = 0; attempt <= options_.max_retries; ++attempt) {
    if (attempt > 0) Backoff(attempt);
    Lease lease(*this);
    try {
      return check(lease.Connected());
    } catch (...) {
      Failure failure = ClassifyCurrentException();
      if (failure.kind == Failure::kConnection) lease.MarkBroken();
      if (failure.kind == Failure::kFinal) return failure.status;
      last_error = failure.status;
    }
  }
  return last_error;
}

}  // namespace internal

namespace {

using internal::Av;
using internal::Backend;
using internal::ClassifyCurrentException;
using internal::ConnectionTarget;
using internal::Dialect;
using internal::EncodeTime;
using internal::Failure;
using internal::SociRepository;
using internal::Stmt;

absl::Status CheckOptions(const StorageOptions& options) {
  if (options.pool_size <= 0) return absl::InvalidArgumentError("pool_size must be positive");
  if (options.max_retries < 0) return absl::InvalidArgumentError("max_retries must be >= 0");
  if (options.max_evidence_bytes <= 0) {
    return absl::InvalidArgumentError("max_evidence_bytes must be positive");
  }
  if (options.busy_timeout < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("busy_timeout must not be negative");
  }
  if (options.event_partitions < 1 || options.event_partitions > kMaxEventPartitions) {
    return absl::InvalidArgumentError(
        absl::StrCat("event_partitions must be between 1 and ", kMaxEventPartitions));
  }
  if (options.sqlite_checkpoint_interval < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("sqlite_checkpoint_interval must not be negative");
  }
  if (options.sqlite_wal_restart_bytes <= 0) {
    return absl::InvalidArgumentError("sqlite_wal_restart_bytes must be positive");
  }
  if (options.event_retention < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("event_retention must not be negative");
  }
  return absl::OkStatus();
}

// Connection and migration failures at start-up: a lost or refused connection is UNAVAILABLE.
absl::Status OpenFailure(std::string_view what) {
  Failure failure = ClassifyCurrentException();
  absl::StatusCode code =
      failure.kind == Failure::kFinal ? failure.status.code() : absl::StatusCode::kUnavailable;
  return absl::Status(code, absl::StrCat(Av(what), ": ", failure.status.message()));
}

absl::StatusOr<std::unique_ptr<SociRepository>> OpenPool(const StorageOptions& options) {
  RETURN_IF_ERROR(CheckOptions(options));
  ASSIGN_OR_RETURN(ConnectionTarget target,
                   internal::ParseStorageUrl(options.url, /*require_database=*/true));
  // Every connection to ":memory:" is a database of its own.
  size_t pool_size = target.in_memory ? 1 : static_cast<size_t>(options.pool_size);
  auto repo = std::make_unique<SociRepository>(options, std::move(target), pool_size);
  try {
    repo->Connect();
  } catch (...) {
    return OpenFailure("opening the database");
  }
  return repo;
}

absl::StatusOr<int> MigrateOpen(SociRepository& repo, int up_to = std::numeric_limits<int>::max()) {
  try {
    return internal::Migrate(repo.FirstSessionForSetup(), repo.target().backend,
                             repo.target().database, up_to);
  } catch (...) {
    return OpenFailure("migrating the database");
  }
}

// MySQL's JSON plan reduced to one line per table access, and the indexes it reads.
void SummarizeMySqlPlan(const nlohmann::json& node, QueryPlan* out) {
  if (node.is_object()) {
    if (node.contains("table_name")) {
      std::string line = absl::StrCat("table=", node.value("table_name", ""),
                                      " access=", node.value("access_type", "?"));
      if (node.contains("key")) {
        std::string key = node.value("key", "");
        absl::StrAppend(&line, " key=", key);
        out->indexes.push_back(key);
      }
      if (node.contains("rows")) absl::StrAppend(&line, " rows=", node["rows"].dump());
      // Every column the statement needs is in the index: no row is read.
      if (node.value("using_index", false)) absl::StrAppend(&line, " index-only");
      out->plan.push_back(line);
    } else if (node.contains("message")) {
      out->plan.push_back(node.value("message", ""));
    }
    for (const auto& [k, v] : node.items()) {
      if (k == "filesort") out->plan.push_back("filesort");
      SummarizeMySqlPlan(v, out);
    }
  } else if (node.is_array()) {
    for (const nlohmann::json& v : node) SummarizeMySqlPlan(v, out);
  }
}

void SummarizeSqlitePlan(const std::string& detail, QueryPlan* out) {
  out->plan.push_back(detail);
  // A lookup on the declared primary key: an automatic index, or the key itself.
  if (detail.find("USING PRIMARY KEY") != std::string::npos ||
      detail.find("sqlite_autoindex_") != std::string::npos) {
    out->indexes.push_back("PRIMARY");
    return;
  }
  for (std::string_view marker : {"USING COVERING INDEX ", "USING INDEX "}) {
    size_t at = detail.find(marker);
    if (at == std::string::npos) continue;
    size_t begin = at + marker.size();
    size_t end = detail.find(' ', begin);
    out->indexes.push_back(detail.substr(begin, end == std::string::npos ? end : end - begin));
    break;
  }
}

}  // namespace

absl::StatusOr<std::vector<QueryPlan>> ExplainQueries(const StorageOptions& options) {
  StorageOptions one = options;
  one.pool_size = 1;
  ASSIGN_OR_RETURN(std::unique_ptr<SociRepository> repo, OpenPool(one));
  const Backend backend = repo->target().backend;
  const Dialect& dialect = internal::DialectFor(backend);

  // Typical bound values: the plan depends on the statement's shape, not on these.
  const std::string partner = "partner-1", state = "submitted",
                    key_id = "01J0000000000000000000000";
  const int64_t now = EncodeTime(absl::Now());
  const int limit = internal::kDefaultPageSize + 1, batch = 100, partition = 0;
  const int64_t after = 1000;
  const std::string workflow = "cpor-association";
  const int64_t workflow_version = 1;
  const std::vector<std::string> running = {"editing", "submitted", "in_review"};
  using Binder = std::function<void(Stmt&)>;
  struct Query {
    std::string name;
    std::string sql;
    Binder bind;
  };
  ClaimFilter by_partner;
  by_partner.partner_id = partner;
  ClaimFilter by_state;
  by_state.state = state;
  ClaimFilter breached;
  breached.sla_breached = true;
  ClaimFilter by_partner_state = by_partner;
  by_partner_state.state = state;
  ClaimFilter partner_breached = by_partner;
  partner_breached.sla_breached = true;
  ClaimFilter due_before;
  due_before.deadline_before = absl::FromUnixMicros(now);
  const int64_t day_before = now - int64_t{24} * 3600 * 1000 * 1000;
  ClaimFilter created_window;
  created_window.created_after = absl::FromUnixMicros(day_before);
  created_window.created_before = absl::FromUnixMicros(now);
  std::vector<Query> queries = {
      {"list_by_partner", internal::ListClaimsSql(dialect, by_partner, false),
       [&](Stmt& st) { st.Use(partner).Use(limit); }},
      {"list_by_partner_next_page", internal::ListClaimsSql(dialect, by_partner, true),
       [&](Stmt& st) { st.Use(partner).Use(now).Use(now).Use(key_id).Use(limit); }},
      {"list_by_state", internal::ListClaimsSql(dialect, by_state, false),
       [&](Stmt& st) { st.Use(state).Use(limit); }},
      {"list_breached", internal::ListClaimsSql(dialect, breached, false),
       [&](Stmt& st) { st.Use(limit); }},
      {"list_by_partner_state", internal::ListClaimsSql(dialect, by_partner_state, false),
       [&](Stmt& st) { st.Use(partner).Use(state).Use(limit); }},
      {"list_partner_breached", internal::ListClaimsSql(dialect, partner_breached, false),
       [&](Stmt& st) { st.Use(partner).Use(limit); }},
      {"list_deadline_before", internal::ListClaimsSql(dialect, due_before, false),
       [&](Stmt& st) { st.Use(now).Use(limit); }},
      {"list_created_window", internal::ListClaimsSql(dialect, created_window, false),
       [&](Stmt& st) { st.Use(day_before).Use(now).Use(limit); }},
      {"list_all", internal::ListClaimsSql(dialect, ClaimFilter(), false),
       [&](Stmt& st) { st.Use(limit); }},
      {"workflow_claims", internal::ListClaimsOfWorkflowSql(dialect, running.size()),
       [&](Stmt& st) {
         st.Use(workflow).Use(workflow_version).Use(key_id);
         for (const std::string& r : running) st.Use(r);
         st.Use(limit);
       }},
      {"count_workflow_claims", internal::CountClaimsOfWorkflowSql(dialect, running.size()),
       [&](Stmt& st) {
         st.Use(workflow).Use(workflow_version);
         for (const std::string& r : running) st.Use(r);
       }},
      {"due_timers", dialect.select_due_timers, [&](Stmt& st) { st.Use(now).Use(batch); }},
      {"next_timer_due", std::string(internal::kSelectNextTimerDue), [](Stmt&) {}},
      {"get_claim", dialect.select_claim, [&](Stmt& st) { st.Use(key_id); }},
      {"history_page", std::string(internal::kSelectHistoryRange),
       [&](Stmt& st) { st.Use(key_id).Use(after).Use(limit); }},
      {"events_after", internal::SelectEventsSql(dialect, false),
       [&](Stmt& st) { st.Use(after).Use(batch); }},
      {"partition_events_after", internal::SelectEventsSql(dialect, true),
       [&](Stmt& st) { st.Use(partition).Use(after).Use(batch); }},
  };

  std::vector<QueryPlan> plans;
  try {
    std::atomic<int64_t> statements{0};
    internal::Conn s(repo->FirstSessionForSetup(), statements);
    // Plans follow the statistics, which InnoDB refreshes in the background some time after a
    // bulk of changes; fresh ones show the plan a settled table gets.
    internal::Exec(s, backend == Backend::kMySql ? "ANALYZE TABLE claims, timers, history, events"
                                                 : "ANALYZE");
    for (const Query& q : queries) {
      QueryPlan plan;
      plan.name = q.name;
      plan.sql = q.sql;
      if (backend == Backend::kMySql) {
        std::string json;
        Stmt st(s);
        st.Into(json);
        q.bind(st);
        st.Run(absl::StrCat("EXPLAIN FORMAT=JSON ", q.sql));
        nlohmann::json parsed = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
        if (parsed.is_discarded()) return absl::InternalError("EXPLAIN did not return JSON");
        SummarizeMySqlPlan(parsed, &plan);
      } else {
        int id = 0, parent = 0, unused = 0;
        std::string detail;
        Stmt st(s);
        st.Into(id).Into(parent).Into(unused).Into(detail);
        q.bind(st);
        for (bool more = st.Run(absl::StrCat("EXPLAIN QUERY PLAN ", q.sql)); more;
             more = st.Fetch()) {
          SummarizeSqlitePlan(detail, &plan);
        }
      }
      plans.push_back(std::move(plan));
    }
  } catch (...) {
    return OpenFailure("explaining the queries");
  }
  return plans;
}

absl::StatusOr<std::unique_ptr<Repository>> OpenSociRepository(const StorageOptions& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<SociRepository> repo, OpenPool(options));
  const Backend backend = repo->target().backend;
  int version = 0;
  if (options.migrate) {
    ASSIGN_OR_RETURN(version, MigrateOpen(*repo));
  } else {
    try {
      version = internal::CurrentVersion(repo->FirstSessionForSetup());
    } catch (...) {
      return OpenFailure("reading the schema version");
    }
  }
  if (version < internal::LatestVersion(backend)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the database schema is at version ", version, " but this build needs version ",
        internal::LatestVersion(backend), "; run the migrations (claimsd --migrate-only)"));
  }
  return std::unique_ptr<Repository>(std::move(repo));
}

absl::StatusOr<int> MigrateDatabase(const StorageOptions& options) {
  StorageOptions one = options;
  one.pool_size = 1;
  ASSIGN_OR_RETURN(std::unique_ptr<SociRepository> repo, OpenPool(one));
  return MigrateOpen(*repo);
}

int LatestSchemaVersion() { return internal::LatestVersion(Backend::kMySql); }

absl::Status CreateDatabaseIfMissing(const StorageOptions& options) {
  ASSIGN_OR_RETURN(ConnectionTarget target,
                   internal::ParseStorageUrl(options.url, /*require_database=*/true));
  if (target.backend != Backend::kMySql) return absl::OkStatus();
  ConnectionTarget server = target;
  server.soci_connect_string = target.server_connect_string;
  try {
    soci::session s;
    internal::OpenSession(s, server, options.busy_timeout);
    // The name was checked to hold only letters, digits and '_', so quoting it is enough.
    s << absl::StrCat("CREATE DATABASE IF NOT EXISTS `", target.database,
                      "` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin");
  } catch (...) {
    return OpenFailure("creating the database");
  }
  return absl::OkStatus();
}

void SetWriteHookForTest(Repository& repository,
                         std::function<absl::Status(std::string_view step)> hook) {
  auto* repo = dynamic_cast<SociRepository*>(&repository);
  // Only repositories from OpenSociRepository have the hook; anything else is a test bug.
  if (repo == nullptr) std::abort();
  repo->SetWriteHook(std::move(hook));
}

absl::StatusOr<int> MigrateDatabaseForTest(const StorageOptions& options, int version) {
  StorageOptions one = options;
  one.pool_size = 1;
  ASSIGN_OR_RETURN(std::unique_ptr<SociRepository> repo, OpenPool(one));
  return MigrateOpen(*repo, version);
}

absl::Status ExecuteSqlForTest(const StorageOptions& options,
                               const std::vector<std::string>& statements) {
  StorageOptions one = options;
  one.pool_size = 1;
  ASSIGN_OR_RETURN(std::unique_ptr<SociRepository> repo, OpenPool(one));
  try {
    for (const std::string& sql : statements) repo->FirstSessionForSetup() << sql;
  } catch (...) {
    return OpenFailure("running test SQL");
  }
  return absl::OkStatus();
}

}  // namespace claims::storage
