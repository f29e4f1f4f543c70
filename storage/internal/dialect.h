#pragma once

#include <string>
#include <string_view>
#include <vector>

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
    "evidence_count, facts, version, create_time, update_time, created_by, write_token) "
    "VALUES (:id, :partner_id, :mpn_id, :customer_tenant_id, :customer_name, "
    ":customer_contact_name, :customer_contact_email, :customer_contact_phone, "
    ":partner_contact_name, :partner_contact_email, :partner_contact_phone, :products, "
    ":activity, :workflow_name, :workflow_version, :state, :state_entered_at, :sla_status, "
    ":next_deadline, :evidence_count, :facts, :version, :create_time, :update_time, "
    ":created_by, :write_token)";

// The version check: matches no row unless the stored version is still the expected one.
// partner_id, workflow, create_time and created_by never change after creation.
inline constexpr std::string_view kUpdateClaim =
    "UPDATE claims SET mpn_id = :mpn_id, customer_tenant_id = :customer_tenant_id, "
    "customer_name = :customer_name, customer_contact_name = :customer_contact_name, "
    "customer_contact_email = :customer_contact_email, "
    "customer_contact_phone = :customer_contact_phone, "
    "partner_contact_name = :partner_contact_name, "
    "partner_contact_email = :partner_contact_email, "
    "partner_contact_phone = :partner_contact_phone, products = :products, "
    "activity = :activity, state = :state, state_entered_at = :state_entered_at, "
    "sla_status = :sla_status, next_deadline = :next_deadline, "
    "evidence_count = :evidence_count, facts = :facts, version = :version, "
    "update_time = :update_time, write_token = :write_token "
    "WHERE id = :id AND version = :expected_version";

inline constexpr std::string_view kSelectClaimVersion =
    "SELECT version, write_token FROM claims WHERE id = :id";

inline constexpr std::string_view kTimerColumns =
    "name, status, started_at, due_at, warn_at, warned, remaining_us";
inline constexpr std::string_view kSelectTimers =
    "SELECT name, status, started_at, due_at, warn_at, warned, remaining_us FROM timers "
    "WHERE claim_id = :claim_id ORDER BY position, name";
// Non-armed timers carry next_fire_at = the largest BIGINT, so the minimum over the whole index
// is the next due time, read from one end of timers_by_next_fire.
inline constexpr std::string_view kSelectNextTimerDue =
    "SELECT COALESCE(MIN(next_fire_at), 9223372036854775807) FROM timers";

inline constexpr std::string_view kSelectMaxHistorySequence =
    "SELECT COALESCE(MAX(sequence), 0) FROM history WHERE claim_id = :claim_id";
inline constexpr std::string_view kInsertHistory =
    "INSERT INTO history (claim_id, sequence, kind, name, actor_id, perspective, time, details) "
    "VALUES (:claim_id, :sequence, :kind, :name, :actor_id, :perspective, :time, :details)";
inline constexpr std::string_view kSelectHistory =
    "SELECT sequence, kind, name, actor_id, perspective, time, details FROM history "
    "WHERE claim_id = :claim_id ORDER BY sequence";

inline constexpr std::string_view kInsertComment =
    "INSERT INTO comments (claim_id, id, author_id, perspective, text, visibility, create_time) "
    "VALUES (:claim_id, :id, :author_id, :perspective, :text, :visibility, :create_time)";
inline constexpr std::string_view kSelectAllComments =
    "SELECT id, author_id, perspective, text, visibility, create_time FROM comments "
    "WHERE claim_id = :claim_id ORDER BY create_time, id";
inline constexpr std::string_view kSelectPublicComments =
    "SELECT id, author_id, perspective, text, visibility, create_time FROM comments "
    "WHERE claim_id = :claim_id AND visibility = 'public' ORDER BY create_time, id";

inline constexpr std::string_view kInsertEvidence =
    "INSERT INTO evidence (claim_id, id, file_name, content_type, size_bytes, sha256, "
    "uploaded_by, upload_time, content) VALUES (:claim_id, :id, :file_name, :content_type, "
    ":size_bytes, :sha256, :uploaded_by, :upload_time, :content)";
inline constexpr std::string_view kSelectEvidenceMetadata =
    "SELECT id, file_name, content_type, size_bytes, sha256, uploaded_by, upload_time "
    "FROM evidence WHERE claim_id = :claim_id ORDER BY upload_time, id";
inline constexpr std::string_view kSelectEvidence =
    "SELECT id, file_name, content_type, size_bytes, sha256, uploaded_by, upload_time, content "
    "FROM evidence WHERE claim_id = :claim_id AND id = :id";

// Outbox sequences: the counter row is locked until commit, so event-writing transactions
// commit in sequence order (see migrations/*/0001_initial.sql). Issued last in a transaction to
// hold that lock as briefly as possible.
inline constexpr std::string_view kBumpEventCounter =
    "UPDATE event_counter SET last_sequence = last_sequence + :count WHERE id = 1";
inline constexpr std::string_view kSelectEventCounter =
    "SELECT last_sequence FROM event_counter WHERE id = 1";
inline constexpr std::string_view kInsertEvent =
    "INSERT INTO events (sequence, type, claim_id, partner_id, time, attributes) "
    "VALUES (:sequence, :type, :claim_id, :partner_id, :time, :attributes)";
inline constexpr std::string_view kSelectEvents =
    "SELECT sequence, type, claim_id, partner_id, time, attributes FROM events "
    "WHERE sequence > :after ORDER BY sequence LIMIT :max_events";

// An expired record no longer guards its request id, so it is removed before the insert that
// may reuse the id.
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
inline constexpr std::string_view kPurgeIdempotency =
    "DELETE FROM idempotency WHERE expire_time <= :now";

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

// Timers of the claims on one page: "... WHERE claim_id IN (" + placeholders + ")".
inline constexpr std::string_view kSelectTimersOfClaimsPrefix =
    "SELECT claim_id, name, status, started_at, due_at, warn_at, warned, remaining_us "
    "FROM timers WHERE claim_id IN (";
inline constexpr std::string_view kSelectTimersOfClaimsOrder =
    ") ORDER BY claim_id, position, name";

inline constexpr std::string_view kCommit = "COMMIT";
inline constexpr std::string_view kRollback = "ROLLBACK";

// The statements that differ between backends.
struct Dialect {
  Backend backend;
  std::string_view name;  // the storage/migrations/<name> directory
  // Run on every new or reconnected session.
  std::vector<std::string> session_setup;
  std::string begin_write;
  // A transaction whose reads all see one snapshot.
  std::vector<std::string> begin_read;
  std::string select_claim;             // no lock
  std::string select_claim_for_update;  // locks the row until commit
  // Locks the row for a timer sweep, or returns nothing if another transaction holds it, so a
  // sweeper never waits on a claim while holding timer locks.
  std::string select_claim_for_sweep;
  // Due timers no other sweeper holds, oldest first.
  std::string select_due_timers;
  std::string upsert_timer;
  std::string select_claims_prefix;  // ListClaims, before " WHERE "
};

const Dialect& DialectFor(Backend backend);

}  // namespace claims::storage::internal
