// DiffDefinitions, CheckMigration and MigratedState (workflow/version_change.h): what differs
// between two versions of a workflow, and whether the newer may take the older's claims.

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "absl/time/civil_time.h"
#include "workflow/internal/language.h"
#include "workflow/internal/suggest.h"
#include "workflow/internal/text.h"
#include "workflow/version_change.h"
#include "workflow/weekday_names.h"

namespace claims::workflow {
namespace {

using internal::Cat;
using internal::Join;

bool Contains(const std::vector<std::string>& values, std::string_view value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

// Definitions built in code need not be indexed, so lookups here walk the vectors.
template <typename T>
const T* FindById(const std::vector<T>& items, std::string_view id) {
  for (const T& item : items) {
    if (item.id == id) return &item;
  }
  return nullptr;
}

// "what: +added, -removed", added in `after`'s order, then removed in `before`'s; nothing when
// the lists hold the same values.
void ListChange(std::string_view what, const std::vector<std::string>& before,
                const std::vector<std::string>& after, std::vector<std::string>& details) {
  std::vector<std::string> parts;
  for (const std::string& value : after) {
    if (!Contains(before, value) && !Contains(parts, "+" + value)) parts.push_back("+" + value);
  }
  for (const std::string& value : before) {
    if (!Contains(after, value) && !Contains(parts, "-" + value)) parts.push_back("-" + value);
  }
  if (!parts.empty()) details.push_back(Cat(what, ": ", Join(parts, ", ")));
}

// "what: before -> after" when they differ; an empty value reads as "none".
void ValueChange(std::string_view what, const std::string& before, const std::string& after,
                 std::vector<std::string>& details) {
  if (before == after) return;
  details.push_back(
      Cat(what, ": ", before.empty() ? "none" : before, " -> ", after.empty() ? "none" : after));
}

std::string DurationText(const WorkflowDuration& duration) {
  return Cat(duration.amount, " ", internal::DurationUnitName(duration.unit));
}

std::string CodesText(std::string_view catalog, const std::vector<std::string>& codes) {
  return Cat(catalog, " [", Join(codes, ", "), "]");
}

std::string GuardText(const GuardDef& guard) {
  const std::string_view kind = internal::GuardKindName(guard.kind);
  std::string text;
  switch (guard.kind) {
    case GuardKind::kMinEvidence:
      text = Cat(kind, " ", guard.count);
      break;
    case GuardKind::kWithinDuration:
      text = Cat(kind, " ", DurationText(guard.duration), " on ", guard.calendar);
      break;
    case GuardKind::kLastReasonIn:
    case GuardKind::kLastReasonNotIn:
      text = Cat(kind, " ", CodesText(guard.catalog, guard.codes));
      break;
    case GuardKind::kFieldPresent:
      text = Cat(kind, " ", guard.field);
      break;
    case GuardKind::kMaxTimesTaken:
      text = Cat(kind, " ", guard.count, " of ", guard.action);
      break;
  }
  return guard.id == kind ? text : Cat(guard.id, " (", text, ")");
}

std::string EventText(const EventDef& event) {
  std::string text = event.type;
  std::vector<std::string> parts;
  for (const auto& [name, value] : event.attributes) parts.push_back(Cat(name, "=", value));
  if (!event.reasons_from.empty()) parts.push_back(Cat("reasons_from ", event.reasons_from));
  if (!event.deadline_of.empty()) {
    parts.push_back(Cat("deadline_of [", Join(event.deadline_of, ", "), "]"));
  }
  if (!parts.empty()) text += Cat(" {", Join(parts, ", "), "}");
  return text;
}

void EventsChange(std::string_view what, const std::vector<EventDef>& before,
                  const std::vector<EventDef>& after, std::vector<std::string>& details) {
  std::vector<std::string> before_texts;
  std::vector<std::string> after_texts;
  for (const EventDef& event : before) before_texts.push_back(EventText(event));
  for (const EventDef& event : after) after_texts.push_back(EventText(event));
  ListChange(what, before_texts, after_texts, details);
}

std::vector<std::string> StateDetails(const StateDef& before, const StateDef& after) {
  std::vector<std::string> details;
  ValueChange("display_name", before.display_name, after.display_name, details);
  if (before.description != after.description) details.push_back("description changed");
  ValueChange("terminal", before.terminal ? "true" : "false", after.terminal ? "true" : "false",
              details);
  auto rules = [](const StateDef& state) {
    std::vector<std::string> texts;
    for (const EditRule& rule : state.edit_rules) {
      texts.push_back(
          Cat("[", Join(rule.roles, ", "), "] may edit [", Join(rule.fields, ", "), "]"));
    }
    return texts;
  };
  ListChange("editable", rules(before), rules(after), details);
  ListChange("evidence_roles", before.evidence_roles, after.evidence_roles, details);
  ListChange("comment_roles", before.comment_roles, after.comment_roles, details);
  return details;
}

std::string ReasonInputText(const std::optional<ReasonInput>& reasons) {
  if (!reasons.has_value()) return std::string();
  std::string text = Cat(reasons->catalog, " ", reasons->min, "..", reasons->max);
  if (!reasons->codes.empty()) text += Cat(" [", Join(reasons->codes, ", "), "]");
  return text;
}

std::vector<std::string> TransitionDetails(const TransitionDef& before,
                                           const TransitionDef& after) {
  std::vector<std::string> details;
  ValueChange("display_name", before.display_name, after.display_name, details);
  ListChange("from", before.from, after.from, details);
  ValueChange("to", before.to, after.to, details);
  ListChange("roles", before.roles, after.roles, details);
  ValueChange("inputs.reasons", ReasonInputText(before.inputs.reasons),
              ReasonInputText(after.inputs.reasons), details);
  ValueChange("inputs.comment", std::string(internal::RequirementName(before.inputs.comment)),
              std::string(internal::RequirementName(after.inputs.comment)), details);
  ValueChange("inputs.new_evidence",
              std::string(internal::RequirementName(before.inputs.new_evidence)),
              std::string(internal::RequirementName(after.inputs.new_evidence)), details);
  ValueChange("inputs.comment_or_new_evidence",
              before.inputs.comment_or_new_evidence ? "true" : "false",
              after.inputs.comment_or_new_evidence ? "true" : "false", details);
  auto implied = [](const TransitionDef& t) {
    return t.implied_reasons.has_value()
               ? CodesText(t.implied_reasons->catalog, t.implied_reasons->codes)
               : std::string();
  };
  ValueChange("implied_reasons", implied(before), implied(after), details);
  std::vector<std::string> before_guards;
  std::vector<std::string> after_guards;
  for (const GuardDef& guard : before.guards) before_guards.push_back(GuardText(guard));
  for (const GuardDef& guard : after.guards) after_guards.push_back(GuardText(guard));
  ListChange("guards", before_guards, after_guards, details);
  for (const GuardDef& guard : after.guards) {
    const GuardDef* old = FindById(before.guards, guard.id);
    if (old != nullptr && GuardText(*old) == GuardText(guard) && old->message != guard.message) {
      details.push_back(Cat("guards: message of ", guard.id, " changed"));
    }
  }
  EventsChange("events", before.events, after.events, details);
  return details;
}

std::string DeadlineText(const TimerDef& timer) {
  if (timer.on_deadline == DeadlineAction::kBreach) return "breach";
  return Cat("transition ", timer.transition);
}

std::vector<std::string> TimerDetails(const TimerDef& before, const TimerDef& after) {
  std::vector<std::string> details;
  ValueChange("display_name", before.display_name, after.display_name, details);
  ValueChange("duration", DurationText(before.duration), DurationText(after.duration), details);
  ValueChange("calendar", before.calendar, after.calendar, details);
  ListChange("start_on", before.start_on, after.start_on, details);
  ListChange("pause_in", before.pause_in, after.pause_in, details);
  ListChange("stop_on", before.stop_on, after.stop_on, details);
  ValueChange("on_deadline", DeadlineText(before), DeadlineText(after), details);
  ListChange("on_deadline.reasons", before.reasons, after.reasons, details);
  EventsChange("on_deadline.events", before.events, after.events, details);
  auto warning = [](const TimerDef& t) {
    return t.warn_before.has_value() ? Cat(DurationText(*t.warn_before), " before") : std::string();
  };
  ValueChange("warning", warning(before), warning(after), details);
  EventsChange("warning.events", before.warning_events, after.warning_events, details);
  return details;
}

std::vector<std::string> CalendarDetails(const CalendarDef& before, const CalendarDef& after) {
  std::vector<std::string> details;
  const BusinessCalendar& b = before.calendar;
  const BusinessCalendar& a = after.calendar;
  ValueChange("time_zone", b.zone_name(), a.zone_name(), details);
  auto weekend = [](const BusinessCalendar& calendar) {
    std::vector<std::string> days;
    for (absl::Weekday day : calendar.weekend()) days.push_back(std::string(WeekdayName(day)));
    return days;
  };
  ListChange("weekend", weekend(b), weekend(a), details);
  auto holidays = [](const BusinessCalendar& calendar) {
    std::vector<std::string> days;
    for (absl::CivilDay day : calendar.holidays()) {
      days.push_back(absl::FormatCivilTime(day));
    }
    return days;
  };
  ListChange("holidays", holidays(b), holidays(a), details);
  return details;
}

// Added, removed and changed elements by id, sorted by id.
template <typename T, typename Details>
std::vector<ElementChange> DiffById(const std::vector<T>& before, const std::vector<T>& after,
                                    Details details) {
  std::set<std::string> ids;
  for (const T& item : before) ids.insert(item.id);
  for (const T& item : after) ids.insert(item.id);
  std::vector<ElementChange> changes;
  for (const std::string& id : ids) {
    const T* old = FindById(before, id);
    const T* now = FindById(after, id);
    if (old == nullptr) {
      changes.push_back({ChangeKind::kAdded, id, {}});
    } else if (now == nullptr) {
      changes.push_back({ChangeKind::kRemoved, id, {}});
    } else if (std::vector<std::string> lines = details(*old, *now); !lines.empty()) {
      changes.push_back({ChangeKind::kChanged, id, std::move(lines)});
    }
  }
  return changes;
}

// state -> role -> the actions the role may take there.
using ActionMap = std::map<std::string, std::map<std::string, std::set<std::string>>>;

ActionMap ActionsByStateAndRole(const Definition& definition) {
  ActionMap actions;
  for (const TransitionDef& transition : definition.transitions) {
    for (const std::string& from : transition.from) {
      for (const std::string& role : transition.roles) actions[from][role].insert(transition.id);
    }
  }
  return actions;
}

std::vector<ActionAvailabilityChange> DiffActions(const Definition& before,
                                                  const Definition& after) {
  const ActionMap old_actions = ActionsByStateAndRole(before);
  const ActionMap new_actions = ActionsByStateAndRole(after);
  const std::set<std::string> none;
  auto actions_of = [&none](const ActionMap& map, const std::string& state,
                            const std::string& role) -> const std::set<std::string>& {
    auto by_state = map.find(state);
    if (by_state == map.end()) return none;
    auto by_role = by_state->second.find(role);
    return by_role == by_state->second.end() ? none : by_role->second;
  };
  std::set<std::string> states;
  for (const StateDef& state : before.states) {
    if (FindById(after.states, state.id) != nullptr) states.insert(state.id);
  }
  std::set<std::string> roles;
  for (const ActionMap* map : {&old_actions, &new_actions}) {
    for (const auto& [state, by_role] : *map) {
      for (const auto& [role, ids] : by_role) roles.insert(role);
    }
  }
  std::vector<ActionAvailabilityChange> changes;
  for (const std::string& state : states) {
    for (const std::string& role : roles) {
      const std::set<std::string>& old_ids = actions_of(old_actions, state, role);
      const std::set<std::string>& new_ids = actions_of(new_actions, state, role);
      std::set<std::string> ids = old_ids;
      ids.insert(new_ids.begin(), new_ids.end());
      for (const std::string& id : ids) {
        const bool was = old_ids.contains(id);
        const bool is = new_ids.contains(id);
        if (was != is) changes.push_back({state, role, id, is});
      }
    }
  }
  return changes;
}

}  // namespace

DefinitionDiff DiffDefinitions(const Definition& before, const Definition& after) {
  DefinitionDiff diff;
  diff.states = DiffById(before.states, after.states, StateDetails);
  diff.transitions = DiffById(before.transitions, after.transitions, TransitionDetails);
  diff.timers = DiffById(before.timers, after.timers, TimerDetails);
  diff.calendars = DiffById(before.calendars, after.calendars, CalendarDetails);
  diff.actions = DiffActions(before, after);
  return diff;
}

std::vector<Diagnostic> CheckMigration(const Definition& from, const Definition& to,
                                       std::string_view to_file) {
  const std::string file(to_file);
  std::vector<Diagnostic> out;
  if (!to.migrate_from.has_value()) {
    out.push_back({file, 1, 1,
                   Cat("workflow ", to.name, " version ", to.version,
                       " has no migrate_from, so the claims of version ", from.version,
                       " cannot move to it")});
    return out;
  }
  const MigrationDef& migration = *to.migrate_from;
  auto at = [&file](Position position, std::string message) {
    return Diagnostic{file, position.line, position.column, std::move(message)};
  };
  if (from.name != to.name) {
    out.push_back(at(migration.position,
                     Cat("migrate_from is part of workflow ", to.name, ", not of ", from.name)));
    return out;
  }
  if (migration.from_version != from.version) {
    out.push_back(
        at(migration.position, Cat("migrate_from takes the claims of version ",
                                   migration.from_version, ", not of version ", from.version)));
    return out;
  }
  std::vector<std::string_view> to_states;
  for (const StateDef& state : to.states) to_states.push_back(state.id);
  for (std::size_t i = 0; i < migration.states.size(); ++i) {
    const auto& [old_id, new_id] = migration.states[i];
    if (FindById(to.states, new_id) != nullptr) continue;
    const Position position = i < migration.state_positions.size()
                                  ? migration.state_positions[i].second
                                  : migration.position;
    out.push_back(at(position, Cat("migrate_from maps state '", old_id, "' to '", new_id,
                                   "', which is not a state of version ", to.version,
                                   internal::DidYouMean(new_id, to_states))));
  }
  for (const StateDef& state : from.states) {
    if (FindById(to.states, state.id) != nullptr) continue;
    const bool mapped =
        std::any_of(migration.states.begin(), migration.states.end(),
                    [&state](const auto& mapping) { return mapping.first == state.id; });
    if (mapped) continue;
    out.push_back(
        at(migration.position,
           Cat("state '", state.id, "' of version ", from.version, " is not in version ",
               to.version, "; map it under migrate_from states so its claims have a state")));
  }
  std::stable_sort(out.begin(), out.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return a.line != b.line ? a.line < b.line : a.column < b.column;
  });
  return out;
}

std::optional<std::string> MigratedState(const Definition& to, std::string_view state) {
  if (to.migrate_from.has_value()) {
    for (const auto& [old_id, new_id] : to.migrate_from->states) {
      if (old_id == state) return new_id;
    }
  }
  if (FindById(to.states, state) != nullptr) return std::string(state);
  return std::nullopt;
}

}  // namespace claims::workflow
