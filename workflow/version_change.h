#pragma once

// What a new workflow version, or a changed calendar, does to the claims already running:
// the difference between two definitions, and, per claim, its timers replayed from its
// history under a definition. Pure like the engine: no I/O, no clock; `now` is a parameter.
// The server reads the claims and their histories, asks these functions, and applies the
// resulting decisions through the repository with the claim's version as the guard.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/time/time.h"
#include "workflow/claim.h"
#include "workflow/decision.h"
#include "workflow/definition.h"
#include "workflow/loader.h"

namespace claims::workflow {

enum class ChangeKind { kAdded, kRemoved, kChanged };

// One state, transition, timer or calendar that differs between two versions. `details` says
// what changed for kChanged, one line each ("to: approved -> closed", "roles: +reviewer",
// "holidays: +2026-12-24").
struct ElementChange {
  ChangeKind kind = ChangeKind::kChanged;
  std::string id;
  std::vector<std::string> details;
  bool operator==(const ElementChange&) const = default;
};

// An action a role gains or loses in a state that both versions have.
struct ActionAvailabilityChange {
  std::string state;
  std::string role;
  std::string action;
  bool available_after = false;  // true: appears in the new version; false: vanishes
  bool operator==(const ActionAvailabilityChange&) const = default;
};

// The definition-level difference, each list sorted by id (then state, role, action).
struct DefinitionDiff {
  std::vector<ElementChange> states;
  std::vector<ElementChange> transitions;
  std::vector<ElementChange> timers;
  std::vector<ElementChange> calendars;
  std::vector<ActionAvailabilityChange> actions;
  bool empty() const {
    return states.empty() && transitions.empty() && timers.empty() && calendars.empty() &&
           actions.empty();
  }
};

DefinitionDiff DiffDefinitions(const Definition& before, const Definition& after);

// Whether `to` may take the running claims of `from`: `to.migrate_from` names from.version,
// every state of `from` that `to` lacks is mapped, and every mapping targets a state of `to`.
// Diagnostics point at the migrate_from block of `to` (file `to_file`); empty when it may.
std::vector<Diagnostic> CheckMigration(const Definition& from, const Definition& to,
                                       std::string_view to_file);

// The state a claim in `state` of the old version takes in `to`: the mapping of
// to.migrate_from, else the same id when `to` has it; nullopt when it is stranded.
std::optional<std::string> MigratedState(const Definition& to, std::string_view state);

// How one armed or paused timer's deadline moves.
struct DeadlineMove {
  std::string timer;
  TimerStatus status_before = TimerStatus::kArmed;
  TimerStatus status_after = TimerStatus::kArmed;
  absl::Time due_before = absl::InfiniteFuture();  // InfiniteFuture when not armed
  absl::Time due_after = absl::InfiniteFuture();
  absl::Duration remaining_before = absl::ZeroDuration();  // while paused
  absl::Duration remaining_after = absl::ZeroDuration();
  bool operator==(const DeadlineMove&) const = default;
};

// The claim's timers as `definition` would have them had the claim's state changes (its
// history, in sequence order: kCreated, kAction, kTimer and kMigration entries that change
// state) happened under it. States recorded under an older version are read through
// MigratedState. Arming, pausing (remaining time conserved), resuming and stopping follow the
// engine's rules (Engine::Decide); the warning flag carries over from `claim.timers`.
// Timers of `claim` that already fired, breached or were cancelled stay exactly as they are;
// only armed and paused ones, and timers the definition has that the claim never had, are
// replayed. Timers the claim has that `definition` lacks come back cancelled.
struct TimerReplay {
  std::vector<TimerInstance> timers;  // the claim's full timer set after the replay
  std::vector<DeadlineMove> moves;    // only the timers whose status, due_at or remaining changed
};
TimerReplay ReplayTimers(const Definition& definition, const Claim& claim,
                         const std::vector<HistoryEntry>& history);

// Why a claim cannot be migrated or recomputed.
struct ChangeRefusal {
  std::string reason;  // STATE_NOT_MAPPED, WRONG_WORKFLOW_VERSION, NO_MIGRATION
  std::string message;
};

// Moves `claim` (on `from`) to `to` at `now`: its state through MigratedState (the time it
// entered the state is kept, so `within` guards still count from the real entry), its timers
// through ReplayTimers, sla_status and next_deadline summarised as the engine does (breached
// stays breached). The decision sets workflow_version to to.version and carries one history
// entry (kMigration, name "migrate", from/to state, changes "workflow_version" and one per
// moved deadline "timer/<id>") and one event "claim.migrated" (attributes from_version,
// to_version, from_state, to_state). Refused when `to` has no migrate_from for the claim's
// version, or the claim's state is stranded.
std::variant<Decision, ChangeRefusal> MigrateClaim(const Definition& from, const Definition& to,
                                                   const Claim& claim,
                                                   const std::vector<HistoryEntry>& history,
                                                   absl::Time now);

// The claim's deadlines recomputed under `definition` (the same version, whose calendars may
// have changed): nullopt when no deadline moves. Otherwise a decision whose timers are only
// the moved ones, with one history entry (kDeadlineChange, name "recompute_deadlines", a
// change "timer/<id>" per moved timer, before/after due time in RFC 3339 UTC) and one event
// "claim.deadlines_changed" (attributes "<timer>_due_at" and "<timer>_previous_due_at").
// A timer that already fired or breached is never touched.
std::optional<Decision> RecomputeDeadlines(const Definition& definition, const Claim& claim,
                                           const std::vector<HistoryEntry>& history,
                                           absl::Time now);

}  // namespace claims::workflow
