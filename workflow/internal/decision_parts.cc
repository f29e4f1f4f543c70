#include "workflow/internal/decision_parts.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace claims::workflow::internal {
namespace {

void SetDeadline(const TimerInfo& timer, absl::Time due, TimerInstance& instance) {
  instance.due_at = due;
  instance.warn_at = timer.def->warn_before.has_value()
                         ? timer.calendar->Subtract(due, *timer.def->warn_before)
                         : absl::InfiniteFuture();
}

TimerInstance Armed(const TimerInfo& timer, absl::Time now) {
  TimerInstance instance;
  instance.name = timer.def->id;
  instance.status = TimerStatus::kArmed;
  instance.started_at = now;
  SetDeadline(timer, timer.calendar->Add(now, timer.def->duration), instance);
  return instance;
}

void Pause(const TimerInfo& timer, absl::Time now, TimerInstance& instance) {
  instance.remaining = timer.calendar->Remaining(now, instance.due_at, timer.def->duration.unit);
  instance.status = TimerStatus::kPaused;
}

}  // namespace

// Deadlines are whole seconds, and formatting them by hand is several times cheaper than
// absl::FormatTime, which timer events do on every firing.
std::string TimeText(absl::Time t) {
  if (t == absl::InfiniteFuture() || t == absl::InfinitePast() ||
      t != absl::FromUnixSeconds(absl::ToUnixSeconds(t))) {
    return absl::FormatTime("%Y-%m-%d%ET%H:%M:%E*SZ", t, absl::UTCTimeZone());
  }
  const absl::CivilSecond c = absl::ToCivilSecond(t, absl::UTCTimeZone());
  if (c.year() < 0 || c.year() > 9999) {
    return absl::FormatTime("%Y-%m-%d%ET%H:%M:%E*SZ", t, absl::UTCTimeZone());
  }
  std::string out = "0000-00-00T00:00:00Z";
  auto put = [&out](std::size_t at, int64_t value, int digits) {
    for (int i = digits - 1; i >= 0; --i, value /= 10) {
      out[at + static_cast<std::size_t>(i)] = static_cast<char>('0' + value % 10);
    }
  };
  put(0, c.year(), 4);
  put(5, c.month(), 2);
  put(8, c.day(), 2);
  put(11, c.hour(), 2);
  put(14, c.minute(), 2);
  put(17, c.second(), 2);
  return out;
}

