#include "workflow/engine.h"

#include <algorithm>
#include <array>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "workflow/internal/decision_parts.h"
#include "workflow/internal/engine_index.h"

namespace claims::workflow {
namespace {

using internal::EngineIndex;
using internal::EnterState;
using internal::FindInstance;
using internal::NewEvent;
using internal::NewHistory;
using internal::Summarize;
using internal::TimerInfo;
using internal::TimeText;
using internal::TransitionInfo;
using internal::Unchanged;

constexpr std::string_view kReasonUnknownAction = "UNKNOWN_ACTION";
constexpr std::string_view kReasonActionNotAvailable = "ACTION_NOT_AVAILABLE";
constexpr std::string_view kReasonRoleNotAllowed = "ROLE_NOT_ALLOWED";
constexpr std::string_view kReasonInvalidInput = "INVALID_INPUT";
constexpr std::string_view kReasonGuardFailed = "GUARD_FAILED";
constexpr std::string_view kReasonFieldNotEditable = "FIELD_NOT_EDITABLE";
constexpr std::string_view kReasonCommentsClosed = "COMMENTS_CLOSED";
constexpr std::string_view kReasonEvidenceClosed = "EVIDENCE_CLOSED";

constexpr std::string_view kSlaBreachedEvent = "sla_breached";
constexpr std::string_view kSystemActorId = "system";

constexpr std::array<std::string_view, 6> kFields = {kFieldMpnId,           kFieldCustomer,
                                                     kFieldCustomerContact, kFieldPartnerContact,
                                                     kFieldProducts,        kFieldActivity};

bool Contains(const std::vector<std::string>& values, std::string_view value) {
  for (const std::string& v : values) {
    if (v == value) return true;
  }
  return false;
}

bool HasAnyRole(const Actor& actor, const std::vector<std::string>& roles) {
  for (const std::string& role : actor.roles) {
    if (Contains(roles, role)) return true;
  }
  return false;
}

bool IsBlank(std::string_view text) {
  return absl::StripAsciiWhitespace(internal::Key(text)).empty();
}

// Internal comments are hidden from partners and customers, so only those who may read them
// may write them.
bool MayWriteInternal(Perspective perspective) {
  return perspective == Perspective::kReviewer || perspective == Perspective::kSystem;
}

std::string KnownFields() {
  std::string out;
  for (std::string_view field : kFields) {
    absl::StrAppend(&out, out.empty() ? "" : ", ", internal::Key(field));
  }
  return out;
}

bool IsKnownField(std::string_view field) {
  return std::find(kFields.begin(), kFields.end(), field) != kFields.end();
}

bool IsFieldSet(const ClaimFields& fields, std::string_view field) {
  if (field == kFieldMpnId) return !IsBlank(fields.mpn_id);
  if (field == kFieldCustomer) {
    return !IsBlank(fields.customer.tenant_id) || !IsBlank(fields.customer.name);
  }
  if (field == kFieldCustomerContact) {
    return !IsBlank(fields.customer_contact.name) || !IsBlank(fields.customer_contact.email);
  }
  if (field == kFieldPartnerContact) {
    return !IsBlank(fields.partner_contact.name) || !IsBlank(fields.partner_contact.email);
  }
  if (field == kFieldProducts) return !fields.products.empty();
  if (field == kFieldActivity) return !IsBlank(fields.activity);
  return false;
}

std::string ContactText(const Contact& contact) {
  if (contact.email.empty()) return contact.name;
  if (contact.name.empty()) return absl::StrCat("<", contact.email, ">");
  return absl::StrCat(contact.name, " <", contact.email, ">");
}

// How a field reads in history: what a person comparing before and after needs to see.
std::string FieldText(const ClaimFields& fields, std::string_view field) {
  if (field == kFieldMpnId) return fields.mpn_id;
  if (field == kFieldCustomer) {
    if (fields.customer.tenant_id.empty()) return fields.customer.name;
    if (fields.customer.name.empty()) return fields.customer.tenant_id;
    return absl::StrCat(fields.customer.name, " (", fields.customer.tenant_id, ")");
  }
  if (field == kFieldCustomerContact) return ContactText(fields.customer_contact);
  if (field == kFieldPartnerContact) return ContactText(fields.partner_contact);
  if (field == kFieldProducts) return absl::StrJoin(fields.products, ",");
  if (field == kFieldActivity) return fields.activity;
  return std::string();
}

void CopyField(const ClaimFields& from, std::string_view field, ClaimFields& to) {
  if (field == kFieldMpnId) to.mpn_id = from.mpn_id;
  if (field == kFieldCustomer) to.customer = from.customer;
  if (field == kFieldCustomerContact) to.customer_contact = from.customer_contact;
  if (field == kFieldPartnerContact) to.partner_contact = from.partner_contact;
  if (field == kFieldProducts) to.products = from.products;
  if (field == kFieldActivity) to.activity = from.activity;
}

// Product and activity codes must come from the definition's catalogs.
void CheckFieldValues(const EngineIndex& index, const Definition& definition,
                      const ClaimFields& fields, std::vector<FieldViolation>& violations) {
  const internal::CodeSet* products = index.Catalog(definition.products_catalog);
  for (std::size_t i = 0; i < fields.products.size(); ++i) {
    const std::string& code = fields.products[i];
    if (products == nullptr || !products->contains(internal::Key(code))) {
      violations.push_back(
          {std::string(kFieldProducts), absl::StrCat("unknown product \"", code, "\" (catalog ",
                                                     definition.products_catalog, ")")});
    } else if (std::find(fields.products.begin(),
                         fields.products.begin() + static_cast<std::ptrdiff_t>(i),
                         code) != fields.products.begin() + static_cast<std::ptrdiff_t>(i)) {
      violations.push_back(
          {std::string(kFieldProducts), absl::StrCat("product \"", code, "\" is listed twice")});
    }
  }
  if (!fields.activity.empty()) {
    const internal::CodeSet* activities = index.Catalog(definition.activities_catalog);
    if (activities == nullptr || !activities->contains(internal::Key(fields.activity))) {
      violations.push_back({std::string(kFieldActivity),
                            absl::StrCat("unknown activity \"", fields.activity, "\" (catalog ",
                                         definition.activities_catalog, ")")});
    }
  }
}

std::string ViolationSummary(const std::vector<FieldViolation>& violations) {
  std::string out;
  for (const FieldViolation& v : violations) {
    absl::StrAppend(&out, out.empty() ? "" : "; ", v.field, ": ", v.description);
  }
  return out;
}

bool GuardHolds(const GuardDef& guard, const BusinessCalendar& calendar,
                const TransitionDef& transition, const Claim& claim, absl::Time now) {
  switch (guard.kind) {
    case GuardKind::kMinEvidence:
      return claim.evidence_count >= guard.count;
    case GuardKind::kWithinDuration:
      // Inclusive: at exactly `duration` after entering the state the window is still open.
      return now <= calendar.Add(claim.state_entered_at, guard.duration);
    case GuardKind::kLastReasonIn:
    case GuardKind::kLastReasonNotIn: {
      bool found = false;
      auto it = claim.facts.last_reasons.find(guard.catalog);
      if (it != claim.facts.last_reasons.end()) {
        for (const std::string& code : it->second) found = found || Contains(guard.codes, code);
      }
      return guard.kind == GuardKind::kLastReasonIn ? found : !found;
    }
    case GuardKind::kFieldPresent:
      return IsFieldSet(claim.fields, guard.field);
    case GuardKind::kMaxTimesTaken: {
      const std::string& action = guard.action.empty() ? transition.id : guard.action;
      auto it = claim.facts.action_counts.find(action);
      const int64_t taken = it == claim.facts.action_counts.end() ? 0 : it->second;
      return taken < guard.count;
    }
  }
  return false;
}

// The first guard of `transition` that does not hold, or null.
const GuardDef* FailedGuard(const TransitionInfo& transition, const Claim& claim, absl::Time now) {
  const std::vector<GuardDef>& guards = transition.def->guards;
  for (std::size_t i = 0; i < guards.size(); ++i) {
    if (!GuardHolds(guards[i], *transition.guard_calendars[i], *transition.def, claim, now)) {
      return &guards[i];
    }
  }
  return nullptr;
}

void CheckInputs(const TransitionInfo& transition, const Claim& claim, const ActionRequest& request,
                 std::vector<FieldViolation>& violations) {
  const TransitionDef& def = *transition.def;
  const TransitionInputs& inputs = def.inputs;
  const std::vector<std::string>& reasons = request.reasons;
  if (!inputs.reasons.has_value()) {
    if (!reasons.empty()) {
      violations.push_back({"reasons", absl::StrCat("\"", def.id, "\" takes no reasons")});
    }
  } else {
    const ReasonInput& spec = *inputs.reasons;
    const auto count = static_cast<int64_t>(reasons.size());
    if (count < spec.min) {
      violations.push_back({"reasons", absl::StrCat("at least ", spec.min, " reason(s) from ",
                                                    spec.catalog, " required")});
    } else if (count > spec.max) {
      violations.push_back({"reasons", absl::StrCat("at most ", spec.max, " reason(s) from ",
                                                    spec.catalog, " allowed")});
    }
    for (std::size_t i = 0; i < reasons.size(); ++i) {
      if (transition.reason_codes == nullptr ||
          !transition.reason_codes->contains(internal::Key(reasons[i]))) {
        violations.push_back(
            {"reasons", absl::StrCat("\"", def.id, "\" does not accept reason \"", reasons[i],
                                     "\" (catalog ", spec.catalog, ")")});
        continue;
      }
      for (std::size_t j = 0; j < i; ++j) {
        if (reasons[j] == reasons[i]) {
          violations.push_back(
              {"reasons", absl::StrCat("reason \"", reasons[i], "\" is given twice")});
          break;
        }
      }
    }
  }
  const bool has_comment = !IsBlank(request.comment);
  if (inputs.comment == Requirement::kRequired && !has_comment) {
    violations.push_back({"comment", "a comment is required"});
  } else if (inputs.comment == Requirement::kForbidden && has_comment) {
    violations.push_back({"comment", absl::StrCat("\"", def.id, "\" takes no comment")});
  }
  const bool has_new_evidence = claim.facts.evidence_added_in_state > 0;
  if (inputs.new_evidence == Requirement::kRequired && !has_new_evidence) {
    violations.push_back({"evidence", "upload new evidence in this state first"});
  } else if (inputs.new_evidence == Requirement::kForbidden && has_new_evidence) {
    violations.push_back({"evidence", "new evidence is not accepted for this action"});
  }
  if (inputs.comment_or_new_evidence && !has_comment && !has_new_evidence) {
    violations.push_back({"comment", "give a justification, upload new evidence, or both"});
    violations.push_back({"evidence", "give a justification, upload new evidence, or both"});
  }
}

void AddTimerAttributes(const TimerInstance& timer, const Claim& claim, Event& event) {
  event.attributes.Set("due_at", TimeText(timer.due_at));
  event.attributes.Set("state", claim.state);
  event.attributes.Set("timer", timer.name);
}

// The events a timer emits at its deadline; a breach always announces itself as sla_breached,
// whatever else the definition adds, since escalation consumers key on that type.
void DeadlineEvents(const EngineIndex& index, const TimerDef& def, const TimerInstance& timer,
                    const Claim& claim, const Decision& decided, absl::Time now, bool breach,
                    std::vector<Event>& out) {
  bool announced = false;
  for (const EventDef& event_def : def.events) {
    Event& event = out.emplace_back(NewEvent(index, claim, event_def, decided, now));
    AddTimerAttributes(timer, claim, event);
    announced = announced || event.type == kSlaBreachedEvent;
  }
  if (breach && !announced) {
    Event& event = out.emplace_back(
        NewEvent(index, claim, EventDef{std::string(kSlaBreachedEvent), {}, {}, {}}, decided, now));
    AddTimerAttributes(timer, claim, event);
  }
}

}  // namespace

Engine::Engine(std::shared_ptr<const Definition> definition)
    : definition_(std::move(definition)),
      index_(std::make_shared<const internal::EngineIndex>(*definition_)) {}

Rejection Engine::Refuse(const Claim& claim, const Actor& actor, absl::Time now, RejectionCode code,
                         std::string_view reason, std::string message) const {
  Rejection rejection;
  rejection.code = code;
  rejection.reason = std::string(reason);
  rejection.message = std::move(message);
  rejection.available_actions = AvailableActions(claim, actor, now);
  return rejection;
}

std::vector<std::string> Engine::AvailableActions(const Claim& claim, const Actor& actor,
                                                  absl::Time now) const {
  std::vector<std::string> actions;
  for (const TransitionInfo* transition : index_->TransitionsFrom(claim.state)) {
    if (!HasAnyRole(actor, transition->def->roles)) continue;
    if (FailedGuard(*transition, claim, now) != nullptr) continue;
    actions.push_back(transition->def->id);
  }
  std::sort(actions.begin(), actions.end());
  actions.erase(std::unique(actions.begin(), actions.end()), actions.end());
  return actions;
}

Outcome Engine::Create(const Claim& draft, const Actor& actor, absl::Time now) const {
  const CreateDef& create = definition_->create;
  if (!HasAnyRole(actor, create.roles)) {
    Rejection rejection;
    rejection.code = RejectionCode::kRoleNotAllowed;
    rejection.reason = std::string(kReasonRoleNotAllowed);
    rejection.message = absl::StrCat("roles [", absl::StrJoin(actor.roles, ", "),
                                     "] may not create claims in workflow ", definition_->name);
    return rejection;
  }
  std::vector<FieldViolation> violations;
  for (const std::string& field : create.required_fields) {
    if (!IsFieldSet(draft.fields, field)) violations.push_back({field, "required"});
  }
  CheckFieldValues(*index_, *definition_, draft.fields, violations);
  if (!violations.empty()) {
    Rejection rejection;
    rejection.code = RejectionCode::kInvalidInput;
    rejection.reason = std::string(kReasonInvalidInput);
    rejection.message = absl::StrCat("invalid claim: ", ViolationSummary(violations));
    rejection.violations = std::move(violations);
    return rejection;
  }

  const Perspective perspective = index_->PerspectiveOf(actor);
  Decision d;
  d.name = "create";
  d.to_state = create.initial_state;
  d.state_entered_at = now;
  d.fields = draft.fields;
  Claim fresh;
  fresh.id = draft.id;
  fresh.partner_id = draft.partner_id;
  EnterState(*index_, fresh.timers, create.initial_state, now, d.timers);
  Summarize(fresh, d);
  for (const EventDef& event_def : create.events) {
    Event& event = d.events.emplace_back(NewEvent(*index_, draft, event_def, d, now));
    event.attributes.Set("actor", actor.id);
    event.attributes.Set("to_state", create.initial_state);
  }
  d.history.push_back(NewHistory(HistoryKind::kCreated, "create", actor.id, perspective, now,
                                 std::string(), create.initial_state));
  return d;
}

Outcome Engine::Decide(const Claim& claim, const ActionRequest& request, const Actor& actor,
                       absl::Time now) const {
  const TransitionInfo* transition = index_->FindTransition(request.action);
  if (transition == nullptr) {
    return Refuse(
        claim, actor, now, RejectionCode::kUnknownAction, kReasonUnknownAction,
        absl::StrCat("workflow ", definition_->name, " has no action \"", request.action, "\""));
  }
  return Perform(claim, *transition, request, actor, now);
}

Outcome Engine::Perform(const Claim& claim, const TransitionInfo& transition,
                        const ActionRequest& request, const Actor& actor, absl::Time now) const {
  const TransitionDef& def = *transition.def;
  if (!Contains(def.from, claim.state)) {
    return Refuse(
        claim, actor, now, RejectionCode::kActionNotAvailable, kReasonActionNotAvailable,
        absl::StrCat("action \"", def.id, "\" is not available in state \"", claim.state, "\""));
  }
  if (!HasAnyRole(actor, def.roles)) {
    return Refuse(claim, actor, now, RejectionCode::kRoleNotAllowed, kReasonRoleNotAllowed,
                  absl::StrCat("roles [", absl::StrJoin(actor.roles, ", "), "] may not perform \"",
                               def.id, "\"; allowed: ", absl::StrJoin(def.roles, ", ")));
  }
  const Perspective perspective = index_->PerspectiveOf(actor);
  const bool has_comment = !IsBlank(request.comment);
  const bool internal_comment =
      has_comment && request.comment_visibility == CommentVisibility::kInternal;
  if (internal_comment && !MayWriteInternal(perspective)) {
    return Refuse(claim, actor, now, RejectionCode::kRoleNotAllowed, kReasonRoleNotAllowed,
                  "only reviewers may write internal comments");
  }
  std::vector<FieldViolation> violations;
  CheckInputs(transition, claim, request, violations);
  if (!violations.empty()) {
    Rejection rejection =
        Refuse(claim, actor, now, RejectionCode::kInvalidInput, kReasonInvalidInput,
               absl::StrCat("invalid input for \"", def.id, "\": ", ViolationSummary(violations)));
    rejection.violations = std::move(violations);
    return rejection;
  }
  if (const GuardDef* guard = FailedGuard(transition, claim, now); guard != nullptr) {
    Rejection rejection =
        Refuse(claim, actor, now, RejectionCode::kGuardFailed, kReasonGuardFailed,
               guard->message.empty()
                   ? absl::StrCat("condition ", guard->id, " of \"", def.id, "\" does not hold")
                   : guard->message);
    rejection.guard = guard->id;
    return rejection;
  }

  Decision d;
  d.name = def.id;
  d.from_state = claim.state;
  d.to_state = def.to;
  const bool state_changes = def.to != claim.state;
  d.state_entered_at = state_changes ? now : claim.state_entered_at;
  d.facts = claim.facts;
  ++d.facts.action_counts[def.id];

  // The reasons on record: those given, then those the action always implies.
  std::vector<std::string> reasons = request.reasons;
  if (def.inputs.reasons.has_value()) {
    d.facts.last_reasons[def.inputs.reasons->catalog] = request.reasons;
  }
  if (def.implied_reasons.has_value()) {
    const ReasonSet& implied = *def.implied_reasons;
    std::vector<std::string>& last = d.facts.last_reasons[implied.catalog];
    const bool shared_catalog =
        def.inputs.reasons.has_value() && def.inputs.reasons->catalog == implied.catalog;
    if (!shared_catalog) last.clear();
    for (const std::string& code : implied.codes) {
      if (!Contains(last, code)) last.push_back(code);
      if (!Contains(reasons, code)) reasons.push_back(code);
    }
  }
  if (state_changes) {
    d.facts.evidence_added_in_state = 0;
    d.facts.comments_added_in_state = 0;
    EnterState(*index_, claim.timers, def.to, now, d.timers);
    Summarize(claim, d);
  } else {
    if (has_comment) ++d.facts.comments_added_in_state;
    d.sla_status = claim.sla_status;
    d.next_deadline = claim.next_deadline;
  }

  // Room for what a deadline adds in front when a timer performs this (FireTimer).
  d.history.reserve(2);
  if (!def.events.empty()) {
    d.events.reserve(def.events.size() + 2);
    const std::string joined_reasons = absl::StrJoin(reasons, ",");
    for (const EventDef& event_def : def.events) {
      Event& event = d.events.emplace_back(NewEvent(*index_, claim, event_def, d, now));
      event.attributes.Set("action", def.id);
      event.attributes.Set("actor", actor.id);
      event.attributes.Set("from_state", claim.state);
      if (event_def.reasons_from.empty() && !joined_reasons.empty()) {
        event.attributes.Set("reasons", joined_reasons);
      }
      event.attributes.Set("to_state", def.to);
    }
  }
  HistoryEntry& entry = d.history.emplace_back(
      NewHistory(HistoryKind::kAction, def.id, actor.id, perspective, now, claim.state, def.to));
  entry.reasons = std::move(reasons);
  if (has_comment) {
    entry.comment = request.comment;
    entry.internal_comment = internal_comment;
    Comment& comment = d.comments.emplace_back();
    comment.author_id = actor.id;
    comment.perspective = perspective;
    comment.text = request.comment;
    comment.visibility = request.comment_visibility;
    comment.create_time = now;
  }
  return d;
}

Outcome Engine::Edit(const Claim& claim, const EditRequest& request, const Actor& actor,
                     absl::Time now) const {
  std::vector<FieldViolation> violations;
  if (request.field_mask.empty()) violations.push_back({"field_mask", "names no field"});
  for (const std::string& path : request.field_mask) {
    if (!IsKnownField(path)) {
      violations.push_back({path, absl::StrCat("unknown field; known: ", KnownFields())});
    }
  }
  if (!violations.empty()) {
    Rejection rejection =
        Refuse(claim, actor, now, RejectionCode::kInvalidInput, kReasonInvalidInput,
               absl::StrCat("invalid field mask: ", ViolationSummary(violations)));
    rejection.violations = std::move(violations);
    return rejection;
  }

  const StateDef* state = index_->FindState(claim.state);
  for (const std::string& path : request.field_mask) {
    bool editable = false;
    if (state != nullptr) {
      for (const EditRule& rule : state->edit_rules) {
        if (HasAnyRole(actor, rule.roles) && Contains(rule.fields, path)) editable = true;
      }
    }
    if (!editable) {
      violations.push_back(
          {path, absl::StrCat("not editable by roles [", absl::StrJoin(actor.roles, ", "),
                              "] in state ", claim.state)});
    }
  }
  if (!violations.empty()) {
    Rejection rejection =
        Refuse(claim, actor, now, RejectionCode::kNotEditable, kReasonFieldNotEditable,
               absl::StrCat("fields not editable: ", ViolationSummary(violations)));
    rejection.violations = std::move(violations);
    return rejection;
  }

  ClaimFields after = claim.fields;
  for (const std::string& path : request.field_mask) CopyField(request.fields, path, after);
  for (const std::string& field : definition_->create.required_fields) {
    if (Contains(request.field_mask, field) && !IsFieldSet(after, field)) {
      violations.push_back({field, "required"});
    }
  }
  CheckFieldValues(*index_, *definition_, after, violations);
  if (!violations.empty()) {
    Rejection rejection =
        Refuse(claim, actor, now, RejectionCode::kInvalidInput, kReasonInvalidInput,
               absl::StrCat("invalid edit: ", ViolationSummary(violations)));
    rejection.violations = std::move(violations);
    return rejection;
  }

  Decision d = Unchanged(claim, "edit");
  HistoryEntry& entry = d.history.emplace_back(NewHistory(HistoryKind::kEdit, "edit", actor.id,
                                                          index_->PerspectiveOf(actor), now,
                                                          claim.state, claim.state));
  for (std::string_view field : kFields) {
    if (!Contains(request.field_mask, field)) continue;
    std::string before = FieldText(claim.fields, field);
    std::string now_text = FieldText(after, field);
    if (before != now_text) {
      entry.changes.push_back({std::string(field), std::move(before), std::move(now_text)});
    }
  }
  d.fields = std::move(after);
  return d;
}

Outcome Engine::AddComment(const Claim& claim, const Comment& comment, const Actor& actor,
                           absl::Time now) const {
  const StateDef* state = index_->FindState(claim.state);
  if (state == nullptr || state->comment_roles.empty()) {
    return Refuse(claim, actor, now, RejectionCode::kNotEditable, kReasonCommentsClosed,
                  absl::StrCat("comments are closed in state ", claim.state));
  }
  if (!HasAnyRole(actor, state->comment_roles)) {
    return Refuse(claim, actor, now, RejectionCode::kRoleNotAllowed, kReasonRoleNotAllowed,
                  absl::StrCat("roles [", absl::StrJoin(actor.roles, ", "),
                               "] may not comment in state ", claim.state));
  }
  const Perspective perspective = index_->PerspectiveOf(actor);
  const bool internal_comment = comment.visibility == CommentVisibility::kInternal;
  if (internal_comment && !MayWriteInternal(perspective)) {
    return Refuse(claim, actor, now, RejectionCode::kRoleNotAllowed, kReasonRoleNotAllowed,
                  "only reviewers may write internal comments");
  }
  if (IsBlank(comment.text)) {
    Rejection rejection = Refuse(claim, actor, now, RejectionCode::kInvalidInput,
                                 kReasonInvalidInput, "the comment is empty");
    rejection.violations.push_back({"comment", "must not be empty"});
    return rejection;
  }
  Decision d = Unchanged(claim, "comment");
  ++d.facts.comments_added_in_state;
  Comment& added = d.comments.emplace_back(comment);
  added.author_id = actor.id;
  added.perspective = perspective;
  added.create_time = now;
  HistoryEntry& entry = d.history.emplace_back(NewHistory(
      HistoryKind::kComment, "comment", actor.id, perspective, now, claim.state, claim.state));
  entry.comment = comment.text;
  entry.internal_comment = internal_comment;
  return d;
}

Outcome Engine::AddEvidence(const Claim& claim, const Evidence& evidence, const Actor& actor,
                            absl::Time now) const {
  const StateDef* state = index_->FindState(claim.state);
  if (state == nullptr || state->evidence_roles.empty()) {
    return Refuse(claim, actor, now, RejectionCode::kNotEditable, kReasonEvidenceClosed,
                  absl::StrCat("evidence is closed in state ", claim.state));
  }
  if (!HasAnyRole(actor, state->evidence_roles)) {
    return Refuse(claim, actor, now, RejectionCode::kRoleNotAllowed, kReasonRoleNotAllowed,
                  absl::StrCat("roles [", absl::StrJoin(actor.roles, ", "),
                               "] may not add evidence in state ", claim.state));
  }
  std::vector<FieldViolation> violations;
  if (IsBlank(evidence.file_name)) violations.push_back({"evidence", "file name is empty"});
  if (evidence.size_bytes < 0) violations.push_back({"evidence", "size is negative"});
  if (!violations.empty()) {
    Rejection rejection =
        Refuse(claim, actor, now, RejectionCode::kInvalidInput, kReasonInvalidInput,
               absl::StrCat("invalid evidence: ", ViolationSummary(violations)));
    rejection.violations = std::move(violations);
    return rejection;
  }
  const Perspective perspective = index_->PerspectiveOf(actor);
  Decision d = Unchanged(claim, "evidence");
  d.evidence_added = 1;
  ++d.facts.evidence_added_in_state;
  Evidence& added = d.evidence.emplace_back();
  added.id = evidence.id;
  added.file_name = evidence.file_name;
  added.content_type = evidence.content_type;
  added.size_bytes = evidence.size_bytes;
  added.sha256_hex = evidence.sha256_hex;
  added.uploaded_by = actor.id;
  added.upload_time = now;
  d.history.emplace_back(NewHistory(HistoryKind::kEvidence, evidence.file_name, actor.id,
                                    perspective, now, claim.state, claim.state));
  return d;
}

std::optional<Decision> Engine::FireTimer(const Claim& claim, std::string_view timer_name,
                                          absl::Time now) const {
  const TimerInstance* instance = FindInstance(claim.timers, timer_name);
  if (instance == nullptr || instance->status != TimerStatus::kArmed ||
      now < instance->NextFireAt()) {
    return std::nullopt;
  }
  const TimerInfo* timer = index_->FindTimer(timer_name);
  if (timer == nullptr) return std::nullopt;
  const TimerDef& def = *timer->def;
  const std::string system_id(kSystemActorId);

  // A sweep that comes after the deadline goes straight to it: a warning then is moot.
  if (now < instance->due_at) {
    Decision d = Unchanged(claim, def.id);
    TimerInstance& warned = d.timers.emplace_back(*instance);
    warned.warned = true;
    Summarize(claim, d);
    for (const EventDef& event_def : def.warning_events) {
      AddTimerAttributes(warned, claim,
                         d.events.emplace_back(NewEvent(*index_, claim, event_def, d, now)));
    }
    d.history.push_back(NewHistory(HistoryKind::kTimer, def.id, system_id, Perspective::kSystem,
                                   now, claim.state, claim.state));
    return d;
  }

  TimerInstance finished = *instance;
  finished.status = TimerStatus::kBreached;
  std::string refusal;
  if (def.on_deadline == DeadlineAction::kTransition) {
    const TransitionInfo* transition = index_->FindTransition(def.transition);
    const Actor& system = index_->system_actor();
    Outcome outcome = transition != nullptr
                          ? Perform(claim, *transition, timer->deadline_request, system, now)
                          : Outcome(Refuse(claim, system, now, RejectionCode::kUnknownAction,
                                           kReasonUnknownAction,
                                           absl::StrCat("no action \"", def.transition, "\"")));
    if (Decision* performed = std::get_if<Decision>(&outcome)) {
      Decision d = std::move(*performed);
      d.name = def.id;
      // Unless entering the new state started a fresh run of this timer, this run is done.
      finished.status = TimerStatus::kFired;
      TimerInstance* update = FindInstance(d.timers, def.id);
      if (update == nullptr) {
        d.timers.push_back(finished);
      } else if (update->started_at == instance->started_at) {
        *update = finished;
      }
      Summarize(claim, d);
      std::vector<Event> events;
      DeadlineEvents(*index_, def, finished, claim, d, now, /*breach=*/false, events);
      d.events.insert(d.events.begin(), std::make_move_iterator(events.begin()),
                      std::make_move_iterator(events.end()));
      d.history.insert(d.history.begin(),
                       NewHistory(HistoryKind::kTimer, def.id, system_id, Perspective::kSystem, now,
                                  claim.state, claim.state));
      return d;
    }
    // The deadline action was refused (a guard, or the claim moved on without stopping the
    // timer): flag the breach so a person looks at it, instead of leaving a timer that is due
    // forever.
    const Rejection& rejection = std::get<Rejection>(outcome);
    refusal = absl::StrCat(rejection.reason, ": ", rejection.message);
  }
  Decision d = Unchanged(claim, def.id);
  d.timers.push_back(finished);
  Summarize(claim, d);
  DeadlineEvents(*index_, def, finished, claim, d, now, /*breach=*/true, d.events);
  if (!refusal.empty()) {
    for (Event& event : d.events) event.attributes.Set("error", refusal);
  }
  d.history.push_back(NewHistory(HistoryKind::kTimer, def.id, system_id, Perspective::kSystem, now,
                                 claim.state, claim.state));
  return d;
}

}  // namespace claims::workflow
