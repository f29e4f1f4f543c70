#include <soci/soci.h>

#include <algorithm>
#include <cstdint>
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

  // First, so a duplicate request id fails before anything else is locked, and concurrent
  // duplicates queue on the key and then fail instead of racing on the claim.
  if (options.idempotency.has_value()) {
    const IdempotencyRecord& rec = *options.idempotency;
    int64_t expire = EncodeTime(rec.expire_time);
    Stmt del(s);
    del.Use(rec.scope).Use(rec.request_id).Use(now);
    del.Run(kDeleteExpiredIdempotencyKey);
    Stmt ins(s);
    ins.Use(rec.scope).Use(rec.request_id).Use(rec.request_hash).Use(rec.response).Use(expire);
    ins.Run(kInsertIdempotency);
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
    ins.Run(kInsertClaim);
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
    upd.Run(kUpdateClaim);
    if (upd.AffectedRows() == 0) {
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
  }
  RETURN_IF_ERROR(step("claim"));

  // Timers: on creation all of them, afterwards only those the decision changed. `position`
  // keeps the claim's timer order across reads.
  const std::vector<workflow::TimerInstance>& timers = create ? after.timers : decision.timers;
  for (const workflow::TimerInstance& t : timers) {
    auto it = std::find_if(after.timers.begin(), after.timers.end(),
                           [&](const workflow::TimerInstance& a) { return a.name == t.name; });
    int position = static_cast<int>(it - after.timers.begin());
    std::string status(TimerStatusName(t.status));
    int64_t started_at = EncodeTime(t.started_at);
    int64_t due_at = EncodeTime(t.due_at);
    int64_t warn_at = EncodeTime(t.warn_at);
    int warned = t.warned ? 1 : 0;
    int64_t remaining = EncodeDuration(t.remaining);
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
      max.Run(kSelectMaxHistorySequence);
    }
    for (const workflow::HistoryEntry& h : decision.history) {
      ++sequence;
      std::string kind(HistoryKindName(h.kind));
      std::string perspective(workflow::PerspectiveName(h.perspective));
      int64_t time = EncodeTime(h.time);
      std::string details = EncodeHistoryDetails(h);
      Stmt ins(s);
      ins.Use(claim_id).Use(sequence).Use(kind).Use(h.name).Use(h.actor_id).Use(perspective);
      ins.Use(time).Use(details);
      ins.Run(kInsertHistory);
    }
  }
  RETURN_IF_ERROR(step("history"));

  for (const workflow::Comment& c : decision.comments) {
    std::string id = c.id.empty() ? NewId(id_time) : c.id;
    std::string perspective(workflow::PerspectiveName(c.perspective));
    std::string visibility(VisibilityName(c.visibility));
    int64_t time = EncodeTime(c.create_time);
    Stmt ins(s);
    ins.Use(claim_id).Use(id).Use(c.author_id).Use(perspective).Use(c.text).Use(visibility);
    ins.Use(time);
    ins.Run(kInsertComment);
  }
  RETURN_IF_ERROR(step("comments"));

  for (const workflow::Evidence& e : decision.evidence) {
    std::string id = e.id.empty() ? NewId(id_time) : e.id;
    int64_t size = e.content.empty() ? e.size_bytes : static_cast<int64_t>(e.content.size());
    int64_t time = EncodeTime(e.upload_time);
    Stmt ins(s);
    ins.Use(claim_id).Use(id).Use(e.file_name).Use(e.content_type).Use(size).Use(e.sha256_hex);
    ins.Use(e.uploaded_by).Use(time).Use(e.content);
    ins.Run(kInsertEvidence);
  }
  RETURN_IF_ERROR(step("evidence"));

  if (!decision.events.empty()) {
    // Last, so the counter row stays locked only for the few statements before commit.
    auto count = static_cast<int64_t>(decision.events.size());
    {
      Stmt bump(s);
      bump.Use(count);
      bump.Run(kBumpEventCounter);
    }
    int64_t last = 0;
    {
      Stmt read(s);
      read.Into(last);
      read.Run(kSelectEventCounter);
    }
    int64_t sequence = last - count;
    for (const workflow::Event& ev : decision.events) {
      ++sequence;
      const std::string& event_claim = ev.claim_id.empty() ? claim_id : ev.claim_id;
      const std::string& partner = ev.partner_id.empty() ? after.partner_id : ev.partner_id;
      int64_t time = EncodeTime(ev.time == absl::InfinitePast() ? after.update_time : ev.time);
      std::string attributes = EncodeAttributes(ev.attributes);
      Stmt ins(s);
      ins.Use(sequence).Use(ev.type).Use(event_claim).Use(partner).Use(time).Use(attributes);
      ins.Run(kInsertEvent);
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
  RETURN_IF_ERROR(Validate(after, decision));
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
  RETURN_IF_ERROR(Transact("GetClaim", TxMode::kRead, [&](Conn& s) -> absl::Status {
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
  RETURN_IF_ERROR(Transact("GetClaimDetails", TxMode::kRead, [&](Conn& s) -> absl::Status {
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

    workflow::HistoryEntry h;
    std::string kind, history_perspective, json;
    int64_t time = 0;
    Stmt hs(s);
    hs.Into(h.sequence).Into(kind).Into(h.name).Into(h.actor_id).Into(history_perspective);
    hs.Into(time).Into(json).Use(id);
    for (bool more = hs.Run(kSelectHistory); more; more = hs.Fetch()) {
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
      const Claim& last = page.claims.back();
      page.next_page_token = EncodePageToken({EncodeTime(last.create_time), last.id});
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
        absl::StrCat(Av(kSelectTimersOfClaimsPrefix), absl::StrJoin(placeholders, ", "),
                     Av(kSelectTimersOfClaimsOrder));
    for (bool more = ts.Run(timer_sql); more; more = ts.Fetch()) {
      ASSIGN_OR_RETURN(workflow::TimerInstance t, timer.ToTimer());
      page.claims[index[timer.claim_id]].timers.push_back(std::move(t));
    }
    return absl::OkStatus();
  }));
  return page;
}

absl::StatusOr<workflow::Evidence> SociRepository::GetEvidence(std::string_view claim_id,
                                                               std::string_view evidence_id) {
  workflow::Evidence e;
  bool found = false;
  const std::string claim(claim_id), id(evidence_id);
  RETURN_IF_ERROR(Transact("GetEvidence", TxMode::kNone, [&](Conn& s) -> absl::Status {
    int64_t upload_time = 0;
    Stmt st(s);
    st.Into(e.id).Into(e.file_name).Into(e.content_type).Into(e.size_bytes).Into(e.sha256_hex);
    st.Into(e.uploaded_by).Into(upload_time).Into(e.content).Use(claim).Use(id);
    found = st.Run(kSelectEvidence);
    e.upload_time = DecodeTime(upload_time);
    return absl::OkStatus();
  }));
  if (!found) {
    return absl::NotFoundError(
        absl::StrCat("evidence ", Av(evidence_id), " of claim ", Av(claim_id), " not found"));
  }
  return e;
}

}  // namespace claims::storage::internal
