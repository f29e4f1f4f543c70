#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "workflow/business_calendar.h"
#include "workflow/claim.h"
#include "workflow/definition.h"
#include "workflow/engine.h"

namespace claims::workflow::internal {

// Debian's absl keeps its own string_view type, so hash lookups convert explicitly.
inline absl::string_view Key(std::string_view s) { return absl::string_view(s.data(), s.size()); }

using CodeSet = absl::flat_hash_set<absl::string_view>;

struct TransitionInfo {
  const TransitionDef* def = nullptr;
  // The codes inputs.reasons accepts (its `codes`, else its whole catalog); null if none.
  const CodeSet* reason_codes = nullptr;
  std::vector<const BusinessCalendar*> guard_calendars;  // one per guard, never null
};

struct TimerInfo {
  const TimerDef* def = nullptr;
  const BusinessCalendar* calendar = nullptr;  // never null
  ActionRequest deadline_request;  // for kTransition: the action and reasons the system gives
};

// What entering a state means for one timer, from its start_on, pause_in and stop_on lists.
enum TimerRule : uint8_t {
  kTimerStarts = 1,
  kTimerPauses = 2,
  kTimerStops = 4,
};

// Lookup tables the engine needs on every call, built once per definition so that deciding is
// a few hash lookups. Keys and pointers refer into the Definition, which the owning Engine
// keeps alive; immutable after construction, so it is shared between threads freely.
class EngineIndex {
 public:
  explicit EngineIndex(const Definition& definition);
  EngineIndex(const EngineIndex&) = delete;
  EngineIndex& operator=(const EngineIndex&) = delete;

  const TransitionInfo* FindTransition(std::string_view id) const;
  const StateDef* FindState(std::string_view id) const;
  // Transitions out of `state`, in file order; empty for unknown states.
  const std::vector<const TransitionInfo*>& TransitionsFrom(std::string_view state) const;
  // Entry ids of catalog `id`; null for unknown catalogs.
  const CodeSet* Catalog(std::string_view id) const;
  const std::vector<TimerInfo>& timers() const { return timers_; }
  const TimerInfo* FindTimer(std::string_view id) const;
  // TimerRule bits per timer (in timers() order) for entering `state`; all zero for states no
  // timer names.
  const std::vector<uint8_t>& TimerRulesOn(std::string_view state) const;
  // The perspective of the first of `actor`'s roles the definition knows; an actor holding
  // only the system role is the system even if the definition does not list it; anyone else
  // is treated as a partner, the least trusted perspective.
  Perspective PerspectiveOf(const Actor& actor) const;
  // The actor timers act as: id "system", role kSystemRole.
  const Actor& system_actor() const { return system_actor_; }
  // Calendar `id`, or a UTC calendar with a Saturday/Sunday weekend when `id` names none.
  const BusinessCalendar& CalendarOrDefault(std::string_view id) const;

 private:
  std::vector<TransitionInfo> transitions_;
  absl::flat_hash_map<absl::string_view, const TransitionInfo*> transition_by_id_;
  absl::flat_hash_map<absl::string_view, const StateDef*> state_by_id_;
  absl::flat_hash_map<absl::string_view, std::vector<const TransitionInfo*>> transitions_from_;
  absl::flat_hash_map<absl::string_view, std::unique_ptr<CodeSet>> catalogs_;
  std::vector<std::unique_ptr<CodeSet>> reason_subsets_;
  absl::flat_hash_map<absl::string_view, Perspective> role_perspective_;
  absl::flat_hash_map<absl::string_view, const BusinessCalendar*> calendars_;
  std::vector<TimerInfo> timers_;
  absl::flat_hash_map<absl::string_view, std::size_t> timer_by_id_;
  absl::flat_hash_map<absl::string_view, std::vector<uint8_t>> timer_rules_;
  std::vector<uint8_t> no_timer_rules_;
  Actor system_actor_;
  std::vector<const TransitionInfo*> no_transitions_;
};

}  // namespace claims::workflow::internal
