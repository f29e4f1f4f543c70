#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "workflow/claim.h"
#include "workflow/decision.h"

namespace claims::storage {

// A published workflow definition. Claims are pinned to (name, version); a published version is
// immutable, so the same (name, version) with another sha256 is refused.
struct WorkflowRecord {
  std::string name;
  int64_t version = 0;
  std::string sha256_hex;
  std::string source;  // the YAML text as published
  absl::Time create_time = absl::InfinitePast();
};

// The stored answer to a request that carried a request id, so a retry gets the same answer.
// `scope` keeps request ids of different callers apart (e.g. "partner/<id>/actor/<id>");
// `request_hash` detects a reused request id with a different request.
struct IdempotencyRecord {
  std::string scope;
  std::string request_id;
  std::string request_hash;
  std::string response;  // opaque bytes (the server's serialized response)
  absl::Time expire_time = absl::InfiniteFuture();
};

struct WriteOptions {
  std::optional<IdempotencyRecord> idempotency;  // inserted in the same transaction
  // Ids of evidence in the decision whose content was staged by BeginEvidenceUpload: the
  // transaction publishes those uploads instead of storing the evidence's inline content, and
  // fails with FAILED_PRECONDITION (writing nothing) if one of them is not staged any more.
  std::vector<std::string> published_uploads;
};

struct ClaimFilter {
  std::string partner_id;  // empty: every partner (reviewers)
  std::optional<std::string> state;
  std::optional<bool> sla_breached;
  std::optional<absl::Time> deadline_before;  // next_deadline < this
  std::optional<absl::Time> deadline_after;   // next_deadline >= this
  std::optional<absl::Time> created_after;    // create_time >= this
  std::optional<absl::Time> created_before;   // create_time < this
};

struct ClaimPage {
  std::vector<workflow::Claim> claims;
  std::string next_page_token;  // empty on the last page
};

struct ClaimDetails {
  workflow::Claim claim;
  std::vector<workflow::Evidence> evidence;     // metadata only, in upload order
  std::vector<workflow::Comment> comments;      // filtered for the viewer, oldest first
  std::vector<workflow::HistoryEntry> history;  // oldest first
  // Whether entries past the last one in `history` exist (a HistoryRange cut it short).
  bool more_history = false;
};

// A claim of one workflow version as its index holds it, for paging through the version.
struct ClaimOfWorkflow {
  std::string id;
  std::string state;
};

// Which part of a claim's history GetClaimDetails reads: a keyset range over the per-claim
// sequence, so a page deep into a long history costs what the first one does.
struct HistoryRange {
  int64_t after_sequence = 0;  // entries with a larger sequence
  int max_entries = 0;         // at most this many; 0: every one
  // Leave evidence and comments out (the later pages of a paginated history need only the
  // claim and the entries).
  bool history_only = false;
};

// What a timer sweeper does with one due timer, inside the transaction that claimed it: the
// claim as it will be stored and the decision that got it there, or nullopt to leave it.
struct AppliedDecision {
  workflow::Claim after;
  workflow::Decision decision;
};
using TimerFirer = std::function<std::optional<AppliedDecision>(
    const workflow::Claim& claim, const workflow::TimerInstance& timer)>;

// A timer firing that a committed transaction applied.
struct FiredTimer {
  std::string claim_id;
  std::string timer;
  std::string from_state;
  std::string to_state;
};

// An outbox event with the partition it belongs to: its claim's, fixed when the claim was
// created.
struct OutboxEvent {
  workflow::Event event;
  int partition = 0;
};

// Which outbox events to read.
struct EventQuery {
  int64_t after_sequence = 0;    // events with a larger sequence
  std::optional<int> partition;  // only this partition's; nullopt: every partition
  int max_events = 100;
};

struct EventPage {
  std::vector<OutboxEvent> events;  // ascending sequence, at most max_events
  // Every sequence at or below this was removed by retention (0: nothing was), read after the
  // events: a reader whose position is positive and below it has missed events.
  int64_t purged_through = 0;
};

// The most one call of a purge method removes, so a large backlog never holds its caller for
// long: a call that returns this many leaves more for the next.
inline constexpr int64_t kPurgeLimitPerCall = 10000;

// How the repository's connections and transactions are doing, for metrics. Counters only grow.
struct StorageStats {
  int pool_size = 0;
  int connections_in_use = 0;
  int64_t connection_waits = 0;  // leases that found every connection busy
  absl::Duration connection_wait_time = absl::ZeroDuration();  // total time those waited
  // Transactions run again, by cause.
  int64_t retries_deadlock = 0;
  int64_t retries_lock_timeout = 0;
  int64_t retries_busy = 0;  // SQLite BUSY/LOCKED
  int64_t retries_connection_lost = 0;
  // Statements sent to the database, transaction control (BEGIN, COMMIT, ROLLBACK) included:
  // round trips, on a client-server backend.
  int64_t statements = 0;
};

// Durable state of claims. Every mutation is one transaction: it happens whole or not at all.
// Implementations are thread-safe. Errors: NOT_FOUND (no such row), ABORTED (version moved on,
// or a deadlock that retries did not resolve), ALREADY_EXISTS (duplicate id, request id or
// workflow version), UNAVAILABLE (database unreachable after retries), INVALID_ARGUMENT (bad
// page token, evidence over the size limit), INTERNAL (anything else).
class Repository {
 public:
  virtual ~Repository() = default;

