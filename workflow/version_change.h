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
// A mapping to an unknown state points at the new id itself when the loader recorded where it
// is (MigrationDef::state_positions); a `to` without migrate_from gets one diagnostic at 1:1.
std::vector<Diagnostic> CheckMigration(const Definition& from, const Definition& to,
                                       std::string_view to_file);

// The state a claim in `state` of the old version takes in `to`: the mapping of
// to.migrate_from, else the same id when `to` has it; nullopt when it is stranded.
std::optional<std::string> MigratedState(const Definition& to, std::string_view state);

// How one armed or paused timer's deadline moves. A timer the claim did not have reads as
// kCancelled before (not running); one it had running that the definition would not run reads
// as kCancelled after.
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
//
// How the history is read:
// - Entries up to the claim's last kMigration were recorded under an older version, and so are
//   all entries when the claim does not run definition.version; those are the ones read
//   through MigratedState. A state change whose state, so read, is the one the replay is in
//   already (a migration that kept or renamed the state) enters nothing.
// - A kTimer entry directly followed by the system's kAction at the same time is a deadline
//   that performed its transition: that run ends as fired unless entering the new state
//   started a fresh one, as in Engine::FireTimer. A kTimer entry on its own is a warning or a
//   breach: a warning when it falls in the run the claim still has running (a breach would
//   have ended it), otherwise a breach when it came at or after the replayed deadline.
// - A replay never fires a timer itself: a deadline the definition puts in the past stays
//   armed and due, so that the scheduler's next sweep fires it with its usual events.
// - A timer the claim never had comes back only if it is running at the end of the replay,
//   not warned.
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
// Refusals, in this order: WRONG_WORKFLOW_VERSION when the claim does not run `from` (name and
// version); NO_MIGRATION when `to` is another workflow or its migrate_from is missing or names
// another version; STATE_NOT_MAPPED. The decision's timers are those whose instance changed.
// A warning already sent (`warned`) is cleared when its timer's new warning time is later
// than the old one and still ahead of `now`: the claim is not at risk until then, and the
// warning goes out again, with the new due time; one whose new warning time has passed stays
// sent. History and events say "paused, <time left> left" for a paused timer.
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
// Only running timers move: a recompute neither starts, stops nor resumes one, so a timer
// whose status the replay would change is left alone. A paused timer's change reads
// "paused, <time left> left" in place of a due time; the event also carries "state". Warnings
// are cleared as for MigrateClaim. nullopt as well for a claim that does not run `definition`
// (name and version): it has nothing to recompute under it.
std::optional<Decision> RecomputeDeadlines(const Definition& definition, const Claim& claim,
                                           const std::vector<HistoryEntry>& history,
                                           absl::Time now);

}  // namespace claims::workflow
