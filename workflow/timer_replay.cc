// ReplayTimers, MigrateClaim and RecomputeDeadlines (workflow/version_change.h): a claim's
// timers as a definition would have them, replayed from the claim's history through the
// engine's own EnterState, and the decisions that move a claim onto them.

#include <algorithm>
#include <utility>

#include "absl/time/time.h"
#include "workflow/internal/decision_parts.h"
#include "workflow/internal/engine_index.h"
#include "workflow/internal/text.h"
#include "workflow/version_change.h"

namespace claims::workflow {
namespace {

using internal::Cat;
using internal::EngineIndex;
using internal::FindInstance;

constexpr std::string_view kSystemActorId = "system";
constexpr std::string_view kReasonStateNotMapped = "STATE_NOT_MAPPED";
constexpr std::string_view kReasonWrongWorkflowVersion = "WRONG_WORKFLOW_VERSION";
constexpr std::string_view kReasonNoMigration = "NO_MIGRATION";

bool IsRunning(const TimerInstance& timer) {
  return timer.status == TimerStatus::kArmed || timer.status == TimerStatus::kPaused;
}

void Upsert(std::vector<TimerInstance>& timers, const std::vector<TimerInstance>& changed) {
  for (const TimerInstance& update : changed) {
    if (TimerInstance* existing = FindInstance(timers, update.name)) {
      *existing = update;
    } else {
      timers.push_back(update);
    }
  }
}

// The timer as a DeadlineMove sees it; a timer the claim does not have reads as cancelled (not
// running).
struct Deadline {
  TimerStatus status = TimerStatus::kCancelled;
  absl::Time due = absl::InfiniteFuture();
  absl::Duration remaining = absl::ZeroDuration();
};

Deadline DeadlineOf(const TimerInstance* timer) {
  Deadline deadline;
  if (timer == nullptr) return deadline;
  deadline.status = timer->status;
  if (timer->status == TimerStatus::kArmed) deadline.due = timer->due_at;
  if (timer->status == TimerStatus::kPaused) deadline.remaining = timer->remaining;
  return deadline;
}

std::optional<DeadlineMove> MoveOf(std::string_view name, const TimerInstance* before,
                                   const TimerInstance& after) {
  const Deadline b = DeadlineOf(before);
  const Deadline a = DeadlineOf(&after);
  if (b.status == a.status && b.due == a.due && b.remaining == a.remaining) return std::nullopt;
  return DeadlineMove{std::string(name), b.status,   a.status, b.due, a.due,
                      b.remaining,       a.remaining};
}

// How a deadline reads in history: the due time while armed, the time left while paused.
std::string DeadlineText(TimerStatus status, absl::Time due, absl::Duration remaining) {
  switch (status) {
    case TimerStatus::kArmed:
      return internal::TimeText(due);
    case TimerStatus::kPaused:
      return Cat("paused, ", absl::FormatDuration(remaining), " left");
    case TimerStatus::kCancelled:
      return "not running";
    case TimerStatus::kFired:
      return "fired";
    case TimerStatus::kBreached:
      return "breached";
  }
  return "not running";
}

FieldChange MoveChange(const DeadlineMove& move) {
  return {Cat("timer/", move.timer),
          DeadlineText(move.status_before, move.due_before, move.remaining_before),
          DeadlineText(move.status_after, move.due_after, move.remaining_after)};
}

// A warning already sent announced the old deadline. When the deadline moved so that the
// warning is due again later, the flag is cleared: the claim is no longer at risk, and the
// warning is sent again, with the new due time, when the new warning time comes. A warning
// whose new time has passed already stays sent, so nobody is warned twice about one deadline.
void RearmMovedWarning(const TimerInstance* before, TimerInstance& after, absl::Time now) {
  if (before == nullptr || !before->warned || after.status != TimerStatus::kArmed) return;
  if (after.warn_at > now && after.warn_at > before->warn_at) after.warned = false;
}

// The state a history entry names, as `definition` knows it. Entries recorded under the version
// `definition` is (after the claim's last migration, when the claim runs that version) use its
// ids; older ones are read through its migrate_from. An id it does not know stays as it is:
// entering it arms, pauses and stops nothing.
class StateReader {
 public:
  StateReader(const Definition& definition, const Claim& claim,
              const std::vector<const HistoryEntry*>& entries)
      : definition_(definition), native_(definition.version == claim.workflow_version) {
    for (std::size_t i = 0; i < entries.size(); ++i) {
      if (entries[i]->kind == HistoryKind::kMigration) last_migration_ = i;
    }
  }

  // The to_state of entry `i`.
  std::string To(std::size_t i, const HistoryEntry& entry) const {
    const bool recorded_here = native_ && (!last_migration_.has_value() || i >= *last_migration_);
    if (recorded_here) return entry.to_state;
    return MigratedState(definition_, entry.to_state).value_or(entry.to_state);
  }

