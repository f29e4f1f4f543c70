#include "storage/soci_repository.h"

#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "storage/ids.h"
#include "storage/internal/codec.h"
#include "storage/internal/dialect.h"
#include "storage/internal/migrator.h"
#include "storage/internal/session.h"
#include "storage/internal/status_macros.h"
#include "storage/internal/strings.h"
#include "storage/internal/url.h"

namespace claims::storage {
namespace {

using internal::Av;
using internal::Backend;
using internal::ConnectionTarget;
using internal::DecodeTime;
using internal::Dialect;
using internal::EncodeTime;
using workflow::Claim;
using workflow::Decision;

// MySQL client and server error numbers that decide what a failure means.
constexpr unsigned kMySqlDuplicateKey = 1062;
constexpr unsigned kMySqlDuplicateKeyName = 1586;
constexpr unsigned kMySqlDeadlock = 1213;
constexpr unsigned kMySqlLockWaitTimeout = 1205;
constexpr unsigned kMySqlServerShutdown = 1053;
constexpr unsigned kMySqlConnectionKilled = 1927;
constexpr unsigned kMySqlClientInteractionTimeout = 4031;
constexpr unsigned kMySqlCantConnectSocket = 2002;
constexpr unsigned kMySqlCantConnect = 2003;
constexpr unsigned kMySqlServerGone = 2006;
constexpr unsigned kMySqlServerLost = 2013;
constexpr unsigned kMySqlServerLostExtended = 2055;
// SQLite primary result codes (extended codes carry them in the low byte).
constexpr int kSqliteBusy = 5;
constexpr int kSqliteLocked = 6;
constexpr int kSqliteConstraint = 19;

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 1000;
constexpr absl::Duration kBackoffBase = absl::Milliseconds(25);
constexpr absl::Duration kBackoffCap = absl::Seconds(1);

// ---------------------------------------------------------------------------------------------
// Failures

// What a caught exception means for the transaction that raised it.
struct Failure {
  enum Kind {
    kRetry,       // deadlock, lock-wait timeout, busy database: run the transaction again
    kConnection,  // the connection is gone: reconnect, then run it again
    kFinal,       // answer with `status`
  };
  Kind kind = kFinal;
  absl::Status status;
  // Why a retried transaction is retried, for StorageStats.
  enum Cause { kDeadlock, kLockTimeout, kBusy, kConnectionLost, kOther };
  Cause cause = kOther;
};

Failure ClassifyCurrentException() {
  try {
    throw;
  } catch (const soci::mysql_soci_error& e) {
    switch (e.err_num_) {
      case kMySqlDeadlock:
        return {Failure::kRetry, absl::AbortedError(e.what()), Failure::kDeadlock};
      case kMySqlLockWaitTimeout:
        return {Failure::kRetry, absl::AbortedError(e.what()), Failure::kLockTimeout};
      case kMySqlServerShutdown:
      case kMySqlConnectionKilled:
      case kMySqlClientInteractionTimeout:
      case kMySqlCantConnectSocket:
      case kMySqlCantConnect:
      case kMySqlServerGone:
      case kMySqlServerLost:
      case kMySqlServerLostExtended:
        return {Failure::kConnection, absl::UnavailableError(e.what()), Failure::kConnectionLost};
      case kMySqlDuplicateKey:
      case kMySqlDuplicateKeyName:
        return {Failure::kFinal, absl::AlreadyExistsError(e.what())};
      default:
        break;
    }
    if (e.get_error_category() == soci::soci_error::connection_error) {
      return {Failure::kConnection, absl::UnavailableError(e.what()), Failure::kConnectionLost};
    }
    return {Failure::kFinal, absl::InternalError(e.what())};
  } catch (const soci::sqlite3_soci_error& e) {
    int code = e.result() & 0xff;
    if (code == kSqliteBusy || code == kSqliteLocked) {
      return {Failure::kRetry, absl::AbortedError(e.what()), Failure::kBusy};
    }
    if (code == kSqliteConstraint) {
      std::string_view what = e.what();
      if (what.find("UNIQUE") != std::string_view::npos ||
          what.find("PRIMARY KEY") != std::string_view::npos) {
        return {Failure::kFinal, absl::AlreadyExistsError(e.what())};
      }
    }
    return {Failure::kFinal, absl::InternalError(e.what())};
  } catch (const soci::soci_error& e) {
    if (e.get_error_category() == soci::soci_error::connection_error) {
      return {Failure::kConnection, absl::UnavailableError(e.what()), Failure::kConnectionLost};
    }
    if (e.get_error_category() == soci::soci_error::constraint_violation) {
      return {Failure::kFinal, absl::AlreadyExistsError(e.what())};
    }
    return {Failure::kFinal, absl::InternalError(e.what())};
  } catch (const std::exception& e) {
    return {Failure::kFinal, absl::InternalError(e.what())};
  } catch (...) {
    return {Failure::kFinal, absl::InternalError("unknown exception")};
  }
}

absl::Status Prefixed(std::string_view op, const absl::Status& status) {
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat(Av(op), ": ", status.message()));
}

// ---------------------------------------------------------------------------------------------
// Statements

// A statement assembled at run time from any number of bound values. Bound variables must
// outlive Run() and every Fetch().
class Stmt {
 public:
  explicit Stmt(soci::session& session) : st_(session) {}

  template <typename T>
  Stmt& Into(T& value) {
    st_.exchange(soci::into(value));
    return *this;
  }
  template <typename T>
  Stmt& Use(const T& value) {
    st_.exchange(soci::use(value));
    return *this;
  }

  // Prepares and executes; when values are bound with Into, fetches the first row. Returns
  // whether a row was fetched.
  bool Run(std::string_view sql) {
    st_.alloc();
    st_.prepare(std::string(sql));
    st_.define_and_bind();
    return st_.execute(true);
  }
  bool Fetch() { return st_.fetch(); }
  // Rows matched (not necessarily changed) by an UPDATE or DELETE.
  int64_t AffectedRows() { return st_.get_affected_rows(); }

 private:
  soci::statement st_;
};

void Exec(soci::session& session, std::string_view sql) { session << sql; }

// The columns of one claims row, bound in kClaimColumns order.
struct ClaimRow {
  std::string id;
  std::string partner_id;
  std::string mpn_id;
  std::string customer_tenant_id;
  std::string customer_name;
  std::string customer_contact_name;
  std::string customer_contact_email;
  std::string customer_contact_phone;
  std::string partner_contact_name;
  std::string partner_contact_email;
  std::string partner_contact_phone;
  std::string products;
  std::string activity;
  std::string workflow_name;
  int64_t workflow_version = 0;
  std::string state;
  int64_t state_entered_at = 0;
  std::string sla_status;
  int64_t next_deadline = 0;
  int evidence_count = 0;
  std::string facts;
  int64_t version = 0;
  int64_t create_time = 0;
  int64_t update_time = 0;
  std::string created_by;

