#pragma once

// The parts every decision is built from, shared by the engine (workflow/engine.cc) and by the
// changes applied to running claims (workflow/version_change.h), so that a replayed timer
// follows exactly the rules the engine armed it by.

#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "workflow/claim.h"
#include "workflow/decision.h"
#include "workflow/definition.h"
#include "workflow/internal/engine_index.h"

namespace claims::workflow::internal {

// RFC 3339 in UTC ("2026-12-02T08:00:00Z").
std::string TimeText(absl::Time t);

TimerInstance* FindInstance(std::vector<TimerInstance>& timers, std::string_view name);
const TimerInstance* FindInstance(const std::vector<TimerInstance>& timers, std::string_view name);

// Appends to `changed` the timers that change when the claim, whose timers are `current`,
// enters state `to` at `now`. Per timer, the first rule that applies: entering a stop state
// cancels it; entering a pause state pauses it (arming it first if it also starts there); a
// paused timer resumes with its remaining time, even when entering a start state, so a pause
// never resets an SLA; entering a start state (re)arms it.
void EnterState(const EngineIndex& index, const std::vector<TimerInstance>& current,
                std::string_view to, absl::Time now, std::vector<TimerInstance>& changed);

// Sets next_deadline and sla_status of `decision` over the claim's timers with
// `decision.timers` applied. Breached is sticky: once any SLA of the claim was missed, the
// claim stays flagged.
void Summarize(const Claim& claim, Decision& decision);

// A decision named `name` that leaves state, facts and timers as they are.
Decision Unchanged(const Claim& claim, std::string_view name);

// An event of `def` about `claim` at `now`: type, claim id, partner, time, the definition's
// fixed attributes, and what reasons_from and deadline_of ask for. `decided` holds the claim's
// facts and state entry once the decision is applied.
Event NewEvent(const EngineIndex& index, const Claim& claim, const EventDef& def,
               const Decision& decided, absl::Time now);

HistoryEntry NewHistory(HistoryKind kind, std::string_view name, std::string_view actor_id,
                        Perspective perspective, absl::Time now, const std::string& from,
                        const std::string& to);

}  // namespace claims::workflow::internal