 private:
  const Definition& definition_;
  const bool native_;
  std::optional<std::size_t> last_migration_;
};

TimerReplay Replay(const EngineIndex& index, const Definition& definition, const Claim& claim,
                   const std::vector<HistoryEntry>& history) {
  std::vector<const HistoryEntry*> entries;
  entries.reserve(history.size());
  for (const HistoryEntry& entry : history) entries.push_back(&entry);
  std::stable_sort(
      entries.begin(), entries.end(),
      [](const HistoryEntry* a, const HistoryEntry* b) { return a->sequence < b->sequence; });
  const StateReader reader(definition, claim, entries);

  std::vector<TimerInstance> timers;
  std::vector<TimerInstance> changed;
  std::string state;
  auto enter = [&](const std::string& to, absl::Time at) {
    changed.clear();
    internal::EnterState(index, timers, to, at, changed);
    Upsert(timers, changed);
    state = to;
  };
  // A deadline that performed its transition: the run it ends, settled once the transition's
  // entry (the next one) is replayed, as FireTimer settles it.
  std::optional<TimerInstance> firing;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const HistoryEntry& entry = *entries[i];
    std::optional<TimerInstance> settling = std::move(firing);
    firing.reset();
    if (entry.kind == HistoryKind::kCreated) {
      enter(reader.To(i, entry), entry.time);
    } else if (entry.kind == HistoryKind::kTimer && entry.from_state == entry.to_state) {
      TimerInstance* timer = FindInstance(timers, entry.name);
      // Not running under this definition: its firing changes nothing here.
      if (timer == nullptr || timer->status != TimerStatus::kArmed) continue;
      const bool performed_transition =
          i + 1 < entries.size() && entries[i + 1]->kind == HistoryKind::kAction &&
          entries[i + 1]->time == entry.time && entries[i + 1]->actor_id == kSystemActorId &&
          entries[i + 1]->perspective == Perspective::kSystem;
      if (performed_transition) {
        firing = *timer;
        continue;
      }
      // A warning or a breach: the entry does not say which. One during the run the claim
      // still has running was a warning, since a breach ends the run; otherwise the deadline
      // under this definition decides, which under the claim's own definition is exactly
      // what FireTimer decided.
      const TimerInstance* current = FindInstance(claim.timers, entry.name);
      const bool in_running_run =
          current != nullptr && IsRunning(*current) && current->started_at < entry.time;
      if (!in_running_run && entry.time >= timer->due_at) {
        timer->status = TimerStatus::kBreached;
      } else {
        timer->warned = true;
      }
    } else if (entry.from_state != entry.to_state) {
      const std::string to = reader.To(i, entry);
      if (to != state) enter(to, entry.time);
    }
    if (settling.has_value()) {
      // Unless entering the new state started a fresh run of the timer, its run is done.
      TimerInstance* update = FindInstance(timers, settling->name);
      if (update != nullptr && update->started_at == settling->started_at) {
        *update = *settling;
        update->status = TimerStatus::kFired;
      }
    }
  }

  TimerReplay out;
  out.timers.reserve(claim.timers.size() + index.timers().size());
  for (const TimerInstance& had : claim.timers) {
    if (!IsRunning(had)) {
      out.timers.push_back(had);
      continue;
    }
    const TimerInstance* replayed =
        index.FindTimer(had.name) == nullptr ? nullptr : FindInstance(timers, had.name);
    TimerInstance& after = out.timers.emplace_back(had);
    if (replayed != nullptr && IsRunning(*replayed)) {
      after = *replayed;
      after.warned = had.warned;
    } else {
      after.status = TimerStatus::kCancelled;
    }
    if (std::optional<DeadlineMove> move = MoveOf(had.name, &had, after)) {
      out.moves.push_back(*std::move(move));
    }
  }
  for (const internal::TimerInfo& info : index.timers()) {
    if (FindInstance(claim.timers, info.def->id) != nullptr) continue;
    const TimerInstance* replayed = FindInstance(timers, info.def->id);
    if (replayed == nullptr || !IsRunning(*replayed)) continue;
    TimerInstance& after = out.timers.emplace_back(*replayed);
    after.warned = false;
    if (std::optional<DeadlineMove> move = MoveOf(after.name, nullptr, after)) {
      out.moves.push_back(*std::move(move));
    }
  }
  return out;
}

ChangeRefusal Refusal(std::string_view reason, std::string message) {
  return ChangeRefusal{std::string(reason), std::move(message)};
}

}  // namespace

