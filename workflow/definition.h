#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "workflow/business_calendar.h"
#include "workflow/claim.h"

namespace claims::workflow {

// The immutable model of one workflow file. The loader builds and validates it, then calls
// BuildIndex(); after that it is shared read-only (std::shared_ptr<const Definition>) between
// threads. Ids are unique within their kind; vectors keep file order.

struct Position {
  int line = 0;  // 1-based; 0 when built in code
  int column = 0;
};

struct RoleDef {
  std::string id;
  std::string display_name;
  Perspective perspective = Perspective::kPartner;
  Position position;
};

struct CatalogEntry {
  std::string id;
  std::string display_name;
};

// Rejection reasons, information-request reasons, products, activities: ids with display text.
struct CatalogDef {
  std::string id;
  std::string display_name;
  std::vector<CatalogEntry> entries;
  Position position;
  const CatalogEntry* Find(std::string_view entry_id) const;
};

struct CalendarDef {
  std::string id;
  BusinessCalendar calendar;
  Position position;
};

// Which roles may change which fields (kField* in claim.h) in a state.
struct EditRule {
  std::vector<std::string> roles;
  std::vector<std::string> fields;
};

struct StateDef {
  std::string id;
  std::string display_name;
  std::string description;
  bool terminal = false;
  std::vector<EditRule> edit_rules;
  std::vector<std::string> evidence_roles;  // who may upload evidence here; empty: nobody
  std::vector<std::string> comment_roles;   // who may comment here; empty: nobody
  Position position;
};

// An event to emit, with fixed attributes; the engine adds claim id, partner, state and time.
struct EventDef {
  std::string type;
  EventAttributes attributes;
  // A catalog whose standing reasons (the claim's last reasons from it, once the action is
  // applied) the event carries as its "reasons" attribute, so that a notice says why even when
  // the action that sends it takes no reasons (an upheld rejection). Empty: the reasons the
  // action was given or implies.
  std::string reasons_from;
  // Transitions with a `within` guard whose window the event announces: attribute
  // "<transition>_deadline" is the instant the window closes, counted from the claim entering
  // the state it is in once the action is applied (a rejection notice says until when the
  // claim may be disputed).
  std::vector<std::string> deadline_of;
};

// A closed set of typed conditions on a transition.
enum class GuardKind {
  kMinEvidence,      // claim has at least `count` evidence documents
  kWithinDuration,   // at most `duration` (on `calendar`) since entering the current state
  kLastReasonIn,     // the last reasons from `catalog` include one of `codes`
  kLastReasonNotIn,  // the last reasons from `catalog` include none of `codes`
  kFieldPresent,     // `field` is set (non-empty)
  kMaxTimesTaken,    // `action` (default: this transition) was taken fewer than `count` times
};

struct GuardDef {
  GuardKind kind = GuardKind::kMinEvidence;
  std::string id;       // for error reports; defaults to the kind's YAML name
  std::string message;  // shown to the caller when the guard fails
  int64_t count = 0;
  WorkflowDuration duration;
  std::string calendar;
  std::string catalog;
  std::vector<std::string> codes;
  std::string field;
  std::string action;
  Position position;
};

enum class Requirement { kOptional, kRequired, kForbidden };

struct ReasonInput {
  std::string catalog;
  int32_t min = 1;
  int32_t max = 1;
  // The codes callers may pick, when only part of the catalog applies (e.g. reviewers reject
  // for review reasons, not on a partner's or customer's behalf); empty: the whole catalog.
  std::vector<std::string> codes;
};

struct TransitionInputs {
  std::optional<ReasonInput> reasons;  // unset: reasons are not accepted
  Requirement comment = Requirement::kOptional;
  // Evidence uploaded while in the current state (ClaimFacts::evidence_added_in_state).
  Requirement new_evidence = Requirement::kOptional;
  // At least one of a comment or new evidence ("a justification and/or an updated PoE").
  bool comment_or_new_evidence = false;
};

// Reason codes a transition always records, e.g. withdraw -> partner_request.
struct ReasonSet {
  std::string catalog;
  std::vector<std::string> codes;
};

struct TransitionDef {
  std::string id;
  std::string display_name;
  std::vector<std::string> from;
  std::string to;
  std::vector<std::string> roles;
  TransitionInputs inputs;
  std::optional<ReasonSet> implied_reasons;
  std::vector<GuardDef> guards;
  std::vector<EventDef> events;
  Position position;
};

enum class DeadlineAction { kBreach, kTransition };

struct TimerDef {
  std::string id;
  std::string display_name;
  WorkflowDuration duration;
  std::string calendar;
  std::vector<std::string> start_on;  // entering one of these states arms the timer
  std::vector<std::string> pause_in;  // paused while in these states, resumed on leaving
  std::vector<std::string> stop_on;   // entering one of these states cancels it
  DeadlineAction on_deadline = DeadlineAction::kBreach;
  std::string transition;            // kTransition: performed as the system actor
  std::vector<std::string> reasons;  // kTransition: reason codes the system gives
  std::vector<EventDef> events;      // emitted at the deadline
  std::optional<WorkflowDuration> warn_before;
  std::vector<EventDef> warning_events;
  Position position;
};

// How claims come into being: who may create them, in which state, with which fields.
struct CreateDef {
  std::vector<std::string> roles;
  std::string initial_state;
  std::vector<std::string> required_fields;
  std::vector<EventDef> events;
};

// How the running claims of an older version move to this one (`migrate_from` in the YAML):
// opt-in per version. States the mapping does not name keep their id, which must exist here.
struct MigrationDef {
  int64_t from_version = 0;
  std::vector<std::pair<std::string, std::string>> states;  // old id -> new id, file order
  Position position;
  // Where each entry of `states` is written: its old id and its new id. Empty when built in
  // code; diagnostics then point at `position`.
  std::vector<std::pair<Position, Position>> state_positions;
};

// The evidence a workflow accepts when its file lists none: PDF, the common image formats,
// Office documents (OOXML and the legacy binary formats) and plain text.
std::vector<std::string> DefaultEvidenceContentTypes();

struct Definition {
  Definition() = default;
  // Copies rebuild the index, since transitions_from_ points into the copied-from vectors.
  // Moves keep the vectors' buffers, so the index stays valid.
  Definition(const Definition& other);
  Definition& operator=(const Definition& other);
  Definition(Definition&&) noexcept = default;
  Definition& operator=(Definition&&) noexcept = default;

