#pragma once

#include <soci/soci.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "storage/internal/dialect.h"
#include "storage/internal/failure.h"
#include "storage/internal/statement.h"
#include "storage/internal/url.h"
#include "storage/repository.h"
#include "storage/soci_repository.h"

// The SOCI repository. Its methods are defined by concern, as the SQL they issue is grouped:
// soci_repository.cc (transactions, retries, the pool, opening), soci_claims.cc (claims and
// their children), soci_timers.cc, soci_outbox.cc, soci_idempotency.cc, soci_workflows.cc.
namespace claims::storage::internal {

// The outbox partition of a new claim: a stable hash of its id over `partitions`.
int PartitionOf(std::string_view claim_id, int partitions);

enum class TxMode {
  kNone,   // autocommit: one statement, or reads that need no common snapshot
  kRead,   // one snapshot for every read
  kWrite,  // all or nothing
};

// Whether a transaction whose COMMIT got no answer took effect.
enum class CommitOutcome { kCommitted, kNotCommitted, kUnknown };
using CommitCheck = std::function<absl::StatusOr<CommitOutcome>(Conn&)>;
using TxBody = std::function<absl::Status(Conn&)>;
using WriteHook = std::function<absl::Status(std::string_view)>;

class SociRepository final : public Repository {
 public:
  SociRepository(StorageOptions options, ConnectionTarget target, size_t pool_size);
  ~SociRepository() override;

  // Opens every pooled connection. Throws what SOCI throws.
  void Connect();

  soci::session& FirstSessionForSetup() { return pool_.at(0); }
  const ConnectionTarget& target() const { return target_; }

  void SetWriteHook(WriteHook hook);

  absl::Status SaveWorkflow(const WorkflowRecord& workflow) override;
  absl::StatusOr<WorkflowRecord> GetWorkflow(std::string_view name, int64_t version) override;
  absl::StatusOr<std::vector<WorkflowRecord>> ListWorkflows() override;
  absl::Status CreateClaim(const workflow::Claim& claim, const workflow::Decision& decision,
                           const WriteOptions& options) override;
  absl::StatusOr<workflow::Claim> GetClaim(std::string_view claim_id) override;
  using Repository::GetClaimDetails;
  absl::StatusOr<ClaimDetails> GetClaimDetails(std::string_view claim_id,
                                               workflow::Perspective viewer,
                                               const HistoryRange& range) override;
  absl::StatusOr<ClaimPage> ListClaims(const ClaimFilter& filter, int page_size,
                                       std::string_view page_token) override;
  std::string PageTokenAfter(const workflow::Claim& claim) const override;
  absl::StatusOr<std::vector<ClaimOfWorkflow>> ListClaimsOfWorkflow(
      std::string_view name, int64_t version, const std::vector<std::string>& states,
      std::string_view after_claim_id, int limit) override;
  absl::StatusOr<int64_t> CountClaimsOfWorkflow(std::string_view name, int64_t version,
                                                const std::vector<std::string>& states) override;
  absl::Status ApplyDecision(const workflow::Claim& after, const workflow::Decision& decision,
                             const WriteOptions& options) override;
  absl::StatusOr<std::optional<IdempotencyRecord>> FindIdempotencyRecord(
      std::string_view scope, std::string_view request_id, absl::Time now) override;
  absl::StatusOr<workflow::Evidence> GetEvidence(std::string_view claim_id,
                                                 std::string_view evidence_id) override;
  absl::StatusOr<workflow::Evidence> GetEvidenceMetadata(std::string_view claim_id,
                                                         std::string_view evidence_id) override;
  absl::StatusOr<std::optional<std::string>> ReadEvidenceChunk(std::string_view claim_id,
                                                               std::string_view evidence_id,
                                                               int64_t index) override;
  absl::Status BeginEvidenceUpload(std::string_view claim_id, std::string_view evidence_id,
                                   absl::Time now) override;
  absl::Status AppendEvidenceChunk(std::string_view claim_id, std::string_view evidence_id,
                                   int64_t index, std::string_view data) override;
  absl::Status DiscardEvidenceUpload(std::string_view claim_id,
                                     std::string_view evidence_id) override;
  absl::StatusOr<int64_t> PurgeAbandonedEvidenceUploads(absl::Time cutoff) override;
  absl::StatusOr<std::vector<FiredTimer>> FireDueTimers(absl::Time now, int batch_size,
                                                        const TimerFirer& fire) override;
  absl::StatusOr<absl::Time> NextTimerDue() override;
  absl::StatusOr<EventPage> ReadOutbox(const EventQuery& query) override;
  int EventPartitions() const override;
  absl::StatusOr<int64_t> PurgeExpiredIdempotencyRecords(absl::Time now) override;
  absl::StatusOr<int64_t> PurgeOldEvents(absl::Time now) override;
  absl::Status Ping(absl::Duration timeout) override;
  StorageStats Stats() const override;