  // Stores a published workflow. Idempotent for the same (name, version, sha256).
  virtual absl::Status SaveWorkflow(const WorkflowRecord& workflow) = 0;
  virtual absl::StatusOr<WorkflowRecord> GetWorkflow(std::string_view name, int64_t version) = 0;
  virtual absl::StatusOr<std::vector<WorkflowRecord>> ListWorkflows() = 0;

  // Inserts `claim` (version 1, id already assigned) with what `decision` adds: history,
  // timers, events, comments, evidence.
  virtual absl::Status CreateClaim(const workflow::Claim& claim, const workflow::Decision& decision,
                                   const WriteOptions& options) = 0;

  // The claim with its timers.
  virtual absl::StatusOr<workflow::Claim> GetClaim(std::string_view claim_id) = 0;

  // The claim with evidence metadata, the comments `viewer` may see, and the history entries
  // in `range`. INVALID_ARGUMENT for a negative after_sequence or max_entries.
  virtual absl::StatusOr<ClaimDetails> GetClaimDetails(std::string_view claim_id,
                                                       workflow::Perspective viewer,
                                                       const HistoryRange& range) = 0;
  // The same with the whole history.
  absl::StatusOr<ClaimDetails> GetClaimDetails(std::string_view claim_id,
                                               workflow::Perspective viewer) {
    return GetClaimDetails(claim_id, viewer, HistoryRange());
  }

  // Claims matching `filter`, newest first (create_time desc, id desc), keyset-paginated.
  virtual absl::StatusOr<ClaimPage> ListClaims(const ClaimFilter& filter, int page_size,
                                               std::string_view page_token) = 0;

  // The claims of workflow `name` version `version` whose state is one of `states` (every
  // claim of that version when `states` is empty), by id ascending: those with an id greater
  // than `after_claim_id` ("" starts at the first), at most `limit`. Read from the
  // claims_by_workflow index alone, as a keyset, so a page deep into the version costs what
  // the first one does and no claim row is read: a caller that changes claims reads each one
  // whole anyway, under the version it guards its write with. The repository does not know
  // which states are terminal: a caller that wants the running claims passes the
  // definition's non-terminal states. INVALID_ARGUMENT for a non-positive limit or one above
  // 1000.
  virtual absl::StatusOr<std::vector<ClaimOfWorkflow>> ListClaimsOfWorkflow(
      std::string_view name, int64_t version, const std::vector<std::string>& states,
      std::string_view after_claim_id, int limit) = 0;

  // How many claims ListClaimsOfWorkflow would return with no id bound and no limit, counted
  // from the index alone.
  virtual absl::StatusOr<int64_t> CountClaimsOfWorkflow(std::string_view name, int64_t version,
                                                        const std::vector<std::string>& states) = 0;

  // The page token that continues a listing right after `claim`, for a caller that cuts a page
  // short (to bound its size in bytes). Pure; never touches the database.
  virtual std::string PageTokenAfter(const workflow::Claim& claim) const = 0;

  // Replaces the claim row with `after` if the stored version is still
  // `after.version - 1`, and appends what `decision` adds. ABORTED if the version moved on.
  virtual absl::Status ApplyDecision(const workflow::Claim& after,
                                     const workflow::Decision& decision,
                                     const WriteOptions& options) = 0;

  // The stored answer for (scope, request_id) if it has not expired.
  virtual absl::StatusOr<std::optional<IdempotencyRecord>> FindIdempotencyRecord(
      std::string_view scope, std::string_view request_id, absl::Time now) = 0;

  // One evidence document with its bytes, assembled from its chunks (tests and small files;
  // streaming readers use ReadEvidenceChunk).
  virtual absl::StatusOr<workflow::Evidence> GetEvidence(std::string_view claim_id,
                                                         std::string_view evidence_id) = 0;

  // One evidence document's metadata, `content` empty. NOT_FOUND for evidence that is not
  // published (unknown, of another claim, or still being uploaded).
  virtual absl::StatusOr<workflow::Evidence> GetEvidenceMetadata(std::string_view claim_id,
                                                                 std::string_view evidence_id) = 0;

