#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/string_view.h"
#include "storage/internal/url.h"

// Every SQL statement the SOCI repository issues, and the few places where MySQL and SQLite
// differ. The benchmark's direct-SQL baseline uses the same statements.
namespace claims::storage::internal {

// The columns of a claims row, in the order ClaimRow binds them.
inline constexpr std::string_view kClaimColumns =
    "id, partner_id, mpn_id, customer_tenant_id, customer_name, customer_contact_name, "
    "customer_contact_email, customer_contact_phone, partner_contact_name, "
    "partner_contact_email, partner_contact_phone, products, activity, workflow_name, "
    "workflow_version, state, state_entered_at, sla_status, next_deadline, evidence_count, "
    "facts, version, create_time, update_time, created_by";

inline constexpr std::string_view kInsertClaim =
    "INSERT INTO claims (id, partner_id, mpn_id, customer_tenant_id, customer_name, "
    "customer_contact_name, customer_contact_email, customer_contact_phone, "
    "partner_contact_name, partner_contact_email, partner_contact_phone, products, activity, "
    "workflow_name, workflow_version, state, state_entered_at, sla_status, next_deadline, "
    "evidence_count, facts, version, create_time, update_time, created_by, write_token, "
    "history_count, partition_id) "
    "VALUES (:id, :partner_id, :mpn_id, :customer_tenant_id, :customer_name, "
    ":customer_contact_name, :customer_contact_email, :customer_contact_phone, "
    ":partner_contact_name, :partner_contact_email, :partner_contact_phone, :products, "
    ":activity, :workflow_name, :workflow_version, :state, :state_entered_at, :sla_status, "
    ":next_deadline, :evidence_count, :facts, :version, :create_time, :update_time, "
    ":created_by, :write_token, :history_count, :partition_id)";

// The version check: matches no row unless the stored version is still the expected one.
// partner_id, workflow_name, create_time and created_by never change after creation;
// workflow_version changes only when a decision migrates the claim (Decision::workflow_version),
// written here every time so migration costs the normal decision path no statement. The dialect
// appends how history_count grows by :history_added and how the new count comes back.
inline constexpr std::string_view kUpdateClaimPrefix =
    "UPDATE claims SET mpn_id = :mpn_id, customer_tenant_id = :customer_tenant_id, "
    "customer_name = :customer_name, customer_contact_name = :customer_contact_name, "
    "customer_contact_email = :customer_contact_email, "
    "customer_contact_phone = :customer_contact_phone, "
    "partner_contact_name = :partner_contact_name, "
    "partner_contact_email = :partner_contact_email, "
    "partner_contact_phone = :partner_contact_phone, products = :products, "
    "activity = :activity, workflow_version = :workflow_version, state = :state, "
    "state_entered_at = :state_entered_at, sla_status = :sla_status, next_deadline = "
    ":next_deadline, "
    "evidence_count = :evidence_count, facts = :facts, version = :version, "
    "update_time = :update_time, write_token = :write_token, ";
inline constexpr std::string_view kUpdateClaimWhere =
    " WHERE id = :id AND version = :expected_version";

inline constexpr std::string_view kSelectClaimVersion =
    "SELECT version, write_token FROM claims WHERE id = :id";

// A claim and its timers in one statement (one round trip, one snapshot): one row per timer, or
// one row with empty timer columns when it has none.
inline constexpr std::string_view kSelectClaimWithTimers =
    "SELECT c.id, c.partner_id, c.mpn_id, c.customer_tenant_id, c.customer_name, "
    "c.customer_contact_name, c.customer_contact_email, c.customer_contact_phone, "
    "c.partner_contact_name, c.partner_contact_email, c.partner_contact_phone, c.products, "
    "c.activity, c.workflow_name, c.workflow_version, c.state, c.state_entered_at, "
    "c.sla_status, c.next_deadline, c.evidence_count, c.facts, c.version, c.create_time, "
    "c.update_time, c.created_by, COALESCE(t.name, ''), COALESCE(t.status, ''), "
    "COALESCE(t.started_at, 0), COALESCE(t.due_at, 0), COALESCE(t.warn_at, 0), "
    "COALESCE(t.warned, 0), COALESCE(t.remaining_us, 0) "
    "FROM claims c LEFT JOIN timers t ON t.claim_id = c.id WHERE c.id = :id "
    "ORDER BY t.position, t.name";

inline constexpr std::string_view kTimerColumns =
    "name, status, started_at, due_at, warn_at, warned, remaining_us";
inline constexpr std::string_view kInsertTimersPrefix =
    "INSERT INTO timers (claim_id, name, position, status, started_at, due_at, warn_at, warned, "
    "remaining_us, next_fire_at) VALUES ";
inline constexpr std::string_view kTimerRow =
    "(:claim_id, :name, :position, :status, :started_at, :due_at, :warn_at, :warned, "
    ":remaining_us, :next_fire_at)";
inline constexpr std::string_view kSelectTimers =
    "SELECT name, status, started_at, due_at, warn_at, warned, remaining_us FROM timers "
    "WHERE claim_id = :claim_id ORDER BY position, name";
// Non-armed timers carry next_fire_at = the largest BIGINT, so the minimum over the whole index
// is the next due time, read from one end of timers_by_next_fire.
inline constexpr std::string_view kSelectNextTimerDue =
    "SELECT COALESCE(MIN(next_fire_at), 9223372036854775807) FROM timers";

// Multi-row inserts: the prefix, then one row per value (RowsSql), so a decision's entries of
// one kind take one statement.
inline constexpr std::string_view kInsertHistoryPrefix =
    "INSERT INTO history (claim_id, sequence, kind, name, actor_id, perspective, time, details) "
    "VALUES ";
inline constexpr std::string_view kHistoryRow =
    "(:claim_id, :sequence, :kind, :name, :actor_id, :perspective, :time, :details)";
inline constexpr std::string_view kSelectHistory =
    "SELECT sequence, kind, name, actor_id, perspective, time, details FROM history "
    "WHERE claim_id = :claim_id ORDER BY sequence";
// A keyset range of a claim's history on the primary key (claim_id, sequence): a deep page
// seeks as fast as the first.
inline constexpr std::string_view kSelectHistoryRange =
    "SELECT sequence, kind, name, actor_id, perspective, time, details FROM history "
    "WHERE claim_id = :claim_id AND sequence > :after ORDER BY sequence LIMIT :limit";

inline constexpr std::string_view kInsertCommentPrefix =
    "INSERT INTO comments (claim_id, id, author_id, perspective, text, visibility, create_time) "
    "VALUES ";
inline constexpr std::string_view kCommentRow =
    "(:claim_id, :id, :author_id, :perspective, :text, :visibility, :create_time)";
inline constexpr std::string_view kSelectAllComments =
    "SELECT id, author_id, perspective, text, visibility, create_time FROM comments "
    "WHERE claim_id = :claim_id ORDER BY create_time, id";
inline constexpr std::string_view kSelectPublicComments =
    "SELECT id, author_id, perspective, text, visibility, create_time FROM comments "
    "WHERE claim_id = :claim_id AND visibility = 'public' ORDER BY create_time, id";

inline constexpr std::string_view kInsertEvidencePrefix =
    "INSERT INTO evidence (claim_id, id, file_name, content_type, size_bytes, sha256, "
    "uploaded_by, upload_time) VALUES ";
inline constexpr std::string_view kEvidenceRow =
    "(:claim_id, :id, :file_name, :content_type, :size_bytes, :sha256, :uploaded_by, "
    ":upload_time)";
inline constexpr std::string_view kSelectEvidenceMetadata =
    "SELECT id, file_name, content_type, size_bytes, sha256, uploaded_by, upload_time "
    "FROM evidence WHERE claim_id = :claim_id ORDER BY upload_time, id";
inline constexpr std::string_view kSelectOneEvidenceMetadata =
    "SELECT id, file_name, content_type, size_bytes, sha256, uploaded_by, upload_time "
    "FROM evidence WHERE claim_id = :claim_id AND id = :id";

// The outbox (docs/storage.md, "The outbox"). A decision's events are one multi-row insert;
// each row takes its partition from the claim row, which the transaction holds already.
inline constexpr std::string_view kInsertEventPrefix =
    "INSERT INTO events (sequence, partition_id, type, claim_id, partner_id, time, attributes) "
    "VALUES ";
// SQLite: one writer at a time, so the writer takes the sequences itself.
inline constexpr std::string_view kBumpEventCounterReturning =
    "UPDATE event_counter SET last_sequence = last_sequence + :count WHERE id = 1 "
    "RETURNING last_sequence";
// MySQL: the sequencer pass, run by readers in a transaction of its own. It locks the counter
// row (readers only ever touch it), takes the oldest unsequenced events that have committed
// (a consistent read: it never waits for a writer), numbers them in insertion order and moves
// the counter on.
inline constexpr std::string_view kSelectPendingEvent =
    "SELECT id FROM events WHERE sequence IS NULL ORDER BY id LIMIT 1";
inline constexpr std::string_view kLockEventCounter =
    "SELECT last_sequence FROM event_counter WHERE id = 1 FOR UPDATE";
inline constexpr std::string_view kSelectPendingEvents =
    "SELECT id FROM events WHERE sequence IS NULL ORDER BY id LIMIT :limit";
// ... "UPDATE events SET sequence = :base + FIELD(id, ids) WHERE id IN (ids)": the ids ascend,
// so FIELD's position is the rank. By the unique key on id (migration 0007), so it locks
// just those rows.
inline constexpr std::string_view kSetEventCounter =
    "UPDATE event_counter SET last_sequence = :last WHERE id = 1";
// Reading the outbox: kSelectEventsPrefix, the index hint, then one of the conditions.
inline constexpr std::string_view kSelectEventsPrefix =
    "SELECT sequence, partition_id, type, claim_id, partner_id, time, attributes FROM events";
inline constexpr std::string_view kCondEventsAfter =
    " WHERE sequence > :after ORDER BY sequence LIMIT :max_events";
inline constexpr std::string_view kCondPartitionEventsAfter =
    " WHERE partition_id = :partition AND sequence > :after ORDER BY sequence LIMIT :max_events";
inline constexpr std::string_view kSelectPurgedThrough =
    "SELECT purged_through FROM event_counter WHERE id = 1";
// Retention: the next oldest events, then the prefix of them older than the cut removed by
// sequence range, with the counter row held so the purge and the sequencer take turns.
inline constexpr std::string_view kSelectOldestEvents =
    "SELECT sequence, time FROM events WHERE sequence > :after ORDER BY sequence "
    "LIMIT :limit";
inline constexpr std::string_view kDeleteEventsThrough =
    "DELETE FROM events WHERE sequence > :after AND sequence <= :through";
inline constexpr std::string_view kSetPurgedThrough =
    "UPDATE event_counter SET purged_through = :through WHERE id = 1";

// An expired record no longer guards its request id: when the insert finds the key taken, the
// expired record is removed and the insert made again.
inline constexpr std::string_view kDeleteExpiredIdempotencyKey =
    "DELETE FROM idempotency WHERE scope = :scope AND request_id = :request_id "
    "AND expire_time <= :now";
inline constexpr std::string_view kInsertIdempotency =
    "INSERT INTO idempotency (scope, request_id, request_hash, response, expire_time) "
    "VALUES (:scope, :request_id, :request_hash, :response, :expire_time)";
inline constexpr std::string_view kSelectIdempotency =
    "SELECT request_hash, response, expire_time FROM idempotency "
    "WHERE scope = :scope AND request_id = :request_id AND expire_time > :now";
inline constexpr std::string_view kSelectIdempotencyHash =
    "SELECT request_hash FROM idempotency WHERE scope = :scope AND request_id = :request_id";

inline constexpr std::string_view kInsertWorkflow =
    "INSERT INTO workflows (name, version, sha256, source, create_time) "
    "VALUES (:name, :version, :sha256, :source, :create_time)";
inline constexpr std::string_view kSelectWorkflow =
    "SELECT name, version, sha256, source, create_time FROM workflows "
    "WHERE name = :name AND version = :version";
inline constexpr std::string_view kSelectWorkflows =
    "SELECT name, version, sha256, source, create_time FROM workflows ORDER BY name, version";

// ListClaims: kSelectClaimsPrefix, then " WHERE " and the conditions that apply joined by
// " AND ", then kListClaimsOrder. Each condition is served by one of the claims_by_* indexes.
inline constexpr std::string_view kCondPartner = "partner_id = :partner_id";
inline constexpr std::string_view kCondState = "state = :state";
inline constexpr std::string_view kCondBreached = "sla_status = 'breached'";
inline constexpr std::string_view kCondNotBreached = "sla_status <> 'breached'";
inline constexpr std::string_view kCondDeadlineBefore = "next_deadline < :deadline_before";
inline constexpr std::string_view kCondDeadlineAfter = "next_deadline >= :deadline_after";
inline constexpr std::string_view kCondCreatedAfter = "create_time >= :created_after";
inline constexpr std::string_view kCondCreatedBefore = "create_time < :created_before";
// Keyset pagination on (create_time desc, id desc): strictly after the last row returned.
inline constexpr std::string_view kCondAfterKey =
    "(create_time < :key_time OR (create_time = :key_time2 AND id < :key_id))";
inline constexpr std::string_view kListClaimsOrder =
    " ORDER BY create_time DESC, id DESC LIMIT :limit";

// ListClaimsOfWorkflow: kSelectClaimsOfWorkflowPrefix with the claims_by_workflow hint, then
// kCondWorkflow, " AND state IN (" placeholders ")" when states are given, kListByIdOrder. The
// index (workflow_name, workflow_version, id, state) covers all of it: the state filter and the
// columns come from it, the order is its id order, and no claim row is read.
inline constexpr std::string_view kSelectClaimsOfWorkflowPrefix = "SELECT id, state FROM claims";
inline constexpr std::string_view kCondWorkflow =
    " WHERE workflow_name = :workflow_name AND workflow_version = :workflow_version "
    "AND id > :after_id";
inline constexpr std::string_view kListByIdOrder = " ORDER BY id LIMIT :limit";
inline constexpr std::string_view kCountClaimsOfWorkflowPrefix = "SELECT COUNT(*) FROM claims";
inline constexpr std::string_view kCondWorkflowAll =
    " WHERE workflow_name = :workflow_name AND workflow_version = :workflow_version";

// Timers of the claims on one page: "... WHERE claim_id IN (" + placeholders + ")".
inline constexpr std::string_view kSelectTimersOfClaimsPrefix =
    "SELECT claim_id, name, status, started_at, due_at, warn_at, warned, remaining_us "
    "FROM timers WHERE claim_id IN (";
inline constexpr std::string_view kSelectTimersOfClaimsOrder =
    ") ORDER BY claim_id, position, name";

inline constexpr std::string_view kCommit = "COMMIT";
inline constexpr std::string_view kRollback = "ROLLBACK";

// `prefix`, then `rows` copies of `row` separated by ", " with every ":name" placeholder
// renamed ":name_<i>" in the i-th, then `suffix`.
std::string RowsSql(std::string_view prefix, std::string_view row, size_t rows,
                    std::string_view suffix = "");

// The statements that differ between backends.
struct Dialect {
  Backend backend;
  std::string_view name;  // the storage/migrations/<name> directory
  // Run on every new or reconnected session.
  std::vector<std::string> session_setup;
  std::string begin_write;
  // A transaction whose reads all see one snapshot.
  std::vector<std::string> begin_read;
  std::string select_claim;  // no lock
  // Locks the row for a timer sweep, or returns nothing if another transaction holds it, so a
  // sweeper never waits on a claim while holding timer locks.
  std::string select_claim_for_sweep;
  // Due timers no other sweeper holds, oldest first.
  std::string select_due_timers;
  // Timer rows (RowsSql with kTimerRow) are followed by this, so a row that exists is updated.
  std::string upsert_timer_suffix;
  // How kUpdateClaimPrefix ends: history_count grows by :history_added and the new count comes
  // back without a read: on MySQL through LAST_INSERT_ID(expr), on SQLite through RETURNING
  // (the statement then yields a row when it matched).
  std::string update_claim;
  bool update_claim_returns_history_count = false;
  // A history row's sequence after update_claim: the count it left minus :back (MySQL reads it
  // with LAST_INSERT_ID()); on SQLite, whose update returned the count, the value itself.
  std::string history_row_after_update;
  // Whether writers number their events themselves (kBumpEventCounterReturning) or leave them
  // to the sequencer pass; and an event row of kInsertEventPrefix, with :sequence when they do.
  bool sequences_at_write = false;
  std::string event_row;
  // The retention mark, read under the counter row's lock (SQLite: the write transaction).
  std::string lock_purged_through;
  // Retention batches: idempotency records expired at :now, at most :limit of them.
  std::string purge_idempotency_batch;
  std::string select_claims_prefix;  // ListClaims, before " WHERE "
  // Names the index a listing reads ("claims FORCE INDEX (x)", "claims INDEXED BY x"): with a
  // LIMIT and ORDER BY create_time the optimizer may walk claims_by_create and filter, cheap on a
  // small table and a scan of the archive on a large one (docs/storage.md, "Cost as data grows").
  // Literals, held as views: assigning these short strings to std::string members trips a false
  // -Wrestrict in GCC 12 at -O3 (the Release build of the benchmarks).
  absl::string_view index_hint_prefix;
  absl::string_view index_hint_suffix;
};

const Dialect& DialectFor(Backend backend);

}  // namespace claims::storage::internal
