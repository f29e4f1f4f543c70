#include "workflow/validator.h"

#include <algorithm>
#include <deque>
#include <map>
#include <set>
#include <utility>

#include "absl/time/time.h"
#include "workflow/internal/language.h"
#include "workflow/internal/suggest.h"
#include "workflow/internal/text.h"

namespace claims::workflow {

using internal::Cat;
using internal::Join;
using internal::ToAbsl;

void SourceMap::Add(std::string path, std::string_view file, Position position) {
  auto it = std::find(files_.begin(), files_.end(), file);
  const std::size_t index = static_cast<std::size_t>(it - files_.begin());
  if (it == files_.end()) files_.emplace_back(file);
  locations_.insert_or_assign(std::move(path), Location{index, position});
}

Diagnostic SourceMap::At(std::string_view path, std::string message) const {
  while (true) {
    auto it = locations_.find(ToAbsl(path));
    if (it != locations_.end()) {
      return Diagnostic{files_[it->second.file], it->second.position.line,
                        it->second.position.column, std::move(message)};
    }
    if (path.empty()) break;
    const std::size_t slash = path.rfind('/');
    path = slash == std::string_view::npos ? std::string_view() : path.substr(0, slash);
  }
  return Diagnostic{main_file_, 0, 0, std::move(message)};
}

bool SourceMap::Has(std::string_view path) const { return locations_.contains(ToAbsl(path)); }

void SourceMap::MarkInvalid(std::string path) { invalid_.insert(std::move(path)); }

bool SourceMap::IsInvalid(std::string_view path) const {
  while (!path.empty()) {
    if (invalid_.contains(ToAbsl(path))) return true;
    const std::size_t slash = path.rfind('/');
    if (slash == std::string_view::npos) break;
    path = path.substr(0, slash);
  }
  return false;
}

namespace {

using internal::DidYouMean;

std::string Sub(std::string_view path, std::size_t index) { return Cat(path, "/", index); }
std::string Sub(std::string_view path, std::string_view key) { return Cat(path, "/", key); }

template <typename T>
std::vector<std::string_view> IdsOf(const std::vector<T>& items) {
  std::vector<std::string_view> ids;
  for (const T& item : items) ids.push_back(item.id);
  return ids;
}

bool Contains(const std::vector<std::string>& values, std::string_view value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

class Validator {
 public:
  Validator(const Definition& definition, const SourceMap& sources)
      : definition_(definition), sources_(sources) {}

  std::vector<Diagnostic> Run() {
    CheckDuplicates();
    CheckRolesAndCatalogs();
    CheckCalendars();
    CheckCreate();
    CheckStates();
    CheckTransitions();
    CheckGraph();
    CheckTimers();
    CheckMigration();
    return std::move(out_);
  }

 private:
  void Report(const std::string& path, std::string message) {
    if (sources_.IsInvalid(path)) return;
    out_.push_back(sources_.At(path, std::move(message)));
  }

  template <typename T>
  void CheckUnique(const std::vector<T>& items, std::string_view kind, const std::string& path) {
    std::map<std::string_view, std::size_t> first;
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (items[i].id.empty()) continue;
      auto [it, inserted] = first.emplace(items[i].id, i);
      if (inserted) continue;
      const Diagnostic original = sources_.At(Sub(Sub(path, it->second), "id"), "");
      Report(Sub(Sub(path, i), "id"), Cat("duplicate ", kind, " id '", items[i].id,
                                          "' (first defined at line ", original.line, ")"));
    }
  }

  void CheckDuplicates() {
    CheckUnique(definition_.roles, "role", "roles");
    CheckUnique(definition_.catalogs, "catalog", "catalogs");
    for (std::size_t i = 0; i < definition_.catalogs.size(); ++i) {
      CheckUnique(definition_.catalogs[i].entries, "catalog entry",
                  Sub(Sub("catalogs", i), "entries"));
    }
    CheckUnique(definition_.calendars, "calendar", "calendars");
    CheckUnique(definition_.states, "state", "states");
    CheckUnique(definition_.transitions, "transition", "transitions");
    CheckUnique(definition_.timers, "timer", "timers");
  }

  // Each Check*Ref reports an unknown id at `path`; empty ids were already reported by the
  // loader, so they are skipped.
  template <typename T>
  bool CheckRef(const std::vector<T>& items, std::string_view kind, std::string_view id,
                const std::string& path, std::string_view context = "") {
    if (id.empty()) return false;
    for (const T& item : items) {
      if (item.id == id) return true;
    }
    Report(path, Cat("unknown ", kind, " '", id, "'", context, DidYouMean(id, IdsOf(items))));
    return false;
  }
  bool CheckRole(std::string_view id, const std::string& path) {
    return CheckRef(definition_.roles, "role", id, path);
  }
  bool CheckState(std::string_view id, const std::string& path) {
    return CheckRef(definition_.states, "state", id, path);
  }
  const CatalogDef* CheckCatalog(std::string_view id, const std::string& path,
                                 std::string_view context = "") {
    if (!CheckRef(definition_.catalogs, "catalog", id, path, context)) return nullptr;
    return FindById(definition_.catalogs, id);
  }
  void CheckCalendar(std::string_view id, const std::string& path) {
    CheckRef(definition_.calendars, "calendar", id, path);
  }
  void CheckRoles(const std::vector<std::string>& roles, const std::string& path) {
    for (std::size_t i = 0; i < roles.size(); ++i) CheckRole(roles[i], Sub(path, i));
  }
  void CheckStates(const std::vector<std::string>& states, const std::string& path) {
    for (std::size_t i = 0; i < states.size(); ++i) CheckState(states[i], Sub(path, i));
  }
  void CheckFields(const std::vector<std::string>& fields, const std::string& path) {
    for (std::size_t i = 0; i < fields.size(); ++i) CheckField(fields[i], Sub(path, i));
  }
  void CheckField(std::string_view field, const std::string& path) {
    if (field.empty()) return;
    const std::vector<std::string_view>& known = internal::FieldNames();
    if (std::find(known.begin(), known.end(), field) != known.end()) return;
    Report(path, Cat("unknown field '", field, "' (fields: ", Join(known, ", "), ")",
                     DidYouMean(field, known)));
  }
  // `entered`: the state the claim is in when the events are sent, when one state is known.
  void CheckEvents(const std::vector<EventDef>& events, const std::string& path,
                   std::string_view entered = "") {
    for (std::size_t i = 0; i < events.size(); ++i) {
      const EventDef& event = events[i];
      const std::string event_path = Sub(path, i);
      if (!event.reasons_from.empty()) {
        CheckCatalog(event.reasons_from, Sub(event_path, "reasons_from"));
      }
      for (std::size_t j = 0; j < event.deadline_of.size(); ++j) {
        const std::string& id = event.deadline_of[j];
        const std::string at = Sub(Sub(event_path, "deadline_of"), j);
        if (!CheckRef(definition_.transitions, "transition", id, at)) continue;
        const TransitionDef* window = FindById(definition_.transitions, id);
        const bool has_window =
            std::any_of(window->guards.begin(), window->guards.end(),
                        [](const GuardDef& g) { return g.kind == GuardKind::kWithinDuration; });
        if (!has_window) {
          Report(at, Cat("transition '", id, "' has no within guard, so no deadline to announce"));
        } else if (!entered.empty() && !Contains(window->from, entered)) {
          Report(at, Cat("transition '", id, "' cannot be taken from state '", entered,
                         "', where the claim is when event '", event.type, "' is sent"));
        }
      }
    }
  }
  void CheckCodes(const CatalogDef* catalog, const std::vector<std::string>& codes,
                  const std::string& path) {
    if (catalog == nullptr) return;
    for (std::size_t i = 0; i < codes.size(); ++i) {
      if (codes[i].empty() || catalog->Find(codes[i]) != nullptr) continue;
      Report(Sub(path, i), Cat("unknown code '", codes[i], "' in catalog '", catalog->id, "'",
                               DidYouMean(codes[i], IdsOf(catalog->entries))));
    }
  }
  void CheckPositive(const WorkflowDuration& duration, const std::string& path,
                     std::string_view what) {
    if (duration.amount > 0) return;
    Report(Sub(path, internal::DurationUnitName(duration.unit)),
           Cat(what, " must be positive, found ", duration.amount));
  }

  template <typename T>
  static const T* FindById(const std::vector<T>& items, std::string_view id) {
    for (const T& item : items) {
      if (item.id == id) return &item;
    }
    return nullptr;
  }

  void CheckRolesAndCatalogs() {
    for (std::size_t i = 0; i < definition_.roles.size(); ++i) {
      const RoleDef& role = definition_.roles[i];
      if (role.id == kSystemRole && role.perspective != Perspective::kSystem) {
        Report(Sub(Sub("roles", i), "perspective"),
               "role 'system' is the actor that fires timers; its perspective must be system");
      }
    }
    for (std::size_t i = 0; i < definition_.catalogs.size(); ++i) {
      const CatalogDef& catalog = definition_.catalogs[i];
      if (catalog.entries.empty()) {
        Report(Sub(Sub("catalogs", i), "entries"),
               Cat("catalog '", catalog.id, "' has no entries"));
      }
    }
    if (definition_.version < 1) {
      Report("version", Cat("version must be at least 1, found ", definition_.version));
    }
    // The claim's products and activity draw their codes from these catalogs, so they must
    // exist whenever the fields can be set.
    auto uses = [&](std::string_view field) {
      if (Contains(definition_.create.required_fields, std::string(field))) return true;
      for (const StateDef& state : definition_.states) {
        for (const EditRule& rule : state.edit_rules) {
          if (Contains(rule.fields, std::string(field))) return true;
        }
      }
      return false;
    };
    if (uses(kFieldProducts) || sources_.Has("products_catalog")) {
      CheckCatalog(definition_.products_catalog, "products_catalog", " for the products field");
    }
    if (uses(kFieldActivity) || sources_.Has("activities_catalog")) {
      CheckCatalog(definition_.activities_catalog, "activities_catalog", " for the activity field");
    }
  }

  void CheckCalendars() {
    for (std::size_t i = 0; i < definition_.calendars.size(); ++i) {
      const BusinessCalendar& calendar = definition_.calendars[i].calendar;
      const std::string path = Sub("calendars", i);
      absl::TimeZone zone;
      if (!calendar.zone_name().empty() && !absl::LoadTimeZone(calendar.zone_name(), &zone)) {
        Report(Sub(path, "time_zone"), Cat("unknown time zone '", calendar.zone_name(),
                                           "' (use an IANA name such as America/Los_Angeles)"));
      }
      // Adding business days on such a calendar would never end.
      if (calendar.weekend().size() >= 7) {
        Report(Sub(path, "weekend"),
               Cat("calendar '", definition_.calendars[i].id, "' has no working day in its week"));
      }
    }
  }

  void CheckCreate() {
    const CreateDef& create = definition_.create;
    if (create.roles.empty()) {
      Report("create/roles", "create lists no role, so nobody could create a claim");
    }
    CheckRoles(create.roles, "create/roles");
    CheckState(create.initial_state, "create/initial_state");
    CheckFields(create.required_fields, "create/required_fields");
    CheckEvents(create.events, "create/events", create.initial_state);
  }

  void CheckStates() {
    for (std::size_t i = 0; i < definition_.states.size(); ++i) {
      const StateDef& state = definition_.states[i];
      const std::string path = Sub("states", i);
      for (std::size_t j = 0; j < state.edit_rules.size(); ++j) {
        const std::string rule_path = Sub(Sub(path, "editable"), j);
        CheckRoles(state.edit_rules[j].roles, Sub(rule_path, "roles"));
        CheckFields(state.edit_rules[j].fields, Sub(rule_path, "fields"));
      }
      CheckRoles(state.evidence_roles, Sub(path, "evidence_roles"));
      CheckRoles(state.comment_roles, Sub(path, "comment_roles"));
    }
  }

  void CheckGuard(const TransitionDef& transition, const GuardDef& guard, const std::string& path) {
    const std::string body = Sub(path, internal::GuardKindName(guard.kind));
    switch (guard.kind) {
      case GuardKind::kMinEvidence:
        if (guard.count < 1) {
          Report(Sub(body, "count"),
                 Cat("min_evidence count must be at least 1, found ", guard.count));
        }
        break;
      case GuardKind::kWithinDuration:
        CheckPositive(guard.duration, body, "within duration");
        CheckCalendar(guard.calendar, Sub(body, "calendar"));
        break;
      case GuardKind::kLastReasonIn:
      case GuardKind::kLastReasonNotIn: {
        const CatalogDef* catalog = CheckCatalog(guard.catalog, Sub(body, "catalog"));
        if (guard.codes.empty()) {
          Report(Sub(body, "codes"),
                 Cat(internal::GuardKindName(guard.kind), " guard lists no code"));
        }
        CheckCodes(catalog, guard.codes, Sub(body, "codes"));
        break;
      }
      case GuardKind::kFieldPresent:
        CheckField(guard.field, Sub(body, "field"));
        break;
      case GuardKind::kMaxTimesTaken:
        if (guard.count < 1) {
          Report(Sub(body, "count"),
                 Cat("max_times count must be at least 1, found ", guard.count,
                     " (a transition that may never be taken should be removed)"));
        }
        if (guard.action != transition.id) {
          CheckRef(definition_.transitions, "transition", guard.action, Sub(body, "action"));
        }
        break;
    }
  }

  void CheckTransitions() {
    for (std::size_t i = 0; i < definition_.transitions.size(); ++i) {
      const TransitionDef& transition = definition_.transitions[i];
      const std::string path = Sub("transitions", i);
      if (transition.from.empty()) {
        Report(Sub(path, "from"), Cat("transition '", transition.id, "' lists no state in from"));
      }
      CheckStates(transition.from, Sub(path, "from"));
      CheckState(transition.to, Sub(path, "to"));
      if (transition.roles.empty()) {
        Report(Sub(path, "roles"),
               Cat("transition '", transition.id, "' lists no role, so nobody may take it"));
      }
      CheckRoles(transition.roles, Sub(path, "roles"));
      if (transition.inputs.reasons.has_value()) {
        const ReasonInput& reasons = *transition.inputs.reasons;
        const std::string reasons_path = Sub(Sub(path, "inputs"), "reasons");
        const CatalogDef* catalog = CheckCatalog(reasons.catalog, Sub(reasons_path, "catalog"));
        CheckCodes(catalog, reasons.codes, Sub(reasons_path, "codes"));
        if (reasons.min < 0) {
          Report(Sub(reasons_path, "min"),
                 Cat("reasons min must not be negative, found ", reasons.min));
        }
        if (reasons.max < 1) {
          Report(Sub(reasons_path, "max"),
                 Cat("reasons max must be at least 1, found ", reasons.max));
        } else if (reasons.min > reasons.max) {
          Report(Sub(reasons_path, "min"),
                 Cat("reasons min (", reasons.min, ") is greater than max (", reasons.max, ")"));
        }
        if (!reasons.codes.empty() && reasons.min > 0 &&
            static_cast<std::size_t>(reasons.min) > reasons.codes.size()) {
          Report(Sub(reasons_path, "min"), Cat("reasons min (", reasons.min, ") exceeds the ",
                                               reasons.codes.size(), " codes allowed"));
        } else if (catalog != nullptr && reasons.min > 0 &&
                   static_cast<std::size_t>(reasons.min) > catalog->entries.size()) {
          Report(Sub(reasons_path, "min"),
                 Cat("reasons min (", reasons.min, ") exceeds the ", catalog->entries.size(),
                     " entries of catalog '", catalog->id, "'"));
        }
      }
      if (transition.implied_reasons.has_value()) {
        const std::string implied_path = Sub(path, "implied_reasons");
        const CatalogDef* catalog =
            CheckCatalog(transition.implied_reasons->catalog, Sub(implied_path, "catalog"));
        if (transition.implied_reasons->codes.empty()) {
          Report(Sub(implied_path, "codes"), "implied_reasons lists no code");
        }
        CheckCodes(catalog, transition.implied_reasons->codes, Sub(implied_path, "codes"));
      }
      for (std::size_t j = 0; j < transition.guards.size(); ++j) {
        CheckGuard(transition, transition.guards[j], Sub(Sub(path, "guards"), j));
      }
      CheckEvents(transition.events, Sub(path, "events"), transition.to);
    }
  }

  void CheckGraph() {
    const std::string& initial = definition_.create.initial_state;
    // With a transition to or from an unknown state, the unknown state is the problem to
    // report, not the states it cuts off.
    bool graph_known = true;
    for (const TransitionDef& transition : definition_.transitions) {
      graph_known = graph_known && !transition.from.empty() &&
                    FindById(definition_.states, transition.to) != nullptr;
      for (const std::string& from : transition.from) {
        graph_known = graph_known && FindById(definition_.states, from) != nullptr;
      }
    }
    const bool initial_known = graph_known && FindById(definition_.states, initial) != nullptr;
    std::set<std::string_view> reachable;
    if (initial_known) {
      std::deque<std::string_view> queue = {initial};
      reachable.insert(initial);
      while (!queue.empty()) {
        const std::string_view state = queue.front();
        queue.pop_front();
        for (const TransitionDef& transition : definition_.transitions) {
          if (!Contains(transition.from, state)) continue;
          if (reachable.insert(transition.to).second) queue.push_back(transition.to);
        }
      }
    }
    for (std::size_t i = 0; i < definition_.states.size(); ++i) {
      const StateDef& state = definition_.states[i];
      if (state.id.empty()) continue;
      const std::string path = Sub("states", i);
      if (initial_known && !reachable.contains(state.id)) {
        Report(Sub(path, "id"),
               Cat("state '", state.id, "' is unreachable from the initial state '", initial, "'"));
      }
      bool has_way_out = false;
      for (const TransitionDef& transition : definition_.transitions) {
        has_way_out =
            has_way_out || (Contains(transition.from, state.id) && transition.to != state.id);
      }
      if (graph_known && !state.terminal && !has_way_out) {
        Report(Sub(path, "id"), Cat("state '", state.id,
                                    "' is not terminal but no transition leaves it; "
                                    "add one or mark it terminal: true"));
      }
    }
    for (std::size_t i = 0; i < definition_.transitions.size(); ++i) {
      const TransitionDef& transition = definition_.transitions[i];
      for (std::size_t j = 0; j < transition.from.size(); ++j) {
        const StateDef* from = FindById(definition_.states, transition.from[j]);
        if (from != nullptr && from->terminal) {
          Report(Sub(Sub(Sub("transitions", i), "from"), j),
                 Cat("transition '", transition.id, "' leaves terminal state '", from->id, "'"));
        }
      }
    }
  }

  // The states timer `timer` can be running (or paused) in: those reached from its start
  // states without entering a stop state. Its own deadline transition ends it, so it is not
  // followed.
  std::set<std::string_view> TimerRegion(const TimerDef& timer) {
    std::set<std::string_view> region;
    std::deque<std::string_view> queue;
    for (const std::string& state : timer.start_on) {
      if (FindById(definition_.states, state) == nullptr) continue;
      if (region.insert(state).second) queue.push_back(state);
    }
    while (!queue.empty()) {
      const std::string_view state = queue.front();
      queue.pop_front();
      for (const TransitionDef& transition : definition_.transitions) {
        if (!Contains(transition.from, state)) continue;
        if (timer.on_deadline == DeadlineAction::kTransition && transition.id == timer.transition) {
          continue;
        }
        if (Contains(timer.stop_on, transition.to)) continue;
        if (FindById(definition_.states, transition.to) == nullptr) continue;
        if (region.insert(transition.to).second) queue.push_back(transition.to);
      }
    }
    return region;
  }

  void CheckDeadlineTransition(const TimerDef& timer, const std::string& path,
                               const std::set<std::string_view>& region) {
    const std::string transition_path = Sub(Sub(path, "on_deadline"), "transition");
    if (!CheckRef(definition_.transitions, "transition", timer.transition, transition_path)) return;
    const TransitionDef& transition = *FindById(definition_.transitions, timer.transition);
    if (!Contains(transition.roles, std::string(kSystemRole))) {
      Report(transition_path, Cat("timer '", timer.id, "' performs transition '", transition.id,
                                  "' as the system actor, but its roles do not include 'system'"));
    }
    for (std::string_view state : region) {
      if (Contains(timer.pause_in, state) || Contains(transition.from, state)) continue;
      Report(transition_path,
             Cat("timer '", timer.id, "' runs in state '", state,
                 "', but its deadline transition '", transition.id, "' does not leave that state"));
    }
    if (transition.inputs.comment == Requirement::kRequired ||
        transition.inputs.new_evidence == Requirement::kRequired ||
        transition.inputs.comment_or_new_evidence) {
      Report(transition_path, Cat("transition '", transition.id,
                                  "' requires a comment or evidence, which a timer "
                                  "cannot give"));
    }
    const std::string reasons_path = Sub(Sub(path, "on_deadline"), "reasons");
    if (!transition.inputs.reasons.has_value()) {
      if (!timer.reasons.empty()) {
        Report(reasons_path, Cat("transition '", transition.id, "' takes no reasons"));
      }
      return;
    }
    const ReasonInput& input = *transition.inputs.reasons;
    const auto given = static_cast<int64_t>(timer.reasons.size());
    if (given < input.min || given > input.max) {
      Report(timer.reasons.empty() ? transition_path : reasons_path,
             Cat("transition '", transition.id, "' takes ", input.min, " to ", input.max,
                 " reasons from '", input.catalog, "'; timer '", timer.id, "' gives ", given));
    }
    CheckCodes(FindById(definition_.catalogs, input.catalog), timer.reasons, reasons_path);
    for (const std::string& code : timer.reasons) {
      if (!input.codes.empty() &&
          std::find(input.codes.begin(), input.codes.end(), code) == input.codes.end()) {
        Report(reasons_path, Cat("transition '", transition.id, "' does not accept reason '", code,
                                 "' (codes: ", Join(input.codes, ", "), ")"));
      }
    }
  }

  void CheckTimers() {
    for (std::size_t i = 0; i < definition_.timers.size(); ++i) {
      const TimerDef& timer = definition_.timers[i];
      const std::string path = Sub("timers", i);
      CheckPositive(timer.duration, Sub(path, "duration"), "duration");
      CheckCalendar(timer.calendar, Sub(path, "calendar"));
      if (timer.start_on.empty()) {
        Report(Sub(path, "start_on"),
               Cat("timer '", timer.id, "' lists no state in start_on, so it never runs"));
      }
      CheckStates(timer.start_on, Sub(path, "start_on"));
      CheckStates(timer.pause_in, Sub(path, "pause_in"));
      CheckStates(timer.stop_on, Sub(path, "stop_on"));
      for (std::size_t j = 0; j < timer.start_on.size(); ++j) {
        if (Contains(timer.stop_on, timer.start_on[j])) {
          Report(
              Sub(Sub(path, "start_on"), j),
              Cat("state '", timer.start_on[j], "' both starts and stops timer '", timer.id, "'"));
        }
      }
      if (timer.warn_before.has_value()) {
        const std::string before = Sub(Sub(path, "warning"), "before");
        CheckPositive(*timer.warn_before, before, "warning.before");
        if (timer.warn_before->unit == timer.duration.unit &&
            timer.warn_before->amount >= timer.duration.amount && timer.duration.amount > 0) {
          Report(Sub(before, internal::DurationUnitName(timer.warn_before->unit)),
                 Cat("warning.before (", timer.warn_before->amount,
                     ") must be shorter than the duration (", timer.duration.amount, ")"));
        }
      }
      const std::set<std::string_view> region = TimerRegion(timer);
      for (std::size_t j = 0; j < timer.pause_in.size(); ++j) {
        const std::string& state = timer.pause_in[j];
        if (FindById(definition_.states, state) != nullptr && !region.contains(state)) {
          Report(Sub(Sub(path, "pause_in"), j), Cat("timer '", timer.id, "' pauses in state '",
                                                    state, "', which it never runs in"));
        }
      }
      for (std::string_view state : region) {
        const StateDef* def = FindById(definition_.states, state);
        if (def != nullptr && def->terminal) {
          Report(timer.stop_on.empty() ? path : Sub(path, "stop_on"),
                 Cat("timer '", timer.id, "' stays armed in terminal state '", state,
                     "'; add it to stop_on"));
        }
      }
      if (timer.on_deadline == DeadlineAction::kTransition) {
        CheckDeadlineTransition(timer, path, region);
      }
      const std::string deadline = Sub(path, "on_deadline");
      if (timer.on_deadline == DeadlineAction::kTransition) {
        const TransitionDef* performed = FindById(definition_.transitions, timer.transition);
        CheckEvents(timer.events, Sub(deadline, "events"),
                    performed == nullptr ? std::string_view() : std::string_view(performed->to));
      } else {
        CheckEvents(timer.events, Sub(Sub(deadline, "breach"), "events"));
      }
      CheckEvents(timer.warning_events, Sub(Sub(path, "warning"), "events"));
    }
  }

  // migrate_from names an older version, maps each old state at most once, and only to states
  // of this version. Whether it covers every state the old version had is known only beside
  // that version (CheckMigration in workflow/version_change.h).
  void CheckMigration() {
    if (!definition_.migrate_from.has_value()) return;
    const MigrationDef& migration = *definition_.migrate_from;
    if (migration.from_version < 1) {
      Report("migrate_from/version",
             Cat("migrate_from version must be at least 1, found ", migration.from_version));
    } else if (definition_.version >= 1 && migration.from_version >= definition_.version) {
      Report("migrate_from/version",
             Cat("migrate_from version (", migration.from_version,
                 ") must be lower than this workflow's version (", definition_.version, ")"));
    }
    for (std::size_t i = 0; i < migration.states.size(); ++i) {
      const auto& [old_id, new_id] = migration.states[i];
      const std::string path = Cat("migrate_from/states/", old_id);
      std::size_t first = i;
      for (std::size_t j = 0; j < i; ++j) {
        if (migration.states[j].first == old_id) {
          first = j;
          break;
        }
      }
      if (first != i && i < migration.state_positions.size()) {
        const Position at = migration.state_positions[i].first;
        out_.push_back(Diagnostic{sources_.main_file(), at.line, at.column,
                                  Cat("state '", old_id,
                                      "' is mapped twice in migrate_from "
                                      "(first at line ",
                                      migration.state_positions[first].first.line, ")")});
        continue;
      }
      if (new_id.empty() || FindById(definition_.states, new_id) != nullptr) continue;
      const std::string message = Cat("migrate_from maps '", old_id, "' to unknown state '", new_id,
                                      "'", DidYouMean(new_id, IdsOf(definition_.states)));
      if (i < migration.state_positions.size()) {
        const Position at = migration.state_positions[i].second;
        if (!sources_.IsInvalid(path)) {
          out_.push_back(Diagnostic{sources_.main_file(), at.line, at.column, message});
        }
      } else {
        Report(path, message);
      }
    }
  }

  const Definition& definition_;
  const SourceMap& sources_;
  std::vector<Diagnostic> out_;
};

}  // namespace

std::vector<Diagnostic> ValidateDefinition(const Definition& definition, const SourceMap& sources) {
  std::vector<Diagnostic> diagnostics = Validator(definition, sources).Run();
  std::stable_sort(diagnostics.begin(), diagnostics.end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     if (a.file != b.file) return a.file < b.file;
                     if (a.line != b.line) return a.line < b.line;
                     return a.column < b.column;
                   });
  return diagnostics;
}

}  // namespace claims::workflow