  void BindInto(Stmt& st) {
    st.Into(id).Into(partner_id).Into(mpn_id).Into(customer_tenant_id).Into(customer_name);
    st.Into(customer_contact_name).Into(customer_contact_email).Into(customer_contact_phone);
    st.Into(partner_contact_name).Into(partner_contact_email).Into(partner_contact_phone);
    st.Into(products).Into(activity).Into(workflow_name).Into(workflow_version).Into(state);
    st.Into(state_entered_at).Into(sla_status).Into(next_deadline).Into(evidence_count);
    st.Into(facts).Into(version).Into(create_time).Into(update_time).Into(created_by);
  }
};

ClaimRow ToRow(const Claim& c) {
  ClaimRow r;
  r.id = c.id;
  r.partner_id = c.partner_id;
  r.mpn_id = c.fields.mpn_id;
  r.customer_tenant_id = c.fields.customer.tenant_id;
  r.customer_name = c.fields.customer.name;
  r.customer_contact_name = c.fields.customer_contact.name;
  r.customer_contact_email = c.fields.customer_contact.email;
  r.customer_contact_phone = c.fields.customer_contact.phone;
  r.partner_contact_name = c.fields.partner_contact.name;
  r.partner_contact_email = c.fields.partner_contact.email;
  r.partner_contact_phone = c.fields.partner_contact.phone;
  r.products = internal::EncodeStringList(c.fields.products);
  r.activity = c.fields.activity;
  r.workflow_name = c.workflow_name;
  r.workflow_version = c.workflow_version;
  r.state = c.state;
  r.state_entered_at = EncodeTime(c.state_entered_at);
  r.sla_status = std::string(internal::SlaStatusName(c.sla_status));
  r.next_deadline = EncodeTime(c.next_deadline);
  r.evidence_count = c.evidence_count;
  r.facts = internal::EncodeFacts(c.facts);
  r.version = c.version;
  r.create_time = EncodeTime(c.create_time);
  r.update_time = EncodeTime(c.update_time);
  r.created_by = c.created_by;
  return r;
}

absl::StatusOr<Claim> FromRow(const ClaimRow& r) {
  Claim c;
  c.id = r.id;
  c.partner_id = r.partner_id;
  c.fields.mpn_id = r.mpn_id;
  c.fields.customer = {r.customer_tenant_id, r.customer_name};
  c.fields.customer_contact = {r.customer_contact_name, r.customer_contact_email,
                               r.customer_contact_phone};
  c.fields.partner_contact = {r.partner_contact_name, r.partner_contact_email,
                              r.partner_contact_phone};
  ASSIGN_OR_RETURN(c.fields.products, internal::DecodeStringList(r.products));
  c.fields.activity = r.activity;
  c.workflow_name = r.workflow_name;
  c.workflow_version = r.workflow_version;
  c.state = r.state;
  c.state_entered_at = DecodeTime(r.state_entered_at);
  ASSIGN_OR_RETURN(c.sla_status, internal::ParseSlaStatus(r.sla_status));
  c.next_deadline = DecodeTime(r.next_deadline);
  c.evidence_count = r.evidence_count;
  ASSIGN_OR_RETURN(c.facts, internal::DecodeFacts(r.facts));
  c.version = r.version;
  c.create_time = DecodeTime(r.create_time);
  c.update_time = DecodeTime(r.update_time);
  c.created_by = r.created_by;
  return c;
}

struct TimerRow {
  std::string claim_id;
  std::string name;
  std::string status;
  int64_t started_at = 0;
  int64_t due_at = 0;
  int64_t warn_at = 0;
  int warned = 0;
  int64_t remaining_us = 0;

  // kTimerColumns order.
  void BindInto(Stmt& st) {
    st.Into(name).Into(status).Into(started_at).Into(due_at).Into(warn_at).Into(warned);
    st.Into(remaining_us);
  }

  absl::StatusOr<workflow::TimerInstance> ToTimer() const {
    workflow::TimerInstance t;
    t.name = name;
    ASSIGN_OR_RETURN(t.status, internal::ParseTimerStatus(status));
    t.started_at = DecodeTime(started_at);
    t.due_at = DecodeTime(due_at);
    t.warn_at = DecodeTime(warn_at);
    t.warned = warned != 0;
    t.remaining = internal::DecodeDuration(remaining_us);
    return t;
  }
};

// Reads one claim with its timers; nullopt when there is no such row (or, with a skip-locked
// select, when another transaction holds it).
absl::StatusOr<std::optional<Claim>> LoadClaim(soci::session& session, std::string_view select,
                                               std::string_view claim_id) {
  ClaimRow row;
  std::string id(claim_id);
  Stmt st(session);
  row.BindInto(st);
  st.Use(id);
  if (!st.Run(select)) return std::optional<Claim>();
  ASSIGN_OR_RETURN(Claim claim, FromRow(row));
  TimerRow timer;
  Stmt timers(session);
  timer.BindInto(timers);
  timers.Use(id);
  for (bool more = timers.Run(internal::kSelectTimers); more; more = timers.Fetch()) {
    ASSIGN_OR_RETURN(workflow::TimerInstance t, timer.ToTimer());
    claim.timers.push_back(std::move(t));
  }
  return std::optional<Claim>(std::move(claim));
}

// ListClaims' statement for `filter`: the conditions that apply, in the order their values are
// bound (filter fields in declaration order, then the page key, then the limit).
std::string ListClaimsSql(const Dialect& dialect, const ClaimFilter& filter, bool has_key) {
  std::vector<absl::string_view> conditions;
  if (!filter.partner_id.empty()) conditions.push_back(Av(internal::kCondPartner));
  if (filter.state) conditions.push_back(Av(internal::kCondState));
  if (filter.sla_breached) {
    conditions.push_back(
        Av(*filter.sla_breached ? internal::kCondBreached : internal::kCondNotBreached));
  }
  if (filter.deadline_before) conditions.push_back(Av(internal::kCondDeadlineBefore));
  if (filter.deadline_after) conditions.push_back(Av(internal::kCondDeadlineAfter));
  if (filter.created_after) conditions.push_back(Av(internal::kCondCreatedAfter));
  if (filter.created_before) conditions.push_back(Av(internal::kCondCreatedBefore));
  if (has_key) conditions.push_back(Av(internal::kCondAfterKey));
  std::string sql = dialect.select_claims_prefix;
  if (!conditions.empty()) absl::StrAppend(&sql, " WHERE ", absl::StrJoin(conditions, " AND "));
  absl::StrAppend(&sql, Av(internal::kListClaimsOrder));
  return sql;
}

// ---------------------------------------------------------------------------------------------
// The repository

enum class TxMode {
  kNone,   // autocommit: one statement, or reads that need no common snapshot
  kRead,   // one snapshot for every read
  kWrite,  // all or nothing
};

// Whether a transaction whose COMMIT got no answer took effect.
enum class CommitOutcome { kCommitted, kNotCommitted, kUnknown };
using CommitCheck = std::function<absl::StatusOr<CommitOutcome>(soci::session&)>;
using TxBody = std::function<absl::Status(soci::session&)>;
using WriteHook = std::function<absl::Status(std::string_view)>;

class SociRepository final : public Repository {
 public:
  SociRepository(StorageOptions options, ConnectionTarget target, size_t pool_size)
      : options_(std::move(options)),
        target_(std::move(target)),
        dialect_(internal::DialectFor(target_.backend)),
        pool_(pool_size),
        broken_(pool_size, 0) {}

