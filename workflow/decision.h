#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/time/time.h"
#include "workflow/claim.h"

namespace claims::workflow {

// What the engine decided: everything that changes when one action, edit, comment, evidence
// upload or timer firing is applied to a claim. Storage applies it in one transaction.
struct Decision {
  std::string name;  // transition id, timer id, or "create", "edit", "comment", "evidence"
  std::string from_state;
  std::string to_state;  // equal to from_state when the state does not change
  absl::Time state_entered_at = absl::InfinitePast();
  SlaStatus sla_status = SlaStatus::kOnTrack;
  absl::Time next_deadline = absl::InfiniteFuture();
  ClaimFacts facts;
  std::optional<ClaimFields> fields;  // set when the decision changes the claim's fields
  int32_t evidence_added = 0;
  std::vector<TimerInstance> timers;  // upserts by name: only the timers that changed
  std::vector<Event> events;
  std::vector<HistoryEntry> history;
  std::vector<Comment> comments;
  std::vector<Evidence> evidence;  // metadata from the engine; the server attaches the bytes
  // Set only by a migration (workflow/version_change.h): the version the claim moves to.
  std::optional<int64_t> workflow_version;
};

// Why the engine refused. `reason` is a stable UPPER_SNAKE identifier for machines
// (google.rpc.ErrorInfo.reason); `message` is for people.
enum class RejectionCode {
  kUnknownAction,       // the definition has no such action
  kActionNotAvailable,  // the action exists but not from the claim's state
  kRoleNotAllowed,      // none of the actor's roles may perform it
  kGuardFailed,         // a guard of the transition does not hold; `guard` names it
  kInvalidInput,        // missing or invalid input; `violations` names the fields
  kNotEditable,         // the field, comment or evidence may not be changed in this state
};

struct FieldViolation {
  std::string field;
  std::string description;
  bool operator==(const FieldViolation&) const = default;
};

struct Rejection {
  RejectionCode code = RejectionCode::kInvalidInput;
  std::string reason;
  std::string message;
  std::string guard;
  std::vector<FieldViolation> violations;
  std::vector<std::string> available_actions;  // what the actor may do instead, sorted
};

// A business outcome: a decision to apply, or a refusal that says why.
using Outcome = std::variant<Decision, Rejection>;

// The claim as it stands once `decision` is applied at `now`: state, fields, timers, facts,
// counters, version + 1 and update time. Storage persists exactly this.
Claim ApplyDecision(const Claim& before, const Decision& decision, absl::Time now);

}  // namespace claims::workflow