TimerReplay ReplayTimers(const Definition& definition, const Claim& claim,
                         const std::vector<HistoryEntry>& history) {
  const EngineIndex index(definition);
  return Replay(index, definition, claim, history);
}

std::variant<Decision, ChangeRefusal> MigrateClaim(const Definition& from, const Definition& to,
                                                   const Claim& claim,
                                                   const std::vector<HistoryEntry>& history,
                                                   absl::Time now) {
  if (claim.workflow_name != from.name || claim.workflow_version != from.version) {
    return Refusal(kReasonWrongWorkflowVersion,
                   Cat("claim ", claim.id, " runs ", claim.workflow_name, " version ",
                       claim.workflow_version, ", not ", from.name, " version ", from.version));
  }
  if (to.name != from.name || !to.migrate_from.has_value() ||
      to.migrate_from->from_version != from.version) {
    return Refusal(kReasonNoMigration,
                   Cat(to.name, " version ", to.version, " does not declare migrate_from version ",
                       from.version));
  }
  const std::optional<std::string> state = MigratedState(to, claim.state);
  if (!state.has_value()) {
    return Refusal(kReasonStateNotMapped,
                   Cat("state '", claim.state, "' of claim ", claim.id, " is not in version ",
                       to.version, " and its migrate_from does not map it"));
  }

  const EngineIndex index(to);
  const TimerReplay replay = Replay(index, to, claim, history);
  Decision d;
  d.name = "migrate";
  d.from_state = claim.state;
  d.to_state = *state;
  // Kept, so that `within` windows still count from when the claim really entered its state.
  d.state_entered_at = claim.state_entered_at;
  d.facts = claim.facts;
  d.workflow_version = to.version;
  for (const TimerInstance& after : replay.timers) {
    const TimerInstance* before = FindInstance(claim.timers, after.name);
    TimerInstance updated = after;
    RearmMovedWarning(before, updated, now);
    if (before == nullptr || !(*before == updated)) d.timers.push_back(std::move(updated));
  }
  internal::Summarize(claim, d);

  HistoryEntry& entry = d.history.emplace_back(
      internal::NewHistory(HistoryKind::kMigration, "migrate", kSystemActorId, Perspective::kSystem,
                           now, claim.state, *state));
  entry.changes.push_back({"workflow_version", Cat(from.version), Cat(to.version)});
  for (const DeadlineMove& move : replay.moves) entry.changes.push_back(MoveChange(move));

  EventDef migrated;
  migrated.type = "claim.migrated";
  Event& event = d.events.emplace_back(internal::NewEvent(index, claim, migrated, d, now));
  event.attributes.Set("from_state", claim.state);
  event.attributes.Set("from_version", Cat(from.version));
  event.attributes.Set("to_state", *state);
  event.attributes.Set("to_version", Cat(to.version));
  return d;
}

std::optional<Decision> RecomputeDeadlines(const Definition& definition, const Claim& claim,
                                           const std::vector<HistoryEntry>& history,
                                           absl::Time now) {
  if (claim.workflow_name != definition.name || claim.workflow_version != definition.version) {
    return std::nullopt;
  }
  const EngineIndex index(definition);
  const TimerReplay replay = Replay(index, definition, claim, history);
  std::vector<DeadlineMove> moves;
  Decision d = internal::Unchanged(claim, "recompute_deadlines");
  for (const DeadlineMove& move : replay.moves) {
    // Recomputing moves the deadlines of running timers; it neither starts nor ends a run.
    const TimerInstance* before = FindInstance(claim.timers, move.timer);
    const TimerInstance* after = FindInstance(replay.timers, move.timer);
    if (before == nullptr || !IsRunning(*before) || after == nullptr ||
        move.status_after != move.status_before) {
      continue;
    }
    TimerInstance updated = *after;
    RearmMovedWarning(before, updated, now);
    d.timers.push_back(std::move(updated));
    moves.push_back(move);
  }
  if (moves.empty()) return std::nullopt;
  internal::Summarize(claim, d);

  HistoryEntry& entry = d.history.emplace_back(
      internal::NewHistory(HistoryKind::kDeadlineChange, "recompute_deadlines", kSystemActorId,
                           Perspective::kSystem, now, claim.state, claim.state));
  EventDef changed;
  changed.type = "claim.deadlines_changed";
  Event& event = d.events.emplace_back(internal::NewEvent(index, claim, changed, d, now));
  for (const DeadlineMove& move : moves) {
    FieldChange change = MoveChange(move);
    event.attributes.Set(Cat(move.timer, "_due_at"), change.after);
    event.attributes.Set(Cat(move.timer, "_previous_due_at"), change.before);
    entry.changes.push_back(std::move(change));
  }
  event.attributes.Set("state", claim.state);
  return d;
}

}  // namespace claims::workflow
