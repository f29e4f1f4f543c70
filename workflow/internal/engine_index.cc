#include "workflow/internal/engine_index.h"

#include <algorithm>

namespace claims::workflow::internal {

namespace {

// Built once: a calendar precomputes a century of business days, and an index is built per
// engine and per claim whose timers are replayed (workflow/version_change.h).
const BusinessCalendar& DefaultCalendar() {
  static const BusinessCalendar* const calendar = new BusinessCalendar(
      "utc", "UTC", absl::UTCTimeZone(), {absl::Weekday::saturday, absl::Weekday::sunday}, {});
  return *calendar;
}

}  // namespace

EngineIndex::EngineIndex(const Definition& definition)
    : system_actor_{"system", {std::string(kSystemRole)}, std::string()} {
  for (const CalendarDef& calendar : definition.calendars) {
    calendars_.emplace(Key(calendar.id), &calendar.calendar);
  }
  for (const CatalogDef& catalog : definition.catalogs) {
    auto codes = std::make_unique<CodeSet>();
    for (const CatalogEntry& entry : catalog.entries) codes->insert(Key(entry.id));
    catalogs_.emplace(Key(catalog.id), std::move(codes));
  }
  for (const RoleDef& role : definition.roles) {
    role_perspective_.emplace(Key(role.id), role.perspective);
  }
  for (const StateDef& state : definition.states) state_by_id_.emplace(Key(state.id), &state);

  // Pointers into transitions_ are handed out below, so it must not grow after this.
  transitions_.reserve(definition.transitions.size());
  for (const TransitionDef& transition : definition.transitions) {
    TransitionInfo info;
    info.def = &transition;
    if (transition.inputs.reasons.has_value()) {
      const ReasonInput& reasons = *transition.inputs.reasons;
      if (reasons.codes.empty()) {
        info.reason_codes = Catalog(reasons.catalog);
      } else {
        auto& subset = reason_subsets_.emplace_back(std::make_unique<CodeSet>());
        for (const std::string& code : reasons.codes) subset->insert(Key(code));
        info.reason_codes = subset.get();
      }
    }
    for (const GuardDef& guard : transition.guards) {
      info.guard_calendars.push_back(&CalendarOrDefault(guard.calendar));
    }
    transitions_.push_back(std::move(info));
  }
  for (const TransitionInfo& info : transitions_) {
    transition_by_id_.emplace(Key(info.def->id), &info);
    for (const std::string& from : info.def->from) {
      std::vector<const TransitionInfo*>& out = transitions_from_[Key(from)];
      if (std::find(out.begin(), out.end(), &info) == out.end()) out.push_back(&info);
    }
  }
  for (const TimerDef& timer : definition.timers) {
    timer_by_id_.emplace(Key(timer.id), timers_.size());
    TimerInfo& info = timers_.emplace_back();
    info.def = &timer;
    info.calendar = &CalendarOrDefault(timer.calendar);
    info.deadline_request.action = timer.transition;
    info.deadline_request.reasons = timer.reasons;
  }
  no_timer_rules_.assign(timers_.size(), 0);
  for (std::size_t i = 0; i < timers_.size(); ++i) {
    const TimerDef& timer = *timers_[i].def;
    auto mark = [&](const std::vector<std::string>& states, TimerRule rule) {
      for (const std::string& state : states) {
        auto [it, inserted] = timer_rules_.try_emplace(Key(state), no_timer_rules_);
        it->second[i] = static_cast<uint8_t>(it->second[i] | rule);
      }
    };
    mark(timer.start_on, kTimerStarts);
    mark(timer.pause_in, kTimerPauses);
    mark(timer.stop_on, kTimerStops);
  }
}

const std::vector<uint8_t>& EngineIndex::TimerRulesOn(std::string_view state) const {
  auto it = timer_rules_.find(Key(state));
  return it == timer_rules_.end() ? no_timer_rules_ : it->second;
}

const TransitionInfo* EngineIndex::FindTransition(std::string_view id) const {
  auto it = transition_by_id_.find(Key(id));
  return it == transition_by_id_.end() ? nullptr : it->second;
}

const StateDef* EngineIndex::FindState(std::string_view id) const {
  auto it = state_by_id_.find(Key(id));
  return it == state_by_id_.end() ? nullptr : it->second;
}

const std::vector<const TransitionInfo*>& EngineIndex::TransitionsFrom(
    std::string_view state) const {
  auto it = transitions_from_.find(Key(state));
  return it == transitions_from_.end() ? no_transitions_ : it->second;
}

const CodeSet* EngineIndex::Catalog(std::string_view id) const {
  auto it = catalogs_.find(Key(id));
  return it == catalogs_.end() ? nullptr : it->second.get();
}

const TimerInfo* EngineIndex::FindTimer(std::string_view id) const {
  auto it = timer_by_id_.find(Key(id));
  return it == timer_by_id_.end() ? nullptr : &timers_[it->second];
}

Perspective EngineIndex::PerspectiveOf(const Actor& actor) const {
  for (const std::string& role : actor.roles) {
    auto it = role_perspective_.find(Key(role));
    if (it != role_perspective_.end()) return it->second;
  }
  for (const std::string& role : actor.roles) {
    if (role == kSystemRole) return Perspective::kSystem;
  }
  return Perspective::kPartner;
}

const BusinessCalendar& EngineIndex::CalendarOrDefault(std::string_view id) const {
  auto it = calendars_.find(Key(id));
  return it == calendars_.end() ? DefaultCalendar() : *it->second;
}

}  // namespace claims::workflow::internal
