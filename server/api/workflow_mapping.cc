#include "server/api/workflow_mapping.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "server/api/proto_mapping.h"
#include "workflow/display.h"
#include "workflow/weekday_names.h"

namespace claims::server {
namespace {

v1::Requirement ToProto(workflow::Requirement requirement) {
  switch (requirement) {
    case workflow::Requirement::kOptional:
      return v1::REQUIREMENT_OPTIONAL;
    case workflow::Requirement::kRequired:
      return v1::REQUIREMENT_REQUIRED;
    case workflow::Requirement::kForbidden:
      return v1::REQUIREMENT_FORBIDDEN;
  }
  return v1::REQUIREMENT_UNSPECIFIED;
}

// The calendar a timer or guard counts on: the one it names, else the definition's first (as
// the engine does).
const workflow::BusinessCalendar* CalendarFor(const workflow::Definition& definition,
                                              const std::string& id) {
  if (const workflow::CalendarDef* calendar = definition.FindCalendar(id)) {
    return &calendar->calendar;
  }
  return definition.calendars.empty() ? nullptr : &definition.calendars.front().calendar;
}

std::vector<std::string> EventTypes(const std::vector<workflow::EventDef>& events) {
  std::vector<std::string> types;
  for (const auto& event : events) types.push_back(event.type);
  return types;
}

v1::ChangeKind ToProto(workflow::ChangeKind kind) {
  switch (kind) {
    case workflow::ChangeKind::kAdded:
      return v1::CHANGE_KIND_ADDED;
    case workflow::ChangeKind::kRemoved:
      return v1::CHANGE_KIND_REMOVED;
    case workflow::ChangeKind::kChanged:
      return v1::CHANGE_KIND_CHANGED;
  }
  return v1::CHANGE_KIND_UNSPECIFIED;
}

template <typename Field>
void AddChanges(Field* field, const std::vector<workflow::ElementChange>& changes) {
  for (const workflow::ElementChange& change : changes) {
    v1::ElementChange* out = field->Add();
    out->set_kind(ToProto(change.kind));
    out->set_id(change.id);
    for (const std::string& detail : change.details) out->add_details(detail);
  }
}

template <typename Field>
void Assign(Field* field, const std::vector<std::string>& values) {
  for (const std::string& value : values) field->Add(std::string(value));
}

}  // namespace

void ToProto(const workflow::Definition& definition, const workflow::TransitionInputs& inputs,
             v1::ActionInputs* out) {
  if (inputs.reasons.has_value()) {
    v1::ReasonInput* reasons = out->mutable_reasons();
    reasons->set_catalog(inputs.reasons->catalog);
    reasons->set_min(inputs.reasons->min);
    reasons->set_max(inputs.reasons->max);
    if (const workflow::CatalogDef* catalog = definition.FindCatalog(inputs.reasons->catalog)) {
      for (const workflow::CatalogEntry& entry : catalog->entries) {
        const auto& allowed = inputs.reasons->codes;
        if (!allowed.empty() &&
            std::find(allowed.begin(), allowed.end(), entry.id) == allowed.end()) {
          continue;
        }
        v1::CatalogEntry* choice = reasons->add_choices();
        choice->set_id(entry.id);
        choice->set_display_name(entry.display_name);
      }
    }
  }
  out->set_comment(ToProto(inputs.comment));
  out->set_new_evidence(ToProto(inputs.new_evidence));
  out->set_comment_or_new_evidence(inputs.comment_or_new_evidence);
}

void ToProto(const workflow::Definition& definition, v1::Workflow* out) {
  out->set_id(definition.name);
  out->set_version(definition.version);
  out->set_description(definition.description);
  for (const auto& role : definition.roles) {
    v1::WorkflowRole* r = out->add_roles();
    r->set_id(role.id);
    r->set_display_name(role.display_name);
    r->set_perspective(ToProto(role.perspective));
  }
  for (const auto& state : definition.states) {
    v1::WorkflowState* s = out->add_states();
    s->set_id(state.id);
    s->set_display_name(state.display_name);
    s->set_description(state.description);
    s->set_terminal(state.terminal);
    for (const auto& rule : state.edit_rules) {
      v1::EditRule* e = s->add_editable();
      Assign(e->mutable_roles(), rule.roles);
      Assign(e->mutable_fields(), rule.fields);
    }
    Assign(s->mutable_evidence_roles(), state.evidence_roles);
    Assign(s->mutable_comment_roles(), state.comment_roles);
  }
  for (const auto& transition : definition.transitions) {
    v1::WorkflowTransition* t = out->add_transitions();
    t->set_id(transition.id);
    t->set_display_name(transition.display_name);
    Assign(t->mutable_from(), transition.from);
    t->set_to(transition.to);
    Assign(t->mutable_roles(), transition.roles);
    ToProto(definition, transition.inputs, t->mutable_inputs());
    for (const auto& guard : transition.guards) {
      v1::Guard* g = t->add_guards();
      g->set_id(guard.id);
      g->set_kind(std::string(workflow::GuardKindId(guard.kind)));
      g->set_message(guard.message);
      g->set_description(workflow::GuardDisplay(guard));
    }
    if (transition.implied_reasons.has_value()) {
      t->set_implied_reasons_catalog(transition.implied_reasons->catalog);
      Assign(t->mutable_implied_reasons(), transition.implied_reasons->codes);
    }
    Assign(t->mutable_events(), EventTypes(transition.events));
  }
  for (const auto& timer : definition.timers) {
    v1::WorkflowTimer* t = out->add_timers();
    t->set_id(timer.id);
    t->set_display_name(timer.display_name);
    t->set_duration(workflow::DurationDisplay(timer.duration));
    t->set_calendar(timer.calendar);
    Assign(t->mutable_start_on(), timer.start_on);
    Assign(t->mutable_pause_in(), timer.pause_in);
    Assign(t->mutable_stop_on(), timer.stop_on);
    if (timer.on_deadline == workflow::DeadlineAction::kTransition) {
      t->set_on_deadline("transition");
      t->set_transition(timer.transition);
      Assign(t->mutable_reasons(), timer.reasons);
    } else {
      t->set_on_deadline("breach");
    }
    if (timer.warn_before.has_value()) {
      t->set_warn_before(workflow::DurationDisplay(*timer.warn_before));
    }
    Assign(t->mutable_events(), EventTypes(timer.events));
  }
  for (const auto& catalog : definition.catalogs) {
    v1::Catalog* c = out->add_catalogs();
    c->set_id(catalog.id);
    c->set_display_name(catalog.display_name);
    for (const auto& entry : catalog.entries) {
      v1::CatalogEntry* e = c->add_entries();
      e->set_id(entry.id);
      e->set_display_name(entry.display_name);
    }
  }
  for (const auto& calendar : definition.calendars) {
    v1::WorkflowCalendar* c = out->add_calendars();
    c->set_id(calendar.id);
    c->set_time_zone(calendar.calendar.zone_name());
    for (absl::Weekday day : calendar.calendar.weekend())
      c->add_weekend(std::string(workflow::WeekdayName(day)));
    for (absl::CivilDay day : calendar.calendar.holidays()) {
      c->add_holidays(absl::FormatCivilTime(day));
    }
  }
  v1::WorkflowCreate* create = out->mutable_create();
  Assign(create->mutable_roles(), definition.create.roles);
  create->set_initial_state(definition.create.initial_state);
  Assign(create->mutable_required_fields(), definition.create.required_fields);
  out->set_products_catalog(definition.products_catalog);
  for (const std::string& type : definition.evidence_content_types) {
    out->add_evidence_content_types(type);
  }
  out->set_activities_catalog(definition.activities_catalog);
}

void ToProto(const workflow::Diagnostic& diagnostic, v1::Diagnostic* out) {
  out->set_line(diagnostic.line);
  out->set_column(diagnostic.column);
  out->set_file(diagnostic.file);
  out->set_message(diagnostic.message);
}

void ToProto(const workflow::DefinitionDiff& diff, v1::DefinitionDiff* out) {
  AddChanges(out->mutable_states(), diff.states);
  AddChanges(out->mutable_transitions(), diff.transitions);
  AddChanges(out->mutable_timers(), diff.timers);
  AddChanges(out->mutable_calendars(), diff.calendars);
  for (const workflow::ActionAvailabilityChange& change : diff.actions) {
    v1::ActionAvailabilityChange* action = out->add_actions();
    action->set_state(change.state);
    action->set_role(change.role);
    action->set_action(change.action);
    action->set_available_after(change.available_after);
  }
}

void ToProto(const workflow::DeadlineMove& move, v1::DeadlineMove* out) {
  out->set_timer(move.timer);
  out->set_state_before(ToProto(move.status_before));
  out->set_state_after(ToProto(move.status_after));
  auto is_set = [](absl::Time time) {
    return time != absl::InfiniteFuture() && time != absl::InfinitePast();
  };
  const bool before_set = is_set(move.due_before);
  const bool after_set = is_set(move.due_after);
  if (before_set) ToProto(move.due_before, out->mutable_due_before());
  if (after_set) ToProto(move.due_after, out->mutable_due_after());
  if (before_set && after_set) {
    out->set_shift_seconds(absl::ToInt64Seconds(move.due_after - move.due_before));
  }
  out->set_remaining_before_seconds(absl::ToInt64Seconds(move.remaining_before));
  out->set_remaining_after_seconds(absl::ToInt64Seconds(move.remaining_after));
}

void AddWorkflowViews(const workflow::Definition& definition, const workflow::Claim& claim,
                      v1::Claim* out) {
  for (const std::string& id : out->available_actions()) {
    const workflow::TransitionDef* transition = definition.FindTransition(id);
    if (transition == nullptr) continue;
    v1::AvailableAction* action = out->add_actions();
    action->set_id(transition->id);
    action->set_display_name(transition->display_name);
    action->set_to_state(transition->to);
    ToProto(definition, transition->inputs, action->mutable_inputs());
  }
  for (std::size_t i = 0; i < claim.timers.size() && static_cast<int>(i) < out->timers_size();
       ++i) {
    const workflow::TimerInstance& timer = claim.timers[i];
    if (timer.status != workflow::TimerStatus::kArmed) continue;
    const workflow::TimerDef* def = definition.FindTimer(timer.name);
    const workflow::BusinessCalendar* calendar =
        CalendarFor(definition, def != nullptr ? def->calendar : "");
    if (def == nullptr || calendar == nullptr) continue;
    const std::string display =
        workflow::DeadlineDisplay(*calendar, timer.due_at, def->duration.unit);
    out->mutable_timers(static_cast<int>(i))->set_due_display(display);
    if (timer.due_at == claim.next_deadline) out->set_next_deadline_display(display);
  }
}

}  // namespace claims::server