  // Chunk `index` (0, 1, ...) of the content of evidence `evidence_id` of `claim_id`; nullopt
  // past the last. Each call reads one row, so a download holds one chunk at a time. Callers
  // check first that the evidence is published (GetEvidenceMetadata).
  virtual absl::StatusOr<std::optional<std::string>> ReadEvidenceChunk(std::string_view claim_id,
                                                                       std::string_view evidence_id,
                                                                       int64_t index) = 0;

  // Streaming uploads. Content is staged chunk by chunk under `evidence_id` (a fresh id) and
  // stays invisible until a decision adding that evidence is written with the id in
  // WriteOptions::published_uploads. Each call is its own short transaction, so an upload holds
  // no connection between chunks.
  //
  // Starts staging. ALREADY_EXISTS if `evidence_id` is staged already.
  virtual absl::Status BeginEvidenceUpload(std::string_view claim_id, std::string_view evidence_id,
                                           absl::Time now) = 0;
  // Stores chunk `index` of a staged upload; chunks are numbered from 0 without gaps.
  // NOT_FOUND if the upload is not staged (never begun, published or discarded);
  // ALREADY_EXISTS for an index stored before.
  virtual absl::Status AppendEvidenceChunk(std::string_view claim_id, std::string_view evidence_id,
                                           int64_t index, std::string_view data) = 0;
  // Removes a staged upload and its chunks. Does nothing for a published or unknown one, so it
  // is safe to call whatever became of the upload.
  virtual absl::Status DiscardEvidenceUpload(std::string_view claim_id,
                                             std::string_view evidence_id) = 0;
  // Discards uploads begun before `cutoff` and never published (their server went away
  // mid-upload); returns how many (at most kPurgeLimitPerCall).
  virtual absl::StatusOr<int64_t> PurgeAbandonedEvidenceUploads(absl::Time cutoff) = 0;

  // Claims up to `batch_size` timers due at `now` that no other sweeper holds, and for each
  // calls `fire` and applies its result in the transaction that claimed the timer, so each
  // deadline takes effect exactly once however many sweepers run. Returns the firings the
  // committed transaction applied (`fire` may also have been called in attempts that were
  // rolled back and retried; only what committed is returned).
  virtual absl::StatusOr<std::vector<FiredTimer>> FireDueTimers(absl::Time now, int batch_size,
                                                                const TimerFirer& fire) = 0;

  // When the earliest armed timer next needs a sweep; InfiniteFuture if none.
  virtual absl::StatusOr<absl::Time> NextTimerDue() = 0;

  // Outbox events after query.after_sequence, in sequence order. Sequences are one order over
  // every partition, consistent with the order each claim's transactions committed, and become
  // visible in that order: a reader that resumes after the last sequence it saw never misses an
  // event committed later, and never sees one twice. INVALID_ARGUMENT for a negative position,
  // a partition outside [0, EventPartitions()) or a non-positive max_events.
  virtual absl::StatusOr<EventPage> ReadOutbox(const EventQuery& query) = 0;

  // ReadOutbox over every partition, the events alone.
  absl::StatusOr<std::vector<workflow::Event>> ReadEvents(int64_t after_sequence, int max_events) {
    absl::StatusOr<EventPage> page = ReadOutbox({after_sequence, std::nullopt, max_events});
    if (!page.ok()) return page.status();
    std::vector<workflow::Event> events;
    events.reserve(page->events.size());
    for (OutboxEvent& e : page->events) events.push_back(std::move(e.event));
    return events;
  }

  // How many partitions new claims are spread over (StorageOptions::event_partitions).
  virtual int EventPartitions() const = 0;

  // Removes idempotency records that expired at or before `now`, in batches of a few hundred
  // rows, each its own short transaction, so writers never wait long behind it; returns how
  // many (at most kPurgeLimitPerCall).
  virtual absl::StatusOr<int64_t> PurgeExpiredIdempotencyRecords(absl::Time now) = 0;

  // Removes outbox events older than the configured retention (StorageOptions::event_retention)
  // at `now`, oldest first, in batches as above; returns how many (at most kPurgeLimitPerCall,
  // give or take a batch). Readers then find
  // EventPage::purged_through above the positions they could resume from.
  virtual absl::StatusOr<int64_t> PurgeOldEvents(absl::Time now) = 0;

  // Whether the database answers a trivial query within `timeout`, on a connection of its own
  // (never waits for the pool, never retries), so a health check tells a dead database from a
  // busy one. UNAVAILABLE (or DEADLINE_EXCEEDED) when it does not. Thread-safe; calls are
  // serialised.
  virtual absl::Status Ping(absl::Duration timeout) = 0;

  // A snapshot of the connection pool and retry counters. Cheap; never touches the database.
  virtual StorageStats Stats() const = 0;
};

}  // namespace claims::storage