  // Opens every pooled connection. Throws what SOCI throws.
  void Connect() {
    for (size_t i = 0; i < broken_.size(); ++i) {
      internal::OpenSession(pool_.at(i), target_, options_.busy_timeout);
    }
  }

  soci::session& FirstSessionForSetup() { return pool_.at(0); }
  const ConnectionTarget& target() const { return target_; }

  void SetWriteHook(WriteHook hook) {
    absl::MutexLock lock(&hook_mu_);
    hook_ = hook ? std::make_shared<const WriteHook>(std::move(hook)) : nullptr;
  }

  absl::Status SaveWorkflow(const WorkflowRecord& workflow) override;
  absl::StatusOr<WorkflowRecord> GetWorkflow(std::string_view name, int64_t version) override;
  absl::StatusOr<std::vector<WorkflowRecord>> ListWorkflows() override;
  absl::Status CreateClaim(const Claim& claim, const Decision& decision,
                           const WriteOptions& options) override;
  absl::StatusOr<Claim> GetClaim(std::string_view claim_id) override;
  absl::StatusOr<ClaimDetails> GetClaimDetails(std::string_view claim_id,
                                               workflow::Perspective viewer) override;
  absl::StatusOr<ClaimPage> ListClaims(const ClaimFilter& filter, int page_size,
                                       std::string_view page_token) override;
  std::string PageTokenAfter(const Claim& claim) const override {
    return internal::EncodePageToken({EncodeTime(claim.create_time), claim.id});
  }
  absl::Status ApplyDecision(const Claim& after, const Decision& decision,
                             const WriteOptions& options) override;
  absl::StatusOr<std::optional<IdempotencyRecord>> FindIdempotencyRecord(
      std::string_view scope, std::string_view request_id, absl::Time now) override;
  absl::StatusOr<workflow::Evidence> GetEvidence(std::string_view claim_id,
                                                 std::string_view evidence_id) override;
  absl::StatusOr<std::vector<FiredTimer>> FireDueTimers(absl::Time now, int batch_size,
                                                        const TimerFirer& fire) override;
  absl::StatusOr<absl::Time> NextTimerDue() override;
  absl::StatusOr<std::vector<workflow::Event>> ReadEvents(int64_t after_sequence,
                                                          int max_events) override;
  absl::StatusOr<int64_t> PurgeExpiredIdempotencyRecords(absl::Time now) override;
  absl::Status Ping(absl::Duration timeout) override;
  StorageStats Stats() const override;

 private:
  // One pooled connection, returned to the pool when this goes out of scope.
  class Lease {
   public:
    explicit Lease(SociRepository& repo) : repo_(repo), pos_(repo.LeaseCounted()) {}
    ~Lease() {
      repo_.in_use_.fetch_sub(1, std::memory_order_relaxed);
      repo_.pool_.give_back(pos_);
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;

    // The session, reconnected first if its connection was lost. Throws what SOCI throws.
    soci::session& Connected() {
      soci::session& s = repo_.pool_.at(pos_);
      if (repo_.broken_[pos_] != 0) {
        s.reconnect();
        repo_.SetUpSession(s);
        repo_.broken_[pos_] = 0;
      }
      return s;
    }
    void MarkBroken() { repo_.broken_[pos_] = 1; }
    void RollbackQuietly() {
      try {
        repo_.pool_.at(pos_) << internal::kRollback;
      } catch (...) {
        // A failed rollback means the connection is unusable; the server rolls back for us.
        MarkBroken();
      }
    }

   private:
    SociRepository& repo_;
    size_t pos_;
  };

  void SetUpSession(soci::session& s) {
    internal::SetUpSession(s, target_.backend, options_.busy_timeout);
  }

  // pool_.lease(), counting the connections in use and the time spent waiting for one.
  size_t LeaseCounted() {
    const int before = in_use_.fetch_add(1, std::memory_order_relaxed);
    if (before < static_cast<int>(broken_.size())) return pool_.lease();
    const absl::Time start = absl::Now();
    const size_t pos = pool_.lease();
    waits_.fetch_add(1, std::memory_order_relaxed);
    wait_micros_.fetch_add(absl::ToInt64Microseconds(absl::Now() - start),
                           std::memory_order_relaxed);
    return pos;
  }

