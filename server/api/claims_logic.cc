#include "server/api/claims_logic.h"

#include <algorithm>
#include <optional>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/api/request_limits.h"
#include "server/api/status_mapping.h"
#include "server/api/workflow_mapping.h"
#include "spdlog/spdlog.h"
#include "storage/ids.h"

namespace claims::server {
namespace {

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 500;
constexpr int kDefaultHistoryPageSize = 100;
constexpr int kMaxHistoryPageSize = 1000;

// A history page token: the claim it continues and the last sequence it returned, versioned so
// the format may change. Tied to the claim so a token is never read against another one.
constexpr char kHistoryTokenVersion[] = "h1";

std::string HistoryPageToken(const std::string& claim_id, int64_t last_sequence) {
  return absl::WebSafeBase64Escape(
      absl::StrCat(kHistoryTokenVersion, ":", claim_id, ":", last_sequence));
}

// The sequence a token continues after, if `token` is one HistoryPageToken made for `claim_id`.
std::optional<int64_t> ParseHistoryPageToken(const std::string& token,
                                             const std::string& claim_id) {
  std::string text;
  if (!absl::WebSafeBase64Unescape(token, &text)) return std::nullopt;
  std::vector<std::string> parts = absl::StrSplit(text, ':');
  int64_t sequence = 0;
  if (parts.size() != 3 || parts[0] != kHistoryTokenVersion || parts[1] != claim_id ||
      !absl::SimpleAtoi(parts[2], &sequence) || sequence <= 0) {
    return std::nullopt;
  }
  return sequence;
}

std::string RequestHash(const google::protobuf::Message& request) {
  std::string bytes;
  request.SerializePartialToString(&bytes);
  return Sha256Hex(bytes);
}

absl::Status NotFound(const std::string& name) {
  return WithErrorInfo(absl::NotFoundError(absl::StrCat("claim ", name, " not found")),
                       "CLAIM_NOT_FOUND", {{"name", name}});
}

}  // namespace

ClaimsLogic::ClaimsLogic(storage::Repository& repository, WorkflowRegistry& workflows,
                         const Clock& clock, const Authenticator& authenticator, Options options,
                         AppliedCallback on_applied)
    : repository_(repository),
      workflows_(workflows),
      clock_(clock),
      authenticator_(authenticator),
      options_(std::move(options)),
      on_applied_(std::move(on_applied)) {}

absl::StatusOr<Caller> ClaimsLogic::Authenticate(const Metadata& metadata) const {
  absl::StatusOr<Identity> identity = authenticator_.Identify(metadata);
  if (!identity.ok()) return identity.status();
  auto engine = workflows_.Latest(options_.default_workflow);
  if (!engine.ok()) return engine.status();
  return CallerFromIdentity(*identity, (*engine)->definition());
}

pb::Claim ClaimsLogic::ClaimToProto(const workflow::Engine& engine, const workflow::Claim& claim,
                                    const ClaimAccess& access) const {
  pb::Claim out;
  ToProto(claim, engine.AvailableActions(claim, access.actor, clock_.Now()), &out);
  AddWorkflowViews(engine.definition(), claim, &out);
  return out;
}

absl::Status ClaimsLogic::CheckLimits(const google::protobuf::Message& request) const {
  return CheckRequestLimits(request, options_.max_evidence_bytes);
}

absl::StatusOr<ClaimAccess> ClaimsLogic::CheckVisible(const Caller& caller, const ClaimName& name,
                                                      const absl::Status& read,
                                                      const workflow::Claim* claim) const {
  const std::string display = FormatClaimName(name.partner, name.claim);
  if (absl::IsNotFound(read)) return NotFound(display);
  if (!read.ok()) return read;
  // Another tenant's claim is indistinguishable from a missing one.
  if (name.partner != kAnyPartner && name.partner != claim->partner_id) return NotFound(display);
  std::optional<ClaimAccess> access = caller.AccessTo(*claim);
  if (!access.has_value()) return NotFound(display);
  return *std::move(access);
}

absl::StatusOr<ClaimsLogic::VisibleClaim> ClaimsLogic::LoadVisibleClaim(const Caller& caller,
                                                                        const ClaimName& name) {
  absl::StatusOr<workflow::Claim> claim = repository_.GetClaim(name.claim);
  absl::StatusOr<ClaimAccess> access =
      CheckVisible(caller, name, claim.status(), claim.ok() ? &*claim : nullptr);
  if (!access.ok()) return access.status();
  return VisibleClaim{*std::move(claim), *std::move(access)};
}

ClaimsLogic::IdempotencyKey ClaimsLogic::MakeIdempotencyKey(
    const Caller& caller, const char* method, const google::protobuf::Message& request,
    const std::string& request_id) {
  if (request_id.empty()) return IdempotencyKey();
  return IdempotencyKey{absl::StrCat(method, "/", caller.IdempotencyScope()), request_id,
                        RequestHash(request)};
}

template <typename Response>
absl::StatusOr<std::optional<Response>> ClaimsLogic::FindAnswer(const IdempotencyKey& key) {
  if (key.request_id.empty()) return std::optional<Response>();
  auto record = repository_.FindIdempotencyRecord(key.scope, key.request_id, clock_.Now());
  if (!record.ok()) return record.status();
  if (!record->has_value()) return std::optional<Response>();
  if ((*record)->request_hash != key.request_hash) {
    return InvalidArgument("request_id was already used for a different request",
                           {{"request_id", "reused with different content"}}, "REQUEST_ID_REUSED");
  }
  Response response;
  if (!response.ParseFromString((*record)->response)) {
    return absl::InternalError("stored response for request_id is unreadable");
  }
  return std::optional<Response>(std::move(response));
}

template <typename Response>
absl::StatusOr<Response> ClaimsLogic::SettleFailure(const IdempotencyKey& key,
                                                    absl::Status failure) {
  if (key.request_id.empty()) return failure;
  absl::StatusOr<std::optional<Response>> answer = FindAnswer<Response>(key);
  // The failure is the honest answer when nothing was stored, or when the store cannot be
  // read now (the caller retries and then finds the answer).
  if (!answer.ok() || !answer->has_value()) return failure;
  return **std::move(answer);
}

storage::WriteOptions ClaimsLogic::StoreAnswer(const IdempotencyKey& key,
                                               const google::protobuf::Message& response,
                                               absl::Time now) const {
  storage::WriteOptions write;
  if (!key.request_id.empty()) {
    write.idempotency = storage::IdempotencyRecord{key.scope, key.request_id, key.request_hash,
                                                   response.SerializeAsString(),
                                                   now + options_.idempotency_retention};
  }
  return write;
}

template <typename Response>
absl::StatusOr<Response> ClaimsLogic::Conclude(const absl::Status& written,
                                               const IdempotencyKey& key, Response response,
                                               const workflow::Decision& decision) {
  if (written.ok()) {
    if (on_applied_) on_applied_(decision);
    return response;
  }
  if (absl::IsAlreadyExists(written) && !key.request_id.empty()) {
    // A concurrent retry of the same request won the race: answer what it answered.
    auto replayed = FindAnswer<Response>(key);
    if (!replayed.ok()) return replayed.status();
    if (replayed->has_value()) return **std::move(replayed);
  }
  return written;
}

template <typename Response>
absl::StatusOr<Response> ClaimsLogic::Mutate(const Caller& caller, const char* method,
                                             const google::protobuf::Message& request,
                                             const std::string& request_id, const ClaimName& name,
                                             const std::string& etag, const DecideFn& decide,
                                             const RespondFn<Response>& respond,
                                             const std::vector<std::string>& published_uploads) {
  const IdempotencyKey key = MakeIdempotencyKey(caller, method, request, request_id);
  // Visibility first: a stored answer is replayed only to a caller who may see the claim now.
  absl::StatusOr<VisibleClaim> visible = LoadVisibleClaim(caller, name);
  if (!visible.ok()) return visible.status();
  auto replayed = FindAnswer<Response>(key);
  if (!replayed.ok()) return replayed.status();
  if (replayed->has_value()) return **std::move(replayed);

  for (int attempt = 0;; ++attempt) {
    if (attempt > 0) {
      visible = LoadVisibleClaim(caller, name);
      if (!visible.ok()) return visible.status();
    }
    const workflow::Claim& claim = visible->claim;
    if (!etag.empty() && etag != Etag(claim.version)) {
      return SettleFailure<Response>(
          key,
          WithErrorInfo(absl::AbortedError(absl::StrCat(
                            "etag ", etag, " is stale; the claim is at ", Etag(claim.version))),
                        "ETAG_MISMATCH", {{"etag", Etag(claim.version)}}));
    }
    auto engine = workflows_.Get(claim.workflow_name, claim.workflow_version);
    if (!engine.ok()) return engine.status();

    const absl::Time now = clock_.Now();
    workflow::Outcome outcome = decide(**engine, claim, visible->access.actor, now);
    if (auto* rejection = std::get_if<workflow::Rejection>(&outcome)) {
      // A duplicate of a request that committed after this one read the claim sees the claim
      // already moved on; it gets the first answer, not a refusal.
      return SettleFailure<Response>(key, RejectionToStatus(*rejection, claim.state));
    }
    workflow::Decision& decision = std::get<workflow::Decision>(outcome);
    const workflow::Claim after = workflow::ApplyDecision(claim, decision, now);
    Response response = respond(**engine, after, visible->access, decision);

    storage::WriteOptions write = StoreAnswer(key, response, now);
    write.published_uploads = published_uploads;
    absl::Status status = repository_.ApplyDecision(after, decision, write);
    if (absl::IsAborted(status) && etag.empty() && attempt < options_.max_conflict_retries) {
      continue;  // someone else changed the claim; decide again on what they left
    }
    if (absl::IsAborted(status)) {
      return SettleFailure<Response>(key,
                                     WithErrorInfo(std::move(status), "CONCURRENT_MODIFICATION"));
    }
    return Conclude(status, key, std::move(response), decision);
  }
}

absl::StatusOr<pb::Claim> ClaimsLogic::CreateClaim(const Caller& caller,
                                                   const pb::CreateClaimRequest& req) {
  if (absl::Status limits = CheckLimits(req); !limits.ok()) return limits;
  absl::StatusOr<std::string> partner = ParsePartnerName(req.parent(), "parent");
  if (!partner.ok()) return partner.status();
  if (*partner == kAnyPartner) {
    return InvalidArgument("a claim belongs to one partner",
                           {{"parent", "must name a partner, not '-'"}});
  }
  if (!caller.SeesAllPartners() && *partner != caller.actor.partner_id) {
    return WithErrorInfo(
        absl::PermissionDeniedError("callers may create claims for their own partner only"),
        "OTHER_TENANT");
  }
  const IdempotencyKey key = MakeIdempotencyKey(caller, "CreateClaim", req, req.request_id());
  auto replayed = FindAnswer<pb::Claim>(key);
  if (!replayed.ok()) return replayed.status();
  if (replayed->has_value()) {
    // Replayed only while the caller may still see the claim it created.
    absl::StatusOr<ClaimName> created = ParseClaimName((*replayed)->name(), "name");
    if (!created.ok()) return absl::InternalError("stored response names no claim");
    absl::StatusOr<VisibleClaim> visible = LoadVisibleClaim(caller, *created);
    if (!visible.ok()) return visible.status();
    return **std::move(replayed);
  }

  const std::string workflow_name =
      req.workflow().empty() ? options_.default_workflow : req.workflow();
  auto engine = workflows_.Latest(workflow_name);
  if (absl::IsNotFound(engine.status())) {
    return InvalidArgument(std::string(engine.status().message()),
                           {{"workflow", "no such workflow"}}, "UNKNOWN_WORKFLOW");
  }
  if (!engine.ok()) return engine.status();

  const absl::Time now = clock_.Now();
  workflow::Claim draft;
  draft.id = storage::NewId(now);
  draft.partner_id = *partner;
  draft.fields = FieldsFromProto(req.claim());
  draft.workflow_name = (*engine)->definition().name;
  draft.workflow_version = (*engine)->definition().version;
  draft.create_time = now;
  draft.created_by = caller.actor.id;
  // The roles that would apply to the claim once created: a partner role only for its own
  // partner, a customer role only for a claim naming its tenant.
  std::optional<ClaimAccess> access = caller.AccessTo(draft);
  if (!access.has_value()) {
    return WithErrorInfo(
        absl::PermissionDeniedError("none of the caller's roles may create this claim"),
        "ROLE_NOT_ALLOWED");
  }

  workflow::Outcome outcome = (*engine)->Create(draft, access->actor, now);
  if (auto* rejection = std::get_if<workflow::Rejection>(&outcome)) {
    return SettleFailure<pb::Claim>(key, RejectionToStatus(*rejection, ""));
  }
  const workflow::Decision& decision = std::get<workflow::Decision>(outcome);
  const workflow::Claim claim = workflow::ApplyDecision(draft, decision, now);
  pb::Claim response = ClaimToProto(**engine, claim, *access);

  absl::Status status = repository_.CreateClaim(claim, decision, StoreAnswer(key, response, now));
  return Conclude(status, key, std::move(response), decision);
}

absl::StatusOr<pb::Claim> ClaimsLogic::GetClaim(const Caller& caller,
                                                const pb::GetClaimRequest& req) {
  if (absl::Status limits = CheckLimits(req); !limits.ok()) return limits;
  absl::StatusOr<ClaimName> name = ParseClaimName(req.name(), "name");
  if (!name.ok()) return name.status();
  absl::StatusOr<VisibleClaim> visible = LoadVisibleClaim(caller, *name);
  if (!visible.ok()) return visible.status();
  auto engine = workflows_.Get(visible->claim.workflow_name, visible->claim.workflow_version);
  if (!engine.ok()) return engine.status();
  return ClaimToProto(**engine, visible->claim, visible->access);
}

absl::StatusOr<pb::ListClaimsResponse> ClaimsLogic::ListClaims(const Caller& caller,
                                                               const pb::ListClaimsRequest& req) {
  if (absl::Status limits = CheckLimits(req); !limits.ok()) return limits;
  absl::StatusOr<std::string> partner = ParsePartnerName(req.parent(), "parent");
  if (!partner.ok()) return partner.status();
  if (req.page_size() < 0) {
    return InvalidArgument("page_size must not be negative", {{"page_size", "negative"}});
  }
  storage::ClaimFilter filter;
  switch (caller.perspective) {
    case workflow::Perspective::kReviewer:
    case workflow::Perspective::kSystem:
      if (*partner != kAnyPartner) filter.partner_id = *partner;
      break;
    case workflow::Perspective::kPartner:
      if (*partner != kAnyPartner && *partner != caller.actor.partner_id) {
        return WithErrorInfo(absl::NotFoundError(absl::StrCat(req.parent(), " not found")),
                             "PARTNER_NOT_FOUND");
      }
      filter.partner_id = caller.actor.partner_id;
      break;
    case workflow::Perspective::kCustomer:
      return WithErrorInfo(absl::PermissionDeniedError("customers cannot list claims"),
                           "LIST_NOT_ALLOWED");
  }
  if (!req.state().empty()) filter.state = req.state();
  if (req.has_sla_breached()) filter.sla_breached = req.sla_breached();
  if (req.has_deadline_before()) filter.deadline_before = FromProto(req.deadline_before());
  if (req.has_deadline_after()) filter.deadline_after = FromProto(req.deadline_after());
  if (req.has_create_time_after()) filter.created_after = FromProto(req.create_time_after());
  if (req.has_create_time_before()) filter.created_before = FromProto(req.create_time_before());
  const int page_size =
      req.page_size() == 0 ? kDefaultPageSize : std::min(req.page_size(), kMaxPageSize);

  absl::StatusOr<storage::ClaimPage> page =
      repository_.ListClaims(filter, page_size, req.page_token());
  if (absl::IsInvalidArgument(page.status())) {
    return InvalidArgument(std::string(page.status().message()),
                           {{"page_token", "not a token this service issued"}});
  }
  if (!page.ok()) return page.status();
  pb::ListClaimsResponse response;
  std::size_t bytes = 0;
  for (std::size_t i = 0; i < page->claims.size(); ++i) {
    const workflow::Claim& claim = page->claims[i];
    auto engine = workflows_.Get(claim.workflow_name, claim.workflow_version);
    if (!engine.ok()) return engine.status();
    std::optional<ClaimAccess> access = caller.AccessTo(claim);
    // The filter already keeps other partners' claims out; this is the same rule as GetClaim.
    if (!access.has_value()) continue;
    pb::Claim out = ClaimToProto(**engine, claim, *access);
    const std::size_t size = out.ByteSizeLong();
    // One caller's large claims never make a page too big for another to receive: the page
    // ends early and the token continues after its last claim.
    if (bytes + size > options_.max_list_page_bytes && response.claims_size() > 0) {
      response.set_next_page_token(repository_.PageTokenAfter(page->claims[i - 1]));
      return response;
    }
    bytes += size;
    *response.add_claims() = std::move(out);
  }
  response.set_next_page_token(page->next_page_token);
  return response;
}

absl::StatusOr<pb::Claim> ClaimsLogic::UpdateClaim(const Caller& caller,
                                                   const pb::UpdateClaimRequest& req) {
  if (absl::Status limits = CheckLimits(req); !limits.ok()) return limits;
  absl::StatusOr<ClaimName> name = ParseClaimName(req.claim().name(), "claim.name");
  if (!name.ok()) return name.status();
  if (req.update_mask().paths().empty()) {
    return InvalidArgument("update_mask must name the fields to change",
                           {{"update_mask", "empty"}});
  }
  workflow::EditRequest edit;
  edit.fields = FieldsFromProto(req.claim());
  edit.field_mask.assign(req.update_mask().paths().begin(), req.update_mask().paths().end());
  return Mutate<pb::Claim>(
      caller, "UpdateClaim", req, req.request_id(), *name, req.claim().etag(),
      [&](const workflow::Engine& engine, const workflow::Claim& claim,
          const workflow::Actor& actor,
          absl::Time now) { return engine.Edit(claim, edit, actor, now); },
      [&](const workflow::Engine& engine, const workflow::Claim& after, const ClaimAccess& access,
          const workflow::Decision&) { return ClaimToProto(engine, after, access); });
}

absl::StatusOr<pb::Claim> ClaimsLogic::PerformAction(const Caller& caller,
                                                     const pb::PerformActionRequest& req) {
  if (absl::Status limits = CheckLimits(req); !limits.ok()) return limits;
  absl::StatusOr<ClaimName> name = ParseClaimName(req.name(), "name");
  if (!name.ok()) return name.status();
  if (req.action().empty()) {
    return InvalidArgument("action is required", {{"action", "empty"}});
  }
  workflow::ActionRequest action;
  action.action = req.action();
  action.reasons.assign(req.reasons().begin(), req.reasons().end());
  action.comment = req.comment();
  action.comment_visibility = FromProto(req.comment_visibility());
  return Mutate<pb::Claim>(
      caller, "PerformAction", req, req.request_id(), *name, req.etag(),
      [&](const workflow::Engine& engine, const workflow::Claim& claim,
          const workflow::Actor& actor,
          absl::Time now) { return engine.Decide(claim, action, actor, now); },
      [&](const workflow::Engine& engine, const workflow::Claim& after, const ClaimAccess& access,
          const workflow::Decision&) { return ClaimToProto(engine, after, access); });
}

absl::StatusOr<pb::Comment> ClaimsLogic::AddComment(const Caller& caller,
                                                    const pb::AddCommentRequest& req) {
  if (absl::Status limits = CheckLimits(req); !limits.ok()) return limits;
  absl::StatusOr<ClaimName> name = ParseClaimName(req.parent(), "parent");
  if (!name.ok()) return name.status();
  if (req.comment().text().empty()) {
    return InvalidArgument("a comment needs text", {{"comment.text", "empty"}});
  }
  workflow::Comment comment;
  comment.author_id = caller.actor.id;
  comment.text = req.comment().text();
  comment.visibility = FromProto(req.comment().visibility());
  return Mutate<pb::Comment>(
      caller, "AddComment", req, req.request_id(), *name, "",
      [&](const workflow::Engine& engine, const workflow::Claim& claim,
          const workflow::Actor& actor, absl::Time now) {
        comment.id = storage::NewId(now);
        return engine.AddComment(claim, comment, actor, now);
      },
      [&](const workflow::Engine&, const workflow::Claim& after, const ClaimAccess&,
          const workflow::Decision& decision) {
        // The engine completes the comment (author, perspective, time): answer with its copy.
        pb::Comment out;
        ToProto(decision.comments.empty() ? comment : decision.comments.back(),
                FormatClaimName(after.partner_id, after.id), &out);
        return out;
      });
}

absl::StatusOr<pb::Evidence> ClaimsLogic::AddEvidence(const Caller& caller,
                                                      const pb::AddEvidenceRequest& req) {
  if (absl::Status limits = CheckLimits(req); !limits.ok()) return limits;
  absl::StatusOr<ClaimName> name = ParseClaimName(req.parent(), "parent");
  if (!name.ok()) return name.status();
  const pb::Evidence& in = req.evidence();
  std::vector<workflow::FieldViolation> violations;
  if (in.file_name().empty()) violations.push_back({"evidence.file_name", "required"});
  if (in.content().empty()) violations.push_back({"evidence.content", "empty"});
  if (!violations.empty()) return InvalidArgument("invalid evidence", violations);

  workflow::Evidence evidence;
  evidence.file_name = in.file_name();
  evidence.content_type =
      in.content_type().empty() ? "application/octet-stream" : in.content_type();
  evidence.size_bytes = static_cast<int64_t>(in.content().size());
  evidence.sha256_hex = Sha256Hex(in.content());
  evidence.uploaded_by = caller.actor.id;
  return Mutate<pb::Evidence>(
      caller, "AddEvidence", req, req.request_id(), *name, "",
      [&](const workflow::Engine& engine, const workflow::Claim& claim,
          const workflow::Actor& actor, absl::Time now) {
        evidence.id = storage::NewId(now);
        evidence.upload_time = now;
        workflow::Outcome outcome = engine.AddEvidence(claim, evidence, actor, now);
        if (auto* decision = std::get_if<workflow::Decision>(&outcome)) {
          // The engine decides on metadata; the bytes travel with the decision to storage.
          for (workflow::Evidence& stored : decision->evidence) {
            if (stored.id == evidence.id) stored.content = in.content();
          }
        }
        return outcome;
      },
      [&](const workflow::Engine&, const workflow::Claim& after, const ClaimAccess&,
          const workflow::Decision&) {
        pb::Evidence out;
        ToProto(evidence, FormatClaimName(after.partner_id, after.id), &out);
        return out;
      });
}

absl::StatusOr<pb::ClaimHistory> ClaimsLogic::GetClaimHistory(
    const Caller& caller, const pb::GetClaimHistoryRequest& req) {
  if (absl::Status limits = CheckLimits(req); !limits.ok()) return limits;
  absl::StatusOr<ClaimName> name = ParseClaimName(req.name(), "name");
  if (!name.ok()) return name.status();
  if (req.page_size() < 0) {
    return InvalidArgument("page_size must not be negative", {{"page_size", "negative"}});
  }
  storage::HistoryRange range;
  range.max_entries = req.page_size() == 0 ? kDefaultHistoryPageSize
                                           : std::min(req.page_size(), kMaxHistoryPageSize);
  if (!req.page_token().empty()) {
    // A token names its claim, so it says nothing about a claim the caller cannot see: the
    // same answer whether or not the claim exists.
    std::optional<int64_t> after = ParseHistoryPageToken(req.page_token(), name->claim);
    if (!after.has_value()) {
      return InvalidArgument("page_token is not a token this service issued for this claim",
                             {{"page_token", "not a token this service issued for this claim"}});
    }
    range.after_sequence = *after;
    range.history_only = true;
  }
  // Read as the caller's widest perspective, then narrowed to the roles that apply to this
  // claim; another tenant's claim reads as missing and none of what was read leaves here.
  absl::StatusOr<storage::ClaimDetails> details =
      repository_.GetClaimDetails(name->claim, caller.perspective, range);
  absl::StatusOr<ClaimAccess> access =
      CheckVisible(caller, *name, details.status(), details.ok() ? &details->claim : nullptr);
  if (!access.ok()) return access.status();
  auto engine = workflows_.Get(details->claim.workflow_name, details->claim.workflow_version);
  if (!engine.ok()) return engine.status();
  const bool sees_internal = access->perspective == workflow::Perspective::kReviewer ||
                             access->perspective == workflow::Perspective::kSystem;

  pb::ClaimHistory out;
  *out.mutable_claim() = ClaimToProto(**engine, details->claim, *access);
  const std::string claim_name = FormatClaimName(details->claim.partner_id, details->claim.id);
  std::size_t bytes = 0;
  for (std::size_t i = 0; i < details->history.size(); ++i) {
    const workflow::HistoryEntry& entry = details->history[i];
    if (entry.internal_comment && !sees_internal && entry.kind == workflow::HistoryKind::kComment) {
      continue;
    }
    pb::HistoryEntry converted;
    if (entry.internal_comment && !sees_internal) {
      workflow::HistoryEntry redacted = entry;
      redacted.comment.clear();
      ToProto(redacted, &converted);
    } else {
      ToProto(entry, &converted);
    }
    const std::size_t size = converted.ByteSizeLong();
    // Long comments never make a page too big to receive: it ends early and the token
    // continues after its last entry.
    if (bytes + size > options_.max_list_page_bytes && out.entries_size() > 0) {
      out.set_next_page_token(
          HistoryPageToken(details->claim.id, details->history[i - 1].sequence));
      break;
    }
    bytes += size;
    *out.add_entries() = std::move(converted);
  }
  if (out.next_page_token().empty() && details->more_history && !details->history.empty()) {
    out.set_next_page_token(HistoryPageToken(details->claim.id, details->history.back().sequence));
  }
  for (const auto& comment : details->comments) {
    if (comment.visibility == workflow::CommentVisibility::kInternal && !sees_internal) continue;
    ToProto(comment, claim_name, out.add_comments());
  }
  for (const auto& evidence : details->evidence) {
    ToProto(evidence, claim_name, out.add_evidence());
  }
  return out;
}

namespace {

absl::Status EvidenceNotFound(std::string_view name) {
  return WithErrorInfo(
      absl::NotFoundError(absl::StrCat("evidence ", std::string(name), " not found")),
      "EVIDENCE_NOT_FOUND", {{"name", std::string(name)}});
}

bool IsLowerHexSha256(std::string_view text) {
  if (text.size() != 64) return false;
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

absl::StatusOr<ClaimsLogic::EvidenceDownload> ClaimsLogic::OpenEvidence(
    const Caller& caller, const pb::GetEvidenceContentRequest& req) {
  if (absl::Status limits = CheckLimits(req); !limits.ok()) return limits;
  // partners/{partner}/claims/{claim}/evidence/{evidence}
  const std::string_view name = req.name();
  const std::size_t cut = name.rfind("/evidence/");
  const std::string_view evidence_id =
      cut == std::string_view::npos ? std::string_view() : name.substr(cut + 10);
  if (cut == std::string_view::npos || evidence_id.empty() ||
      evidence_id.find('/') != std::string_view::npos) {
    return InvalidArgument("name must be partners/{partner}/claims/{claim}/evidence/{evidence}",
                           {{"name", "malformed evidence name"}});
  }
  absl::StatusOr<ClaimName> claim_name = ParseClaimName(name.substr(0, cut), "name");
  if (!claim_name.ok()) return claim_name.status();
  // One answer for every way of not finding it: another tenant learns nothing from it.
  absl::StatusOr<VisibleClaim> visible = LoadVisibleClaim(caller, *claim_name);
  if (absl::IsNotFound(visible.status())) return EvidenceNotFound(name);
  if (!visible.ok()) return visible.status();
  absl::StatusOr<workflow::Evidence> evidence =
      repository_.GetEvidenceMetadata(visible->claim.id, evidence_id);
  if (absl::IsNotFound(evidence.status())) return EvidenceNotFound(name);
  if (!evidence.ok()) return evidence.status();
  EvidenceDownload download;
  download.claim_id = visible->claim.id;
  ToProto(*evidence, FormatClaimName(visible->claim.partner_id, visible->claim.id),
          &download.metadata);
  return download;
}

absl::StatusOr<std::optional<std::string>> ClaimsLogic::ReadEvidenceChunk(
    const EvidenceDownload& download, int64_t index) {
  const std::string& name = download.metadata.name();
  return repository_.ReadEvidenceChunk(download.claim_id, name.substr(name.rfind('/') + 1), index);
}

absl::StatusOr<ClaimsLogic::EvidenceUpload> ClaimsLogic::BeginUpload(
    const Caller& caller, const pb::EvidenceUploadHeader& header) {
  if (absl::Status limits = CheckLimits(header); !limits.ok()) return limits;
  absl::StatusOr<ClaimName> name = ParseClaimName(header.parent(), "header.parent");
  if (!name.ok()) return name.status();
  std::vector<workflow::FieldViolation> violations;
  if (header.file_name().empty()) violations.push_back({"header.file_name", "required"});
  if (header.content_type().empty()) violations.push_back({"header.content_type", "required"});
  if (header.size_bytes() <= 0) violations.push_back({"header.size_bytes", "must be positive"});
  if (!IsLowerHexSha256(header.sha256())) {
    violations.push_back({"header.sha256", "must be 64 lower-case hex digits"});
  }
  if (!violations.empty()) return InvalidArgument("invalid upload header", violations);
  if (header.size_bytes() > options_.max_upload_bytes) {
    return InvalidArgument(absl::StrCat("the document is larger than the limit of ",
                                        options_.max_upload_bytes, " bytes"),
                           {{"header.size_bytes", "over evidence.max_bytes"}},
                           "EVIDENCE_TOO_LARGE");
  }

  absl::StatusOr<VisibleClaim> visible = LoadVisibleClaim(caller, *name);
  if (!visible.ok()) return visible.status();
  auto engine = workflows_.Get(visible->claim.workflow_name, visible->claim.workflow_version);
  if (!engine.ok()) return engine.status();
  if (!(*engine)->definition().AllowsEvidenceType(header.content_type())) {
    return InvalidArgument(
        absl::StrCat("content type ", QuotePrefix(header.content_type(), 127),
                     " is not allowed for evidence in workflow ", (*engine)->definition().name),
        {{"header.content_type", "not one of the workflow's evidence_content_types"}},
        "CONTENT_TYPE_NOT_ALLOWED");
  }
  // Refused now, as AddEvidence would refuse it, rather than after the whole content arrived.
  workflow::Evidence probe;
  probe.file_name = header.file_name();
  probe.content_type = header.content_type();
  probe.size_bytes = header.size_bytes();
  probe.sha256_hex = header.sha256();
  probe.uploaded_by = caller.actor.id;
  const absl::Time now = clock_.Now();
  workflow::Outcome outcome =
      (*engine)->AddEvidence(visible->claim, probe, visible->access.actor, now);
  if (auto* rejection = std::get_if<workflow::Rejection>(&outcome)) {
    return RejectionToStatus(*rejection, visible->claim.state);
  }

  EvidenceUpload upload{*name, storage::NewId(now), header};
  if (absl::Status begun =
          repository_.BeginEvidenceUpload(visible->claim.id, upload.evidence_id, now);
      !begun.ok()) {
    return begun;
  }
  return upload;
}

absl::Status ClaimsLogic::AppendUpload(const EvidenceUpload& upload, int64_t index,
                                       std::string_view data) {
  return repository_.AppendEvidenceChunk(upload.claim.claim, upload.evidence_id, index, data);
}

absl::StatusOr<pb::Evidence> ClaimsLogic::CompleteUpload(const Caller& caller,
                                                         const EvidenceUpload& upload) {
  const pb::EvidenceUploadHeader& header = upload.header;
  workflow::Evidence evidence;
  evidence.id = upload.evidence_id;
  evidence.file_name = header.file_name();
  evidence.content_type = header.content_type();
  evidence.size_bytes = header.size_bytes();
  evidence.sha256_hex = header.sha256();
  evidence.uploaded_by = caller.actor.id;
  return Mutate<pb::Evidence>(
      caller, "UploadEvidence", header, header.request_id(), upload.claim, "",
      [&](const workflow::Engine& engine, const workflow::Claim& claim,
          const workflow::Actor& actor, absl::Time now) {
        evidence.upload_time = now;
        return engine.AddEvidence(claim, evidence, actor, now);
      },
      [&](const workflow::Engine&, const workflow::Claim& after, const ClaimAccess&,
          const workflow::Decision&) {
        pb::Evidence out;
        ToProto(evidence, FormatClaimName(after.partner_id, after.id), &out);
        return out;
      },
      {upload.evidence_id});
}

void ClaimsLogic::DiscardUpload(const EvidenceUpload& upload) {
  if (absl::Status discarded =
          repository_.DiscardEvidenceUpload(upload.claim.claim, upload.evidence_id);
      !discarded.ok()) {
    // What is left is invisible, and PurgeAbandonedEvidenceUploads removes it later.
    spdlog::warn("could not discard the staged upload of evidence {}: {}", upload.evidence_id,
                 discarded.ToString());
  }
}

}  // namespace claims::server