 private:
  // One pooled connection, returned to the pool when this goes out of scope.
  class Lease {
   public:
    explicit Lease(SociRepository& repo);
    ~Lease();
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;

    // The session, reconnected first if its connection was lost. Throws what SOCI throws.
    Conn& Connected();
    void MarkBroken() { repo_.broken_[pos_] = 1; }
    void RollbackQuietly();

   private:
    SociRepository& repo_;
    size_t pos_;
    Conn conn_;
  };

  void SetUpSession(soci::session& s);
  // pool_.lease(), counting the connections in use and the time spent waiting for one.
  size_t LeaseCounted();
  void CountRetry(Failure::Cause cause);
  std::shared_ptr<const WriteHook> Hook();
  void Backoff(int attempt);

  // Runs `body` in a transaction of `mode` on a pooled connection, retrying the whole
  // transaction after deadlocks, lock-wait timeouts and lost connections. A non-OK status from
  // `body` rolls back and is returned as is. `check` settles a COMMIT whose answer was lost;
  // without one the body is taken to be safe to run again.
  absl::Status Transact(std::string_view op, TxMode mode, const TxBody& body,
                        const CommitCheck* check = nullptr);
  absl::StatusOr<CommitOutcome> SettleCommit(const CommitCheck& check);

  // The statements of CreateClaim and ApplyDecision, inside their transaction.
  absl::Status WriteDecision(Conn& conn, const workflow::Claim& after,
                             const workflow::Decision& decision, const WriteOptions& options,
                             const std::string& write_token, bool create, const WriteHook* hook);
  absl::Status Validate(const workflow::Claim& after, const workflow::Decision& decision,
                        const WriteOptions& options) const;
  // The evidence rows of a decision and their content: inline content split into chunks, and
  // staged uploads published (WriteOptions::published_uploads), inside its transaction.
  absl::Status InsertEvidence(Conn& conn, const std::string& claim_id,
                              const std::vector<workflow::Evidence>& evidence,
                              const std::vector<std::string>& published_uploads,
                              absl::Time id_time);
  // Numbers committed events that have no sequence yet (MySQL), one pass of a few hundred;
  // returns how many it numbered.
  absl::StatusOr<int> SequencePendingEvents();
  // The outbox rows of a decision on `after`, inside its transaction.
  void AppendEvents(Conn& conn, const workflow::Claim& after,
                    const std::vector<workflow::Event>& events);

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
  std::atomic<int64_t> statements_{0};

  // SQLite files: checkpoints off the request path (StorageOptions::sqlite_checkpoint_interval),
  // on a connection of their own.
  void RunCheckpoints();
  std::unique_ptr<soci::session> checkpoint_session_;
  // Write transactions pass it while background checkpoints run; the checkpointer closes it
  // for the one checkpoint that must see no commit arrive (RunCheckpoints). Closing stops new
  // write transactions at once and waits only for those already inside.
  class WriteGate {
   public:
    void Enter();
    void Leave();
    void Close();
    void Open();

   private:
    absl::Mutex mu_;
    int inside_ ABSL_GUARDED_BY(mu_) = 0;
    bool closed_ ABSL_GUARDED_BY(mu_) = false;
  };
  // Passes the gate for one write transaction, or does nothing when given none.
  class GatePass {
   public:
    explicit GatePass(WriteGate* gate);
    ~GatePass();
    GatePass(const GatePass&) = delete;
    GatePass& operator=(const GatePass&) = delete;

   private:
    WriteGate* gate_;
  };
  WriteGate write_gate_;
  bool gate_writes_ = false;
  absl::Mutex checkpoint_mu_;
  bool stop_checkpoints_ ABSL_GUARDED_BY(checkpoint_mu_) = false;
  std::thread checkpointer_;

  // Ping's own connection, so a health check never queues behind a busy pool.
  absl::Mutex ping_mu_;
  std::unique_ptr<soci::session> ping_session_ ABSL_GUARDED_BY(ping_mu_);
};

}  // namespace claims::storage::internal
