#include "workflow/decision.h"

#include <algorithm>

namespace claims::workflow {

Claim ApplyDecision(const Claim& before, const Decision& decision, absl::Time now) {
  Claim after = before;
  after.state = decision.to_state;
  after.state_entered_at = decision.state_entered_at;
  after.sla_status = decision.sla_status;
  after.next_deadline = decision.next_deadline;
  after.facts = decision.facts;
  if (decision.fields.has_value()) after.fields = *decision.fields;
  after.evidence_count += decision.evidence_added;
  if (decision.workflow_version.has_value()) after.workflow_version = *decision.workflow_version;
  for (const TimerInstance& update : decision.timers) {
    auto it = std::find_if(after.timers.begin(), after.timers.end(),
                           [&](const TimerInstance& t) { return t.name == update.name; });
    if (it == after.timers.end()) {
      after.timers.push_back(update);
    } else {
      *it = update;
    }
  }
  after.version = before.version + 1;
  after.update_time = now;
  return after;
}

std::string_view PerspectiveName(Perspective p) {
  switch (p) {
    case Perspective::kPartner:
      return "partner";
    case Perspective::kReviewer:
      return "reviewer";
    case Perspective::kCustomer:
      return "customer";
    case Perspective::kSystem:
      return "system";
  }
  return "system";
}

std::optional<Perspective> ParsePerspective(std::string_view name) {
  for (Perspective p : {Perspective::kPartner, Perspective::kReviewer, Perspective::kCustomer,
                        Perspective::kSystem}) {
    if (PerspectiveName(p) == name) return p;
  }
  return std::nullopt;
}

}  // namespace claims::workflow