  std::string name;
  int64_t version = 0;
  std::string description;
  std::vector<RoleDef> roles;
  std::vector<CatalogDef> catalogs;
  std::vector<CalendarDef> calendars;
  std::string products_catalog = "products";      // catalog the products field draws from
  std::string activities_catalog = "activities";  // catalog the activity field draws from
  CreateDef create;
  std::vector<StateDef> states;
  std::vector<TransitionDef> transitions;
  std::vector<TimerDef> timers;
  std::optional<MigrationDef> migrate_from;
  // What evidence documents may be, as media types (type/subtype, lower case): checked
  // against both the declared type and the content of an upload.
  std::vector<std::string> evidence_content_types = DefaultEvidenceContentTypes();

  // Whether `content_type` (lower case, no parameters) is one of evidence_content_types.
  bool AllowsEvidenceType(std::string_view content_type) const;

  // Builds the lookup tables below; call once after the vectors are final.
  void BuildIndex();

  const RoleDef* FindRole(std::string_view id) const;
  const CatalogDef* FindCatalog(std::string_view id) const;
  const CalendarDef* FindCalendar(std::string_view id) const;
  const StateDef* FindState(std::string_view id) const;
  const TransitionDef* FindTransition(std::string_view id) const;
  const TimerDef* FindTimer(std::string_view id) const;
  // Transitions whose `from` includes `state`, in file order; empty for unknown states.
  const std::vector<const TransitionDef*>& TransitionsFrom(std::string_view state) const;

 private:
  absl::flat_hash_map<std::string, std::size_t> role_index_;
  absl::flat_hash_map<std::string, std::size_t> catalog_index_;
  absl::flat_hash_map<std::string, std::size_t> calendar_index_;
  absl::flat_hash_map<std::string, std::size_t> state_index_;
  absl::flat_hash_map<std::string, std::size_t> transition_index_;
  absl::flat_hash_map<std::string, std::size_t> timer_index_;
  absl::flat_hash_map<std::string, std::vector<const TransitionDef*>> transitions_from_;
};

}  // namespace claims::workflow
