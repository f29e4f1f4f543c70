#include <soci/soci.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "storage/ids.h"
#include "storage/internal/codec.h"
#include "storage/internal/rows.h"
#include "storage/internal/soci_repository_impl.h"
#include "storage/internal/status_macros.h"
#include "storage/internal/strings.h"

namespace claims::storage::internal {

using workflow::Claim;
using workflow::Decision;

absl::Status SociRepository::Validate(const Claim& after, const Decision& decision,
                                      const WriteOptions& options) const {
  if (after.id.empty()) return absl::InvalidArgumentError("claim id is empty");
  for (const workflow::Evidence& e : decision.evidence) {
    // Staged content was measured and limited by whoever streamed it in; the limit here is
    // for content carried inline, in one message.
    if (std::find(options.published_uploads.begin(), options.published_uploads.end(), e.id) !=
        options.published_uploads.end()) {
      continue;
    }
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

namespace {

// Inserts the request's idempotency record. A live record for the key is ALREADY_EXISTS; an
// expired one is removed and the insert made again, so the common case is one statement.
absl::Status InsertIdempotency(Conn& s, const IdempotencyRecord& rec, int64_t now) {
  const int64_t expire = EncodeTime(rec.expire_time);
  auto insert = [&] {
    Stmt ins(s);
    ins.Use(rec.scope).Use(rec.request_id).Use(rec.request_hash).Use(rec.response).Use(expire);
    ins.Run(kInsertIdempotency);
  };
  try {
    insert();
    return absl::OkStatus();
  } catch (...) {
    // Both backends keep the transaction after a failed statement: only the insert is undone.
    Failure failure = ClassifyCurrentException();
    if (failure.kind != Failure::kFinal || !absl::IsAlreadyExists(failure.status)) throw;
  }
  Stmt del(s);
  del.Use(rec.scope).Use(rec.request_id).Use(now);
  del.Run(kDeleteExpiredIdempotencyKey);
  if (del.AffectedRows() == 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("request id ", rec.request_id, " was already used in ", rec.scope));
  }
  insert();
  return absl::OkStatus();
}

// The timers a decision writes, in one statement. `position` keeps the claim's timer order
// across reads.
void UpsertTimers(Conn& s, const Dialect& dialect, const Claim& after,
                  const std::vector<workflow::TimerInstance>& timers) {
  if (timers.empty()) return;
  struct Row {
    int position;
    std::string status;
    int64_t started_at, due_at, warn_at;
    int warned;
    int64_t remaining, next_fire_at;
  };
  std::vector<Row> rows;
  rows.reserve(timers.size());
  for (const workflow::TimerInstance& t : timers) {
    auto it = std::find_if(after.timers.begin(), after.timers.end(),
                           [&](const workflow::TimerInstance& a) { return a.name == t.name; });
    rows.push_back({static_cast<int>(it - after.timers.begin()),
                    std::string(TimerStatusName(t.status)), EncodeTime(t.started_at),
                    EncodeTime(t.due_at), EncodeTime(t.warn_at), t.warned ? 1 : 0,
                    EncodeDuration(t.remaining), EncodeTime(t.NextFireAt())});
  }
  Stmt up(s);
  for (size_t i = 0; i < timers.size(); ++i) {
    const Row& r = rows[i];
    up.Use(after.id).Use(timers[i].name).Use(r.position).Use(r.status).Use(r.started_at);
    up.Use(r.due_at).Use(r.warn_at).Use(r.warned).Use(r.remaining).Use(r.next_fire_at);
  }
  up.Run(RowsSql(kInsertTimersPrefix, kTimerRow, timers.size(), dialect.upsert_timer_suffix));
}

// History entries in one statement. `numbers[i]` is what the row template binds for the i-th
// entry's sequence (the sequence itself, or MySQL's distance back from LAST_INSERT_ID()).
void InsertHistory(Conn& s, const std::string& claim_id,
                   const std::vector<workflow::HistoryEntry>& history,
                   const std::vector<int64_t>& numbers, std::string_view row) {
  if (history.empty()) return;
  struct Row {
    std::string kind, perspective;
    int64_t time;
    std::string details;
  };
  std::vector<Row> rows;
  rows.reserve(history.size());
  for (const workflow::HistoryEntry& h : history) {
    rows.push_back({std::string(HistoryKindName(h.kind)),
                    std::string(workflow::PerspectiveName(h.perspective)), EncodeTime(h.time),
                    EncodeHistoryDetails(h)});
  }
  Stmt ins(s);
  for (size_t i = 0; i < history.size(); ++i) {
    const workflow::HistoryEntry& h = history[i];
    const Row& r = rows[i];
    ins.Use(claim_id).Use(numbers[i]).Use(r.kind).Use(h.name).Use(h.actor_id).Use(r.perspective);
    ins.Use(r.time).Use(r.details);
  }
  ins.Run(RowsSql(kInsertHistoryPrefix, row, history.size()));
}

void InsertComments(Conn& s, const std::string& claim_id,
                    const std::vector<workflow::Comment>& comments, absl::Time id_time) {
  if (comments.empty()) return;
  struct Row {
    std::string id, perspective, visibility;
    int64_t time;
  };
  std::vector<Row> rows;
  rows.reserve(comments.size());
  for (const workflow::Comment& c : comments) {
    rows.push_back({c.id.empty() ? NewId(id_time) : c.id,
                    std::string(workflow::PerspectiveName(c.perspective)),
                    std::string(VisibilityName(c.visibility)), EncodeTime(c.create_time)});
  }
  Stmt ins(s);
  for (size_t i = 0; i < comments.size(); ++i) {
    const workflow::Comment& c = comments[i];
    const Row& r = rows[i];
    ins.Use(claim_id).Use(r.id).Use(c.author_id).Use(r.perspective).Use(c.text).Use(r.visibility);
    ins.Use(r.time);
  }
  ins.Run(RowsSql(kInsertCommentPrefix, kCommentRow, comments.size()));
}

}  // namespace

absl::Status SociRepository::WriteDecision(Conn& s, const Claim& after, const Decision& decision,
                                           const WriteOptions& options,
                                           const std::string& write_token, bool create,
                                           const WriteHook* hook) {
  auto step = [hook](std::string_view name) {
    return hook != nullptr ? (*hook)(name) : absl::OkStatus();
  };
  const std::string& claim_id = after.id;
  const int64_t now = EncodeTime(after.update_time);
  const absl::Time id_time =
      after.update_time == absl::InfinitePast() ? absl::Now() : after.update_time;
  const auto history_added = static_cast<int64_t>(decision.history.size());

  // First, so a duplicate request id fails before anything else is locked, and concurrent
  // duplicates queue on the key and then fail instead of racing on the claim.
  if (options.idempotency.has_value()) {
    RETURN_IF_ERROR(InsertIdempotency(s, *options.idempotency, now));
    RETURN_IF_ERROR(step("idempotency"));
  }

  // What each history row binds for its sequence: known outright on creation (1..n) and after
  // SQLite's RETURNING; on MySQL the distance back from the count the UPDATE left in
  // LAST_INSERT_ID().
  std::vector<int64_t> history_numbers(decision.history.size());
  std::string_view history_row = kHistoryRow;
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
    // The outbox partition is fixed here for the claim's life (PartitionOf).
    const int partition = PartitionOf(row.id, options_.event_partitions);
    ins.Use(row.update_time).Use(row.created_by).Use(write_token).Use(history_added);
    ins.Use(partition);
    ins.Run(kInsertClaim);
    for (int64_t i = 0; i < history_added; ++i) history_numbers[static_cast<size_t>(i)] = i + 1;
  } else {
    int64_t expected_version = after.version - 1;
    int64_t history_count = 0;
    Stmt upd(s);
    if (dialect_.update_claim_returns_history_count) upd.Into(history_count);
    upd.Use(row.mpn_id).Use(row.customer_tenant_id).Use(row.customer_name);
    upd.Use(row.customer_contact_name).Use(row.customer_contact_email);
    upd.Use(row.customer_contact_phone).Use(row.partner_contact_name);
    upd.Use(row.partner_contact_email).Use(row.partner_contact_phone).Use(row.products);
    upd.Use(row.activity)
        .Use(row.workflow_version)
        .Use(row.state)
        .Use(row.state_entered_at)
        .Use(row.sla_status);
    upd.Use(row.next_deadline).Use(row.evidence_count).Use(row.facts).Use(row.version);
    upd.Use(row.update_time).Use(write_token).Use(history_added).Use(row.id);
    upd.Use(expected_version);
    const bool returned = upd.Run(dialect_.update_claim);
    const bool matched =
        dialect_.update_claim_returns_history_count ? returned : upd.AffectedRows() > 0;
    if (!matched) {
      int64_t stored = 0;
      std::string token;
      Stmt probe(s);
      probe.Into(stored).Into(token).Use(row.id);
      if (!probe.Run(kSelectClaimVersion)) {
        return absl::NotFoundError(absl::StrCat("claim ", Av(claim_id), " not found"));
      }
      return absl::AbortedError(absl::StrCat("version conflict: claim ", claim_id,
                                             " is at version ", stored, ", not ",
                                             expected_version));
    }
    history_row = dialect_.history_row_after_update;
    for (int64_t i = 0; i < history_added; ++i) {
      // The i-th new entry is number (count - added + i + 1).
      history_numbers[static_cast<size_t>(i)] = dialect_.update_claim_returns_history_count
                                                    ? history_count - history_added + i + 1
                                                    : history_added - i - 1;
    }
  }
  RETURN_IF_ERROR(step("claim"));

  // Timers: on creation all of them, afterwards only those the decision changed.
  UpsertTimers(s, dialect_, after, create ? after.timers : decision.timers);
  RETURN_IF_ERROR(step("timers"));

  // The claim row is locked by the insert or the version-checked update above, so no other
  // transaction can append to this claim's history until commit.
  InsertHistory(s, claim_id, decision.history, history_numbers, history_row);
  RETURN_IF_ERROR(step("history"));

  InsertComments(s, claim_id, decision.comments, id_time);
  RETURN_IF_ERROR(step("comments"));

  RETURN_IF_ERROR(
      InsertEvidence(s, claim_id, decision.evidence, options.published_uploads, id_time));
  RETURN_IF_ERROR(step("evidence"));

  AppendEvents(s, after, decision.events);
  RETURN_IF_ERROR(step("events"));
  return absl::OkStatus();
}

absl::Status SociRepository::CreateClaim(const Claim& claim, const Decision& decision,
                                         const WriteOptions& options) {
  RETURN_IF_ERROR(Validate(claim, decision, options));
  const std::string token = NewId(absl::Now());
  std::shared_ptr<const WriteHook> hook = Hook();
  CommitCheck check = [&](Conn& s) -> absl::StatusOr<CommitOutcome> {
    int64_t version = 0;
    std::string stored_token;
    Stmt probe(s);
    probe.Into(version).Into(stored_token).Use(claim.id);
    if (!probe.Run(kSelectClaimVersion)) return CommitOutcome::kNotCommitted;
    return stored_token == token || version > claim.version ? CommitOutcome::kCommitted
                                                            : CommitOutcome::kUnknown;
  };
  return Transact(
      "CreateClaim", TxMode::kWrite,
      [&](Conn& s) {
        return WriteDecision(s, claim, decision, options, token, /*create=*/true, hook.get());
      },
      &check);
}

absl::Status SociRepository::ApplyDecision(const Claim& after, const Decision& decision,
                                           const WriteOptions& options) {
  RETURN_IF_ERROR(Validate(after, decision, options));
  if (after.version < 2) {
    return absl::InvalidArgumentError("ApplyDecision: the claim after a decision has version >= 2");
  }
  const std::string token = NewId(absl::Now());
  std::shared_ptr<const WriteHook> hook = Hook();
  CommitCheck check = [&](Conn& s) -> absl::StatusOr<CommitOutcome> {
    if (options.idempotency.has_value()) {
      // Written in the same transaction: present with our hash means it committed.
      std::string hash;
      Stmt probe(s);
      probe.Into(hash).Use(options.idempotency->scope).Use(options.idempotency->request_id);
      if (!probe.Run(kSelectIdempotencyHash)) return CommitOutcome::kNotCommitted;
      return hash == options.idempotency->request_hash ? CommitOutcome::kCommitted
                                                       : CommitOutcome::kUnknown;
    }
    int64_t version = 0;
    std::string stored_token;
    Stmt probe(s);
    probe.Into(version).Into(stored_token).Use(after.id);
    if (!probe.Run(kSelectClaimVersion)) return CommitOutcome::kUnknown;
    if (stored_token == token) return CommitOutcome::kCommitted;
    if (version < after.version) return CommitOutcome::kNotCommitted;
    // Someone wrote after us or instead of us; the token of ours may have been overwritten.
    return CommitOutcome::kUnknown;
  };
  return Transact(
      "ApplyDecision", TxMode::kWrite,
      [&](Conn& s) {
        return WriteDecision(s, after, decision, options, token, /*create=*/false, hook.get());
      },
      &check);
}

absl::StatusOr<Claim> SociRepository::GetClaim(std::string_view claim_id) {
  std::optional<Claim> claim;
  const std::string id(claim_id);
  // One statement: consistent by itself, so no transaction around it.
  RETURN_IF_ERROR(Transact("GetClaim", TxMode::kNone, [&](Conn& s) -> absl::Status {
    claim.reset();
    ClaimRow row;
    TimerRow timer;
    Stmt st(s);
    row.BindInto(st);
    timer.BindInto(st);
    st.Use(id);
    for (bool more = st.Run(kSelectClaimWithTimers); more; more = st.Fetch()) {
      if (!claim.has_value()) {
        ASSIGN_OR_RETURN(claim, FromRow(row));
      }
      if (timer.name.empty()) continue;  // no timers: the left join's one empty row
      ASSIGN_OR_RETURN(workflow::TimerInstance t, timer.ToTimer());
      claim->timers.push_back(std::move(t));
    }
    return absl::OkStatus();
  }));
  if (!claim.has_value())
    return absl::NotFoundError(absl::StrCat("claim ", Av(claim_id), " not found"));
  return *std::move(claim);
}

absl::StatusOr<ClaimDetails> SociRepository::GetClaimDetails(std::string_view claim_id,
                                                             workflow::Perspective viewer,
                                                             const HistoryRange& range) {
  if (range.after_sequence < 0 || range.max_entries < 0)
    return absl::InvalidArgumentError("history range must not be negative");
  ClaimDetails details;
  bool found = false;
  const bool sees_internal =
      viewer == workflow::Perspective::kReviewer || viewer == workflow::Perspective::kSystem;
  RETURN_IF_ERROR(Transact("GetClaimDetails", TxMode::kRead, [&](Conn& s) -> absl::Status {
    details = ClaimDetails();
    ASSIGN_OR_RETURN(std::optional<Claim> claim, LoadClaim(s, dialect_.select_claim, claim_id));
    found = claim.has_value();
    if (!found) return absl::OkStatus();
    details.claim = *std::move(claim);
    const std::string id(claim_id);

    if (!range.history_only) {
      workflow::Evidence e;
      int64_t upload_time = 0;
      Stmt ev(s);
      ev.Into(e.id).Into(e.file_name).Into(e.content_type).Into(e.size_bytes);
      ev.Into(e.sha256_hex).Into(e.uploaded_by).Into(upload_time).Use(id);
      for (bool more = ev.Run(kSelectEvidenceMetadata); more; more = ev.Fetch()) {
        e.upload_time = DecodeTime(upload_time);
        details.evidence.push_back(e);
      }

      workflow::Comment c;
      std::string perspective, visibility;
      int64_t create_time = 0;
      Stmt cm(s);
      cm.Into(c.id).Into(c.author_id).Into(perspective).Into(c.text).Into(visibility);
      cm.Into(create_time).Use(id);
      for (bool more = cm.Run(sees_internal ? kSelectAllComments : kSelectPublicComments); more;
           more = cm.Fetch()) {
        ASSIGN_OR_RETURN(c.perspective, ParsePerspectiveColumn(perspective));
        ASSIGN_OR_RETURN(c.visibility, ParseVisibility(visibility));
        c.create_time = DecodeTime(create_time);
        details.comments.push_back(c);
      }
    }

    workflow::HistoryEntry h;
    std::string kind, history_perspective, json;
    int64_t time = 0;
    Stmt hs(s);
    hs.Into(h.sequence).Into(kind).Into(h.name).Into(h.actor_id).Into(history_perspective);
    hs.Into(time).Into(json).Use(id);
    // One row past the range says whether more follow, without counting.
    const bool ranged = range.max_entries > 0 || range.after_sequence > 0;
    const int64_t after = range.after_sequence;
    const int limit =
        range.max_entries > 0 ? range.max_entries + 1 : std::numeric_limits<int>::max();
    if (ranged) hs.Use(after).Use(limit);
    const std::string_view select = ranged ? kSelectHistoryRange : kSelectHistory;
    for (bool more = hs.Run(select); more; more = hs.Fetch()) {
      if (range.max_entries > 0 && static_cast<int>(details.history.size()) == range.max_entries) {
        details.more_history = true;
        break;
      }
      ASSIGN_OR_RETURN(h.kind, ParseHistoryKind(kind));
      ASSIGN_OR_RETURN(h.perspective, ParsePerspectiveColumn(history_perspective));
      h.time = DecodeTime(time);
      RETURN_IF_ERROR(DecodeHistoryDetails(json, &h));
      details.history.push_back(h);
    }
    return absl::OkStatus();
  }));
  if (!found) return absl::NotFoundError(absl::StrCat("claim ", Av(claim_id), " not found"));
  return details;
}

std::string SociRepository::PageTokenAfter(const Claim& claim) const {
  return EncodePageToken({EncodeTime(claim.create_time), claim.id});
}

absl::StatusOr<ClaimPage> SociRepository::ListClaims(const ClaimFilter& filter, int page_size,
                                                     std::string_view page_token) {
  if (page_size < 0) return absl::InvalidArgumentError("page_size must not be negative");
  const int size = page_size == 0 ? kDefaultPageSize : std::min(page_size, kMaxPageSize);
  std::optional<PageKey> key;
  if (!page_token.empty()) {
    ASSIGN_OR_RETURN(key, DecodePageToken(page_token));
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
  RETURN_IF_ERROR(Transact("ListClaims", TxMode::kRead, [&](Conn& s) -> absl::Status {
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
      page.next_page_token = PageTokenAfter(page.claims.back());
    }

    return LoadTimersOfClaims(s, page.claims);
  }));
  return page;
}

absl::StatusOr<std::vector<ClaimOfWorkflow>> SociRepository::ListClaimsOfWorkflow(
    std::string_view name, int64_t version, const std::vector<std::string>& states,
    std::string_view after_claim_id, int limit) {
  if (limit <= 0 || limit > kMaxPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("limit must be between 1 and ", kMaxPageSize, ", not ", limit));
  }
  const std::string workflow_name(name), after(after_claim_id);
  const std::string sql = ListClaimsOfWorkflowSql(dialect_, states.size());
  std::vector<ClaimOfWorkflow> claims;
  // One statement: consistent by itself.
  RETURN_IF_ERROR(Transact("ListClaimsOfWorkflow", TxMode::kNone, [&](Conn& s) -> absl::Status {
    claims.clear();
    ClaimOfWorkflow row;
    Stmt st(s);
    st.Into(row.id).Into(row.state).Use(workflow_name).Use(version).Use(after);
    for (const std::string& state : states) st.Use(state);
    st.Use(limit);
    for (bool more = st.Run(sql); more; more = st.Fetch()) claims.push_back(row);
    return absl::OkStatus();
  }));
  return claims;
}

absl::StatusOr<int64_t> SociRepository::CountClaimsOfWorkflow(
    std::string_view name, int64_t version, const std::vector<std::string>& states) {
  const std::string workflow_name(name);
  const std::string sql = CountClaimsOfWorkflowSql(dialect_, states.size());
  int64_t count = 0;
  // One statement: consistent by itself.
  RETURN_IF_ERROR(Transact("CountClaimsOfWorkflow", TxMode::kNone, [&](Conn& s) -> absl::Status {
    count = 0;
    Stmt st(s);
    st.Into(count).Use(workflow_name).Use(version);
    for (const std::string& state : states) st.Use(state);
    st.Run(sql);
    return absl::OkStatus();
  }));
  return count;
}

}  // namespace claims::storage::internal