TimerInstance* FindInstance(std::vector<TimerInstance>& timers, std::string_view name) {
  for (TimerInstance& t : timers) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

const TimerInstance* FindInstance(const std::vector<TimerInstance>& timers, std::string_view name) {
  for (const TimerInstance& t : timers) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

void EnterState(const EngineIndex& index, const std::vector<TimerInstance>& current,
                std::string_view to, absl::Time now, std::vector<TimerInstance>& changed) {
  const std::vector<uint8_t>& rules = index.TimerRulesOn(to);
  const std::vector<TimerInfo>& timers = index.timers();
  changed.reserve(timers.size());
  for (std::size_t i = 0; i < timers.size(); ++i) {
    const TimerInfo& timer = timers[i];
    const uint8_t rule = rules[i];
    const TimerInstance* existing = FindInstance(current, timer.def->id);
    const bool armed = existing != nullptr && existing->status == TimerStatus::kArmed;
    const bool paused = existing != nullptr && existing->status == TimerStatus::kPaused;
    if ((rule & internal::kTimerStops) != 0) {
      if (armed || paused) {
        TimerInstance& cancelled = changed.emplace_back(*existing);
        cancelled.status = TimerStatus::kCancelled;
      }
    } else if ((rule & internal::kTimerPauses) != 0) {
      if (armed) {
        Pause(timer, now, changed.emplace_back(*existing));
      } else if (!paused && (rule & internal::kTimerStarts) != 0) {
        TimerInstance& started = changed.emplace_back(Armed(timer, now));
        Pause(timer, now, started);
      }
    } else if (paused) {
      TimerInstance& resumed = changed.emplace_back(*existing);
      resumed.status = TimerStatus::kArmed;
      SetDeadline(timer, timer.calendar->Resume(now, existing->remaining, timer.def->duration.unit),
                  resumed);
      resumed.remaining = absl::ZeroDuration();
    } else if ((rule & internal::kTimerStarts) != 0) {
      changed.push_back(Armed(timer, now));
    }
  }
}

void Summarize(const Claim& claim, Decision& decision) {
  bool breached = claim.sla_status == SlaStatus::kBreached;
  bool at_risk = false;
  absl::Time next = absl::InfiniteFuture();
  auto visit = [&](const TimerInstance& t) {
    if (t.status == TimerStatus::kBreached) breached = true;
    if ((t.status == TimerStatus::kArmed || t.status == TimerStatus::kPaused) && t.warned) {
      at_risk = true;
    }
    if (t.status == TimerStatus::kArmed) next = std::min(next, t.due_at);
  };
  for (const TimerInstance& t : claim.timers) {
    const TimerInstance* update = FindInstance(decision.timers, t.name);
    visit(update != nullptr ? *update : t);
  }
  for (const TimerInstance& t : decision.timers) {
    if (FindInstance(claim.timers, t.name) == nullptr) visit(t);
  }
  decision.next_deadline = next;
  decision.sla_status =
      breached ? SlaStatus::kBreached : (at_risk ? SlaStatus::kAtRisk : SlaStatus::kOnTrack);
}

Decision Unchanged(const Claim& claim, std::string_view name) {
  Decision d;
  d.name = std::string(name);
  d.from_state = claim.state;
  d.to_state = claim.state;
  d.state_entered_at = claim.state_entered_at;
  d.sla_status = claim.sla_status;
  d.next_deadline = claim.next_deadline;
  d.facts = claim.facts;
  return d;
}

Event NewEvent(const EngineIndex& index, const Claim& claim, const EventDef& def,
               const Decision& decided, absl::Time now) {
  Event event;
  event.type = def.type;
  event.claim_id = claim.id;
  event.partner_id = claim.partner_id;
  event.time = now;
  // Room for what the engine adds: five attributes for an action, an error on top of a timer's.
  event.attributes.reserve(def.attributes.size() + def.deadline_of.size() + 6);
  for (const auto& [name, value] : def.attributes) event.attributes.Set(name, value);
  if (!def.reasons_from.empty()) {
    auto standing = decided.facts.last_reasons.find(def.reasons_from);
    if (standing != decided.facts.last_reasons.end() && !standing->second.empty()) {
      event.attributes.Set("reasons", absl::StrJoin(standing->second, ","));
    }
  }
  for (const std::string& id : def.deadline_of) {
    const TransitionInfo* window = index.FindTransition(id);
    if (window == nullptr) continue;  // the validator refuses such a definition
    // With several within guards the window closes with the first of them to close.
    const std::vector<GuardDef>& guards = window->def->guards;
    absl::Time closes = absl::InfiniteFuture();
    for (std::size_t i = 0; i < guards.size(); ++i) {
      if (guards[i].kind != GuardKind::kWithinDuration) continue;
      closes = std::min(
          closes, window->guard_calendars[i]->Add(decided.state_entered_at, guards[i].duration));
    }
    if (closes != absl::InfiniteFuture()) {
      event.attributes.Set(absl::StrCat(id, "_deadline"), TimeText(closes));
    }
  }
  return event;
}

HistoryEntry NewHistory(HistoryKind kind, std::string_view name, std::string_view actor_id,
                        Perspective perspective, absl::Time now, const std::string& from,
                        const std::string& to) {
  HistoryEntry entry;
  entry.kind = kind;
  entry.name = std::string(name);
  entry.actor_id = std::string(actor_id);
  entry.perspective = perspective;
  entry.time = now;
  entry.from_state = from;
  entry.to_state = to;
  return entry;
}

}  // namespace claims::workflow::internal
