#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "workflow/claim.h"
#include "workflow/decision.h"
#include "workflow/definition.h"

namespace claims::workflow {

namespace internal {
class EngineIndex;
struct TransitionInfo;
}  // namespace internal

// An action as a caller asks for it: the transition id and the inputs it may require.
struct ActionRequest {
  std::string action;
  std::vector<std::string> reasons;  // codes from the catalog the transition names
  std::string comment;
  CommentVisibility comment_visibility = CommentVisibility::kPublic;
};

// An edit of a claim's fields: `field_mask` names the fields (kField* in claim.h) taken
// from `fields`; the others are left as they are.
struct EditRequest {
  ClaimFields fields;
  std::vector<std::string> field_mask;
};

// Decides what every change to a claim does, for one immutable definition. Pure: no I/O and no
// clock; `now` is a parameter. Thread-safe: all methods are const and share nothing mutable.
class Engine {
 public:
  explicit Engine(std::shared_ptr<const Definition> definition);

  const Definition& definition() const { return *definition_; }

  // A new claim: `draft` holds id, partner_id and fields; the decision puts it in the
  // definition's initial state and arms the timers that start there.
  Outcome Create(const Claim& draft, const Actor& actor, absl::Time now) const;

  // Performs the transition `request.action` on `claim` as `actor` at `now`. Checks, in this
  // order, each refusal listing the actor's available actions: the action exists
  // (kUnknownAction), leaves the claim's state (kActionNotAvailable), one of the actor's roles
  // may take it (kRoleNotAllowed; also for an internal comment from a partner or customer),
  // the inputs (kInvalidInput, a violation per field: "reasons", "comment", "evidence"), the
  // guards in file order (kGuardFailed naming the first that fails; `within` guards are
  // inclusive at the boundary). On a state change the decision arms, pauses, resumes and
  // cancels timers (see EnterState in engine.cc: stop beats pause beats resume beats start;
  // a paused timer resumes with its remaining business time rather than restarting) and
  // resets the per-state counters; breached SLA status is sticky.
  Outcome Decide(const Claim& claim, const ActionRequest& request, const Actor& actor,
                 absl::Time now) const;

  // Changes the fields in `request.field_mask`, if the actor's roles may edit them in the
  // claim's state: kInvalidInput for unknown field names, then kNotEditable
  // (FIELD_NOT_EDITABLE, a violation per field), then kInvalidInput for values (catalog codes,
  // required fields emptied). History records before/after text of the fields that changed.
  Outcome Edit(const Claim& claim, const EditRequest& request, const Actor& actor,
               absl::Time now) const;

  // COMMENTS_CLOSED (kNotEditable) when the state takes no comments, kRoleNotAllowed when the
  // actor's roles may not comment there or a non-reviewer marks it internal, kInvalidInput for
  // an empty text. Internal comments are flagged in history (internal_comment).
  Outcome AddComment(const Claim& claim, const Comment& comment, const Actor& actor,
                     absl::Time now) const;

  // `evidence` carries metadata only; the caller stores the bytes with the decision.
  // EVIDENCE_CLOSED (kNotEditable), kRoleNotAllowed, or kInvalidInput for an empty file name.
  Outcome AddEvidence(const Claim& claim, const Evidence& evidence, const Actor& actor,
                      absl::Time now) const;

  // What timer `timer_name` does at `now`: its warning, its deadline (flag or transition as
  // the system actor), or nothing when it is not due (a stale sweep), paused or finished.
  // A sweep after the deadline skips a pending warning. A breach always emits sla_breached
  // (plus the timer's own events). A deadline transition runs through the same checks as
  // Decide; if they refuse it, the timer is flagged as breached with the refusal in the
  // events' "error" attribute, so it never stays due forever.
  std::optional<Decision> FireTimer(const Claim& claim, std::string_view timer_name,
                                    absl::Time now) const;

  // The actions `actor` may perform on `claim` at `now` (roles, state and guards), sorted.
  std::vector<std::string> AvailableActions(const Claim& claim, const Actor& actor,
                                            absl::Time now) const;

 private:
  Outcome Perform(const Claim& claim, const internal::TransitionInfo& transition,
                  const ActionRequest& request, const Actor& actor, absl::Time now) const;
  Rejection Refuse(const Claim& claim, const Actor& actor, absl::Time now, RejectionCode code,
                   std::string_view reason, std::string message) const;

  std::shared_ptr<const Definition> definition_;
  std::shared_ptr<const internal::EngineIndex> index_;
};

}  // namespace claims::workflow