  void CountRetry(Failure::Cause cause) {
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

  std::shared_ptr<const WriteHook> Hook() {
    absl::MutexLock lock(&hook_mu_);
    return hook_;
  }

  void Backoff(int attempt) {
    absl::Duration ceiling = std::min(kBackoffCap, kBackoffBase * (1 << std::min(attempt, 10)));
    double fraction;
    {
      absl::MutexLock lock(&rng_mu_);
      fraction = absl::Uniform(rng_, 0.5, 1.0);
    }
    absl::SleepFor(ceiling * fraction);
  }

  // Runs `body` in a transaction of `mode` on a pooled connection, retrying the whole
  // transaction after deadlocks, lock-wait timeouts and lost connections. A non-OK status from
  // `body` rolls back and is returned as is. `check` settles a COMMIT whose answer was lost;
  // without one the body is taken to be safe to run again.
  absl::Status Transact(std::string_view op, TxMode mode, const TxBody& body,
                        const CommitCheck* check = nullptr);
  absl::StatusOr<CommitOutcome> SettleCommit(const CommitCheck& check);

  // The statements of CreateClaim and ApplyDecision, inside their transaction.
  absl::Status WriteDecision(soci::session& s, const Claim& after, const Decision& decision,
                             const WriteOptions& options, const std::string& write_token,
                             bool create, const WriteHook* hook);
  absl::Status Validate(const Claim& after, const Decision& decision) const;

  const StorageOptions options_;
  const ConnectionTarget target_;
  const Dialect& dialect_;
  soci::connection_pool pool_;
  // One flag per pool slot, touched only by the slot's leaseholder (the pool's own locking
  // orders successive holders). A char each: std::vector<bool> packs bits into shared words.
  std::vector<char> broken_;

  absl::Mutex hook_mu_;
  std::shared_ptr<const WriteHook> hook_ ABSL_GUARDED_BY(hook_mu_);
  absl::Mutex rng_mu_;
  absl::BitGen rng_ ABSL_GUARDED_BY(rng_mu_);

  std::atomic<int> in_use_{0};
  std::atomic<int64_t> waits_{0};
  std::atomic<int64_t> wait_micros_{0};
  std::atomic<int64_t> retries_deadlock_{0};
  std::atomic<int64_t> retries_lock_timeout_{0};
  std::atomic<int64_t> retries_busy_{0};
  std::atomic<int64_t> retries_connection_lost_{0};

  // Ping's own connection, so a health check never queues behind a busy pool.
  absl::Mutex ping_mu_;
  std::unique_ptr<soci::session> ping_session_ ABSL_GUARDED_BY(ping_mu_);
};

absl::Status SociRepository::Transact(std::string_view op, TxMode mode, const TxBody& body,
                                      const CommitCheck* check) {
  absl::Status last_error;
  int attempts = 0;
  for (int attempt = 0; attempt <= options_.max_retries; ++attempt) {
    if (attempt > 0) Backoff(attempt);
    ++attempts;
    Lease lease(*this);
    bool commit_sent = false;
    Failure failure;
    bool failed = false;
    try {
      soci::session& s = lease.Connected();
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
        Exec(s, internal::kCommit);
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
      internal::OpenSession(*session, target_, timeout, timeout);
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

absl::Status SociRepository::Validate(const Claim& after, const Decision& decision) const {
  if (after.id.empty()) return absl::InvalidArgumentError("claim id is empty");
  for (const workflow::Evidence& e : decision.evidence) {
    auto size = static_cast<int64_t>(e.content.size());
    if (size > options_.max_evidence_bytes || e.size_bytes > options_.max_evidence_bytes) {
      return absl::InvalidArgumentError(absl::StrCat("evidence '", e.file_name,
                                                     "' is larger than the limit of ",
                                                     options_.max_evidence_bytes, " bytes"));
    }
    if (!e.content.empty() && e.size_bytes != 0 && e.size_bytes != size) {
      return absl::InvalidArgumentError(absl::StrCat("evidence '", e.file_name, "': size_bytes ",
                                                     e.size_bytes, " but ", size, " bytes"));
    }
  }
  return absl::OkStatus();
}

absl::Status SociRepository::WriteDecision(soci::session& s, const Claim& after,
                                           const Decision& decision, const WriteOptions& options,
                                           const std::string& write_token, bool create,
                                           const WriteHook* hook) {
  auto step = [hook](std::string_view name) {
    return hook != nullptr ? (*hook)(name) : absl::OkStatus();
  };
  const std::string& claim_id = after.id;
  const int64_t now = EncodeTime(after.update_time);
  const absl::Time id_time =
      after.update_time == absl::InfinitePast() ? absl::Now() : after.update_time;

  // First, so a duplicate request id fails before anything else is locked, and concurrent
  // duplicates queue on the key and then fail instead of racing on the claim.
  if (options.idempotency.has_value()) {
    const IdempotencyRecord& rec = *options.idempotency;
    int64_t expire = EncodeTime(rec.expire_time);
    Stmt del(s);
    del.Use(rec.scope).Use(rec.request_id).Use(now);
    del.Run(internal::kDeleteExpiredIdempotencyKey);
    Stmt ins(s);
    ins.Use(rec.scope).Use(rec.request_id).Use(rec.request_hash).Use(rec.response).Use(expire);
    ins.Run(internal::kInsertIdempotency);
    RETURN_IF_ERROR(step("idempotency"));
  }

  ClaimRow row = ToRow(after);
  if (create) {
    Stmt ins(s);
    ins.Use(row.id).Use(row.partner_id).Use(row.mpn_id).Use(row.customer_tenant_id);
    ins.Use(row.customer_name).Use(row.customer_contact_name).Use(row.customer_contact_email);
    ins.Use(row.customer_contact_phone).Use(row.partner_contact_name);
    ins.Use(row.partner_contact_email).Use(row.partner_contact_phone).Use(row.products);
    ins.Use(row.activity).Use(row.workflow_name).Use(row.workflow_version).Use(row.state);
    ins.Use(row.state_entered_at).Use(row.sla_status).Use(row.next_deadline);
    ins.Use(row.evidence_count).Use(row.facts).Use(row.version).Use(row.create_time);
    ins.Use(row.update_time).Use(row.created_by).Use(write_token);
    ins.Run(internal::kInsertClaim);
  } else {
    int64_t expected_version = after.version - 1;
    Stmt upd(s);
    upd.Use(row.mpn_id).Use(row.customer_tenant_id).Use(row.customer_name);
    upd.Use(row.customer_contact_name).Use(row.customer_contact_email);
    upd.Use(row.customer_contact_phone).Use(row.partner_contact_name);
    upd.Use(row.partner_contact_email).Use(row.partner_contact_phone).Use(row.products);
    upd.Use(row.activity).Use(row.state).Use(row.state_entered_at).Use(row.sla_status);
    upd.Use(row.next_deadline).Use(row.evidence_count).Use(row.facts).Use(row.version);
    upd.Use(row.update_time).Use(write_token).Use(row.id).Use(expected_version);
    upd.Run(internal::kUpdateClaim);
    if (upd.AffectedRows() == 0) {
      int64_t stored = 0;
      std::string token;
      Stmt probe(s);
      probe.Into(stored).Into(token).Use(row.id);
      if (!probe.Run(internal::kSelectClaimVersion)) {
        return absl::NotFoundError(absl::StrCat("claim ", Av(claim_id), " not found"));
      }
      return absl::AbortedError(absl::StrCat("version conflict: claim ", claim_id,
                                             " is at version ", stored, ", not ",
                                             expected_version));
    }
  }
  RETURN_IF_ERROR(step("claim"));

  // Timers: on creation all of them, afterwards only those the decision changed. `position`
  // keeps the claim's timer order across reads.
  const std::vector<workflow::TimerInstance>& timers = create ? after.timers : decision.timers;
  for (const workflow::TimerInstance& t : timers) {
    auto it = std::find_if(after.timers.begin(), after.timers.end(),
                           [&](const workflow::TimerInstance& a) { return a.name == t.name; });
    int position = static_cast<int>(it - after.timers.begin());
    std::string status(internal::TimerStatusName(t.status));
    int64_t started_at = EncodeTime(t.started_at);
    int64_t due_at = EncodeTime(t.due_at);
    int64_t warn_at = EncodeTime(t.warn_at);
    int warned = t.warned ? 1 : 0;
    int64_t remaining = internal::EncodeDuration(t.remaining);
    int64_t next_fire_at = EncodeTime(t.NextFireAt());
    Stmt up(s);
    up.Use(claim_id).Use(t.name).Use(position).Use(status).Use(started_at).Use(due_at);
    up.Use(warn_at).Use(warned).Use(remaining).Use(next_fire_at);
    up.Run(dialect_.upsert_timer);
  }
  RETURN_IF_ERROR(step("timers"));

  if (!decision.history.empty()) {
    // The claim row is locked by the insert or the version-checked update above, so no other
    // transaction can append to this claim's history until commit.
    int64_t sequence = 0;
    {
      Stmt max(s);
      max.Into(sequence).Use(claim_id);
      max.Run(internal::kSelectMaxHistorySequence);
    }
    for (const workflow::HistoryEntry& h : decision.history) {
      ++sequence;
      std::string kind(internal::HistoryKindName(h.kind));
      std::string perspective(workflow::PerspectiveName(h.perspective));
      int64_t time = EncodeTime(h.time);
      std::string details = internal::EncodeHistoryDetails(h);
      Stmt ins(s);
      ins.Use(claim_id).Use(sequence).Use(kind).Use(h.name).Use(h.actor_id).Use(perspective);
      ins.Use(time).Use(details);
      ins.Run(internal::kInsertHistory);
    }
  }
  RETURN_IF_ERROR(step("history"));

  for (const workflow::Comment& c : decision.comments) {
    std::string id = c.id.empty() ? NewId(id_time) : c.id;
    std::string perspective(workflow::PerspectiveName(c.perspective));
    std::string visibility(internal::VisibilityName(c.visibility));
    int64_t time = EncodeTime(c.create_time);
    Stmt ins(s);
    ins.Use(claim_id).Use(id).Use(c.author_id).Use(perspective).Use(c.text).Use(visibility);
    ins.Use(time);
    ins.Run(internal::kInsertComment);
  }
  RETURN_IF_ERROR(step("comments"));

  for (const workflow::Evidence& e : decision.evidence) {
    std::string id = e.id.empty() ? NewId(id_time) : e.id;
    int64_t size = e.content.empty() ? e.size_bytes : static_cast<int64_t>(e.content.size());
    int64_t time = EncodeTime(e.upload_time);
    Stmt ins(s);
    ins.Use(claim_id).Use(id).Use(e.file_name).Use(e.content_type).Use(size).Use(e.sha256_hex);
    ins.Use(e.uploaded_by).Use(time).Use(e.content);
    ins.Run(internal::kInsertEvidence);
  }
  RETURN_IF_ERROR(step("evidence"));

  if (!decision.events.empty()) {
    // Last, so the counter row stays locked only for the few statements before commit.
    auto count = static_cast<int64_t>(decision.events.size());
    {
      Stmt bump(s);
      bump.Use(count);
      bump.Run(internal::kBumpEventCounter);
    }
    int64_t last = 0;
    {
      Stmt read(s);
      read.Into(last);
      read.Run(internal::kSelectEventCounter);
    }
    int64_t sequence = last - count;
    for (const workflow::Event& ev : decision.events) {
      ++sequence;
      const std::string& event_claim = ev.claim_id.empty() ? claim_id : ev.claim_id;
      const std::string& partner = ev.partner_id.empty() ? after.partner_id : ev.partner_id;
      int64_t time = EncodeTime(ev.time == absl::InfinitePast() ? after.update_time : ev.time);
      std::string attributes = internal::EncodeAttributes(ev.attributes);
      Stmt ins(s);
      ins.Use(sequence).Use(ev.type).Use(event_claim).Use(partner).Use(time).Use(attributes);
      ins.Run(internal::kInsertEvent);
    }
  }
  RETURN_IF_ERROR(step("events"));
  return absl::OkStatus();
}

absl::Status SociRepository::CreateClaim(const Claim& claim, const Decision& decision,
                                         const WriteOptions& options) {
  RETURN_IF_ERROR(Validate(claim, decision));
  const std::string token = NewId(absl::Now());
  std::shared_ptr<const WriteHook> hook = Hook();
  CommitCheck check = [&](soci::session& s) -> absl::StatusOr<CommitOutcome> {
    int64_t version = 0;
    std::string stored_token;
    Stmt probe(s);
    probe.Into(version).Into(stored_token).Use(claim.id);
    if (!probe.Run(internal::kSelectClaimVersion)) return CommitOutcome::kNotCommitted;
    return stored_token == token || version > claim.version ? CommitOutcome::kCommitted
                                                            : CommitOutcome::kUnknown;
  };
  return Transact(
      "CreateClaim", TxMode::kWrite,
      [&](soci::session& s) {
        return WriteDecision(s, claim, decision, options, token, /*create=*/true, hook.get());
      },
      &check);
}

absl::Status SociRepository::ApplyDecision(const Claim& after, const Decision& decision,
                                           const WriteOptions& options) {
  RETURN_IF_ERROR(Validate(after, decision));
  if (after.version < 2) {
    return absl::InvalidArgumentError("ApplyDecision: the claim after a decision has version >= 2");
  }
  const std::string token = NewId(absl::Now());
  std::shared_ptr<const WriteHook> hook = Hook();
  CommitCheck check = [&](soci::session& s) -> absl::StatusOr<CommitOutcome> {
    if (options.idempotency.has_value()) {
      // Written in the same transaction: present with our hash means it committed.
      std::string hash;
      Stmt probe(s);
      probe.Into(hash).Use(options.idempotency->scope).Use(options.idempotency->request_id);
      if (!probe.Run(internal::kSelectIdempotencyHash)) return CommitOutcome::kNotCommitted;
      return hash == options.idempotency->request_hash ? CommitOutcome::kCommitted
                                                       : CommitOutcome::kUnknown;
    }
    int64_t version = 0;
    std::string stored_token;
    Stmt probe(s);
    probe.Into(version).Into(stored_token).Use(after.id);
    if (!probe.Run(internal::kSelectClaimVersion)) return CommitOutcome::kUnknown;
    if (stored_token == token) return CommitOutcome::kCommitted;
    if (version < after.version) return CommitOutcome::kNotCommitted;
    // Someone wrote after us or instead of us; the token of ours may have been overwritten.
    return CommitOutcome::kUnknown;
  };
  return Transact(
      "ApplyDecision", TxMode::kWrite,
      [&](soci::session& s) {
        return WriteDecision(s, after, decision, options, token, /*create=*/false, hook.get());
      },
      &check);
}

absl::StatusOr<Claim> SociRepository::GetClaim(std::string_view claim_id) {
  std::optional<Claim> claim;
  RETURN_IF_ERROR(Transact("GetClaim", TxMode::kRead, [&](soci::session& s) -> absl::Status {
    ASSIGN_OR_RETURN(claim, LoadClaim(s, dialect_.select_claim, claim_id));
    return absl::OkStatus();
  }));
  if (!claim.has_value())
    return absl::NotFoundError(absl::StrCat("claim ", Av(claim_id), " not found"));
  return *std::move(claim);
}

absl::StatusOr<ClaimDetails> SociRepository::GetClaimDetails(std::string_view claim_id,
                                                             workflow::Perspective viewer) {
  ClaimDetails details;
  bool found = false;
  const bool sees_internal =
      viewer == workflow::Perspective::kReviewer || viewer == workflow::Perspective::kSystem;
  RETURN_IF_ERROR(Transact("GetClaimDetails", TxMode::kRead, [&](soci::session& s) -> absl::Status {
    details = ClaimDetails();
    ASSIGN_OR_RETURN(std::optional<Claim> claim, LoadClaim(s, dialect_.select_claim, claim_id));
    found = claim.has_value();
    if (!found) return absl::OkStatus();
    details.claim = *std::move(claim);
    const std::string id(claim_id);

    workflow::Evidence e;
    int64_t upload_time = 0;
    Stmt ev(s);
    ev.Into(e.id).Into(e.file_name).Into(e.content_type).Into(e.size_bytes);
    ev.Into(e.sha256_hex).Into(e.uploaded_by).Into(upload_time).Use(id);
    for (bool more = ev.Run(internal::kSelectEvidenceMetadata); more; more = ev.Fetch()) {
      e.upload_time = DecodeTime(upload_time);
      details.evidence.push_back(e);
    }

    workflow::Comment c;
    std::string perspective, visibility;
    int64_t create_time = 0;
    Stmt cm(s);
    cm.Into(c.id).Into(c.author_id).Into(perspective).Into(c.text).Into(visibility);
    cm.Into(create_time).Use(id);
    for (bool more =
             cm.Run(sees_internal ? internal::kSelectAllComments : internal::kSelectPublicComments);
         more; more = cm.Fetch()) {
      ASSIGN_OR_RETURN(c.perspective, internal::ParsePerspectiveColumn(perspective));
      ASSIGN_OR_RETURN(c.visibility, internal::ParseVisibility(visibility));
      c.create_time = DecodeTime(create_time);
      details.comments.push_back(c);
    }

    workflow::HistoryEntry h;
    std::string kind, history_perspective, json;
    int64_t time = 0;
    Stmt hs(s);
    hs.Into(h.sequence).Into(kind).Into(h.name).Into(h.actor_id).Into(history_perspective);
    hs.Into(time).Into(json).Use(id);
    for (bool more = hs.Run(internal::kSelectHistory); more; more = hs.Fetch()) {
      ASSIGN_OR_RETURN(h.kind, internal::ParseHistoryKind(kind));
      ASSIGN_OR_RETURN(h.perspective, internal::ParsePerspectiveColumn(history_perspective));
      h.time = DecodeTime(time);
      RETURN_IF_ERROR(internal::DecodeHistoryDetails(json, &h));
      details.history.push_back(h);
    }
    return absl::OkStatus();
  }));
  if (!found) return absl::NotFoundError(absl::StrCat("claim ", Av(claim_id), " not found"));
  return details;
}

absl::StatusOr<ClaimPage> SociRepository::ListClaims(const ClaimFilter& filter, int page_size,
                                                     std::string_view page_token) {
  if (page_size < 0) return absl::InvalidArgumentError("page_size must not be negative");
  const int size = page_size == 0 ? kDefaultPageSize : std::min(page_size, kMaxPageSize);
  std::optional<internal::PageKey> key;
  if (!page_token.empty()) {
    ASSIGN_OR_RETURN(key, internal::DecodePageToken(page_token));
  }

  // Bound values, kept alive until the statement has run.
  std::string state = filter.state.value_or("");
  int64_t deadline_before = filter.deadline_before ? EncodeTime(*filter.deadline_before) : 0;
  int64_t deadline_after = filter.deadline_after ? EncodeTime(*filter.deadline_after) : 0;
  int64_t created_after = filter.created_after ? EncodeTime(*filter.created_after) : 0;
  int64_t created_before = filter.created_before ? EncodeTime(*filter.created_before) : 0;
  int limit = size + 1;  // one more tells whether another page follows
  const std::string sql = ListClaimsSql(dialect_, filter, key.has_value());

  ClaimPage page;
  RETURN_IF_ERROR(Transact("ListClaims", TxMode::kRead, [&](soci::session& s) -> absl::Status {
    page = ClaimPage();
    ClaimRow row;
    Stmt st(s);
    row.BindInto(st);
    // In the order the conditions appear in `sql`.
    if (!filter.partner_id.empty()) st.Use(filter.partner_id);
    if (filter.state) st.Use(state);
    if (filter.deadline_before) st.Use(deadline_before);
    if (filter.deadline_after) st.Use(deadline_after);
    if (filter.created_after) st.Use(created_after);
    if (filter.created_before) st.Use(created_before);
    if (key) st.Use(key->create_time).Use(key->create_time).Use(key->id);
    st.Use(limit);
    for (bool more = st.Run(sql); more; more = st.Fetch()) {
      ASSIGN_OR_RETURN(Claim c, FromRow(row));
      page.claims.push_back(std::move(c));
    }
    if (page.claims.empty()) return absl::OkStatus();
    if (static_cast<int>(page.claims.size()) > size) {
      page.claims.pop_back();
      const Claim& last = page.claims.back();
      page.next_page_token = PageTokenAfter(last);
    }

    std::map<std::string, size_t> index;
    std::vector<std::string> placeholders;
    for (size_t i = 0; i < page.claims.size(); ++i) {
      index[page.claims[i].id] = i;
      placeholders.push_back(absl::StrCat(":c", i));
    }
    TimerRow timer;
    Stmt ts(s);
    ts.Into(timer.claim_id);
    timer.BindInto(ts);
    for (const Claim& c : page.claims) ts.Use(c.id);
    std::string timer_sql =
        absl::StrCat(Av(internal::kSelectTimersOfClaimsPrefix), absl::StrJoin(placeholders, ", "),
                     Av(internal::kSelectTimersOfClaimsOrder));
    for (bool more = ts.Run(timer_sql); more; more = ts.Fetch()) {
      ASSIGN_OR_RETURN(workflow::TimerInstance t, timer.ToTimer());
      page.claims[index[timer.claim_id]].timers.push_back(std::move(t));
    }
    return absl::OkStatus();
  }));
  return page;
}

absl::StatusOr<std::optional<IdempotencyRecord>> SociRepository::FindIdempotencyRecord(
    std::string_view scope, std::string_view request_id, absl::Time now) {
  std::optional<IdempotencyRecord> found;
  const std::string scope_value(scope), request_value(request_id);
  const int64_t now_value = EncodeTime(now);
  RETURN_IF_ERROR(
      Transact("FindIdempotencyRecord", TxMode::kNone, [&](soci::session& s) -> absl::Status {
        IdempotencyRecord rec;
        int64_t expire = 0;
        Stmt st(s);
        st.Into(rec.request_hash).Into(rec.response).Into(expire);
        st.Use(scope_value).Use(request_value).Use(now_value);
        found.reset();
        if (st.Run(internal::kSelectIdempotency)) {
          rec.scope = scope_value;
          rec.request_id = request_value;
          rec.expire_time = DecodeTime(expire);
          found = std::move(rec);
        }
        return absl::OkStatus();
      }));
  return found;
}

absl::StatusOr<workflow::Evidence> SociRepository::GetEvidence(std::string_view claim_id,
                                                               std::string_view evidence_id) {
  workflow::Evidence e;
  bool found = false;
  const std::string claim(claim_id), id(evidence_id);
  RETURN_IF_ERROR(Transact("GetEvidence", TxMode::kNone, [&](soci::session& s) -> absl::Status {
    int64_t upload_time = 0;
    Stmt st(s);
    st.Into(e.id).Into(e.file_name).Into(e.content_type).Into(e.size_bytes).Into(e.sha256_hex);
    st.Into(e.uploaded_by).Into(upload_time).Into(e.content).Use(claim).Use(id);
    found = st.Run(internal::kSelectEvidence);
    e.upload_time = DecodeTime(upload_time);
    return absl::OkStatus();
  }));
  if (!found) {
    return absl::NotFoundError(
        absl::StrCat("evidence ", Av(evidence_id), " of claim ", Av(claim_id), " not found"));
  }
  return e;
}

absl::StatusOr<std::vector<FiredTimer>> SociRepository::FireDueTimers(absl::Time now,
                                                                      int batch_size,
                                                                      const TimerFirer& fire) {
  if (batch_size <= 0) return absl::InvalidArgumentError("batch_size must be positive");
  const int64_t now_value = EncodeTime(now);
  std::shared_ptr<const WriteHook> hook = Hook();
  std::vector<FiredTimer> fired;
  // No CommitCheck: running the batch again after an ambiguous commit fires only what is still
  // due, so a timer that did fire is not fired again.
  RETURN_IF_ERROR(Transact("FireDueTimers", TxMode::kWrite, [&](soci::session& s) -> absl::Status {
    fired.clear();
    std::vector<std::pair<std::string, std::string>> due;
    {
      std::string claim_id, name;
      Stmt st(s);
      st.Into(claim_id).Into(name).Use(now_value).Use(batch_size);
      for (bool more = st.Run(dialect_.select_due_timers); more; more = st.Fetch()) {
        due.emplace_back(claim_id, name);
      }
    }
    for (const auto& [claim_id, name] : due) {
      ASSIGN_OR_RETURN(std::optional<Claim> claim,
                       LoadClaim(s, dialect_.select_claim_for_sweep, claim_id));
      // Held by a writer right now: the timer stays due for the next sweep.
      if (!claim.has_value()) continue;
      auto timer = std::find_if(claim->timers.begin(), claim->timers.end(),
                                [&](const workflow::TimerInstance& t) { return t.name == name; });
      // An earlier timer of this batch may have changed this one already.
      if (timer == claim->timers.end() || timer->NextFireAt() > now) continue;
      std::optional<AppliedDecision> applied;
      try {
        applied = fire(*claim, *timer);
      } catch (const std::exception& e) {
        return absl::InternalError(absl::StrCat("timer firer threw: ", e.what()));
      }
      if (!applied.has_value()) continue;
      if (applied->after.id != claim->id || applied->after.version != claim->version + 1) {
        return absl::InternalError(absl::StrCat(
            "timer firer returned claim ", applied->after.id, " at version ",
            applied->after.version, " for claim ", claim->id, " at version ", claim->version));
      }
      RETURN_IF_ERROR(Validate(applied->after, applied->decision));
      RETURN_IF_ERROR(WriteDecision(s, applied->after, applied->decision, WriteOptions(),
                                    NewId(absl::Now()), /*create=*/false, hook.get()));
      fired.push_back({claim->id, name, applied->decision.from_state, applied->decision.to_state});
    }
    return absl::OkStatus();
  }));
  return fired;
}

absl::StatusOr<absl::Time> SociRepository::NextTimerDue() {
  int64_t next = internal::kTimeNever;
  RETURN_IF_ERROR(Transact("NextTimerDue", TxMode::kNone, [&](soci::session& s) {
    s << internal::kSelectNextTimerDue, soci::into(next);
    return absl::OkStatus();
  }));
  return DecodeTime(next);
}

absl::StatusOr<std::vector<workflow::Event>> SociRepository::ReadEvents(int64_t after_sequence,
                                                                        int max_events) {
  if (max_events <= 0) return absl::InvalidArgumentError("max_events must be positive");
  std::vector<workflow::Event> events;
  RETURN_IF_ERROR(Transact("ReadEvents", TxMode::kNone, [&](soci::session& s) -> absl::Status {
    events.clear();
    workflow::Event ev;
    int64_t time = 0;
    std::string attributes;
    Stmt st(s);
    st.Into(ev.sequence).Into(ev.type).Into(ev.claim_id).Into(ev.partner_id).Into(time);
    st.Into(attributes).Use(after_sequence).Use(max_events);
    for (bool more = st.Run(internal::kSelectEvents); more; more = st.Fetch()) {
      ev.time = DecodeTime(time);
      ASSIGN_OR_RETURN(ev.attributes, internal::DecodeAttributes(attributes));
      events.push_back(ev);
    }
    return absl::OkStatus();
  }));
  return events;
}

absl::StatusOr<int64_t> SociRepository::PurgeExpiredIdempotencyRecords(absl::Time now) {
  int64_t purged = 0;
  const int64_t now_value = EncodeTime(now);
  RETURN_IF_ERROR(Transact("PurgeExpiredIdempotencyRecords", TxMode::kNone,
                           [&](soci::session& s) -> absl::Status {
                             Stmt st(s);
                             st.Use(now_value);
                             st.Run(internal::kPurgeIdempotency);
                             purged = st.AffectedRows();
                             return absl::OkStatus();
                           }));
  return purged;
}

absl::Status SociRepository::SaveWorkflow(const WorkflowRecord& workflow) {
  if (workflow.name.empty() || workflow.version <= 0) {
    return absl::InvalidArgumentError("workflow needs a name and a positive version");
  }
  const int64_t create_time =
      EncodeTime(workflow.create_time == absl::InfinitePast() ? absl::Now() : workflow.create_time);
  auto body = [&](soci::session& s) -> absl::Status {
    std::string sha;
    {
      std::string name, source;
      int64_t version = 0, time = 0;
      Stmt st(s);
      st.Into(name).Into(version).Into(sha).Into(source).Into(time);
      st.Use(workflow.name).Use(workflow.version);
      if (st.Run(internal::kSelectWorkflow)) {
        if (sha == workflow.sha256_hex) return absl::OkStatus();
        return absl::AlreadyExistsError(absl::StrCat("workflow ", workflow.name, " version ",
                                                     workflow.version,
                                                     " is already published with another sha256"));
      }
    }
    Stmt ins(s);
    ins.Use(workflow.name).Use(workflow.version).Use(workflow.sha256_hex).Use(workflow.source);
    ins.Use(create_time);
    ins.Run(internal::kInsertWorkflow);
    return absl::OkStatus();
  };
  absl::Status status = Transact("SaveWorkflow", TxMode::kWrite, body);
  if (absl::IsAlreadyExists(status)) {
    // Two publishers of the same version raced on the insert; identical content is still a
    // success, which the read in a second run settles.
    absl::Status again = Transact("SaveWorkflow", TxMode::kWrite, body);
    if (again.ok() || absl::IsAlreadyExists(again)) return again;
  }
  return status;
}

absl::StatusOr<WorkflowRecord> SociRepository::GetWorkflow(std::string_view name, int64_t version) {
  WorkflowRecord rec;
  bool found = false;
  const std::string name_value(name);
  RETURN_IF_ERROR(Transact("GetWorkflow", TxMode::kNone, [&](soci::session& s) -> absl::Status {
    int64_t time = 0;
    Stmt st(s);
    st.Into(rec.name).Into(rec.version).Into(rec.sha256_hex).Into(rec.source).Into(time);
    st.Use(name_value).Use(version);
    found = st.Run(internal::kSelectWorkflow);
    rec.create_time = DecodeTime(time);
    return absl::OkStatus();
  }));
  if (!found) {
    return absl::NotFoundError(
        absl::StrCat("workflow ", Av(name), " version ", version, " not found"));
  }
  return rec;
}

absl::StatusOr<std::vector<WorkflowRecord>> SociRepository::ListWorkflows() {
  std::vector<WorkflowRecord> out;
  RETURN_IF_ERROR(Transact("ListWorkflows", TxMode::kNone, [&](soci::session& s) -> absl::Status {
    out.clear();
    WorkflowRecord rec;
    int64_t time = 0;
    Stmt st(s);
    st.Into(rec.name).Into(rec.version).Into(rec.sha256_hex).Into(rec.source).Into(time);
    for (bool more = st.Run(internal::kSelectWorkflows); more; more = st.Fetch()) {
      rec.create_time = DecodeTime(time);
      out.push_back(rec);
    }
    return absl::OkStatus();
  }));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Opening

absl::Status CheckOptions(const StorageOptions& options) {
  if (options.pool_size <= 0) return absl::InvalidArgumentError("pool_size must be positive");
  if (options.max_retries < 0) return absl::InvalidArgumentError("max_retries must be >= 0");
  if (options.max_evidence_bytes <= 0) {
    return absl::InvalidArgumentError("max_evidence_bytes must be positive");
  }
  if (options.busy_timeout < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("busy_timeout must not be negative");
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

absl::StatusOr<int> MigrateOpen(SociRepository& repo) {
  try {
    return internal::Migrate(repo.FirstSessionForSetup(), repo.target().backend,
                             repo.target().database);
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
  const int limit = kDefaultPageSize + 1, batch = 100;
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
  std::vector<Query> queries = {
      {"list_by_partner", ListClaimsSql(dialect, by_partner, false),
       [&](Stmt& st) { st.Use(partner).Use(limit); }},
      {"list_by_partner_next_page", ListClaimsSql(dialect, by_partner, true),
       [&](Stmt& st) { st.Use(partner).Use(now).Use(now).Use(key_id).Use(limit); }},
      {"list_by_state", ListClaimsSql(dialect, by_state, false),
       [&](Stmt& st) { st.Use(state).Use(limit); }},
      {"list_breached", ListClaimsSql(dialect, breached, false), [&](Stmt& st) { st.Use(limit); }},
      {"list_all", ListClaimsSql(dialect, ClaimFilter(), false), [&](Stmt& st) { st.Use(limit); }},
      {"due_timers", dialect.select_due_timers, [&](Stmt& st) { st.Use(now).Use(batch); }},
      {"next_timer_due", std::string(internal::kSelectNextTimerDue), [](Stmt&) {}},
  };

  std::vector<QueryPlan> plans;
  try {
    soci::session& s = repo->FirstSessionForSetup();
    // Plans follow the statistics, which InnoDB refreshes in the background some time after a
    // bulk of changes; fresh ones show the plan a settled table gets.
    s << (backend == Backend::kMySql ? "ANALYZE TABLE claims, timers" : "ANALYZE");
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
  ASSIGN_OR_RETURN(ConnectionTarget server,
                   internal::ParseStorageUrl(options.url.substr(0, options.url.rfind('/') + 1),
                                             /*require_database=*/false));
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

}  // namespace claims::storage
