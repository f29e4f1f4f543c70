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

  // Performs the transition `request.action` on `claim` as `actor` at `now`.
  Outcome Decide(const Claim& claim, const ActionRequest& request, const Actor& actor,
                 absl::Time now) const;

  // Changes the fields in `request.field_mask`, if the actor's roles may edit them in the
  // claim's state.
  Outcome Edit(const Claim& claim, const EditRequest& request, const Actor& actor,
               absl::Time now) const;

  Outcome AddComment(const Claim& claim, const Comment& comment, const Actor& actor,
                     absl::Time now) const;

  // `evidence` carries metadata only; the caller stores the bytes with the decision.
  Outcome AddEvidence(const Claim& claim, const Evidence& evidence, const Actor& actor,
                      absl::Time now) const;

  // What timer `timer_name` does at `now`: its warning, its deadline (flag or transition as
  // the system actor), or nothing when it is not due (a stale sweep), paused or finished.
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
