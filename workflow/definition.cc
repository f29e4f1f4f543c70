#include "workflow/definition.h"

#include <algorithm>
#include <utility>

#include "workflow/internal/text.h"

namespace claims::workflow {
namespace {

template <typename T>
void IndexIds(const std::vector<T>& items, absl::flat_hash_map<std::string, std::size_t>& index) {
  index.clear();
  index.reserve(items.size());
  // emplace keeps the first of duplicate ids; the validator reports the duplicates.
  for (std::size_t i = 0; i < items.size(); ++i) index.emplace(items[i].id, i);
}

template <typename T>
const T* Lookup(const std::vector<T>& items,
                const absl::flat_hash_map<std::string, std::size_t>& index, std::string_view id) {
  auto it = index.find(internal::ToAbsl(id));
  if (it == index.end()) return nullptr;
  return &items[it->second];
}

}  // namespace

const CatalogEntry* CatalogDef::Find(std::string_view entry_id) const {
  // Catalogs hold a handful of entries, so a scan beats keeping a map per catalog.
  for (const CatalogEntry& entry : entries) {
    if (entry.id == entry_id) return &entry;
  }
  return nullptr;
}

Definition::Definition(const Definition& other)
    : name(other.name),
      version(other.version),
      description(other.description),
      roles(other.roles),
      catalogs(other.catalogs),
      calendars(other.calendars),
      products_catalog(other.products_catalog),
      activities_catalog(other.activities_catalog),
      create(other.create),
      states(other.states),
      transitions(other.transitions),
      timers(other.timers),
      migrate_from(other.migrate_from),
      evidence_content_types(other.evidence_content_types) {
  BuildIndex();
}

Definition& Definition::operator=(const Definition& other) {
  if (this != &other) {
    Definition copy(other);
    *this = std::move(copy);
  }
  return *this;
}

void Definition::BuildIndex() {
  IndexIds(roles, role_index_);
  IndexIds(catalogs, catalog_index_);
  IndexIds(calendars, calendar_index_);
  IndexIds(states, state_index_);
  IndexIds(transitions, transition_index_);
  IndexIds(timers, timer_index_);
  transitions_from_.clear();
  for (const TransitionDef& transition : transitions) {
    for (const std::string& from : transition.from) {
      std::vector<const TransitionDef*>& out = transitions_from_[from];
      // A state listed twice in `from` must not make the transition appear twice.
      if (out.empty() || out.back() != &transition) out.push_back(&transition);
    }
  }
}

const RoleDef* Definition::FindRole(std::string_view id) const {
  return Lookup(roles, role_index_, id);
}

const CatalogDef* Definition::FindCatalog(std::string_view id) const {
  return Lookup(catalogs, catalog_index_, id);
}

const CalendarDef* Definition::FindCalendar(std::string_view id) const {
  return Lookup(calendars, calendar_index_, id);
}

const StateDef* Definition::FindState(std::string_view id) const {
  return Lookup(states, state_index_, id);
}

const TransitionDef* Definition::FindTransition(std::string_view id) const {
  return Lookup(transitions, transition_index_, id);
}

const TimerDef* Definition::FindTimer(std::string_view id) const {
  return Lookup(timers, timer_index_, id);
}

const std::vector<const TransitionDef*>& Definition::TransitionsFrom(std::string_view state) const {
  static const auto* const kNone = new std::vector<const TransitionDef*>();
  auto it = transitions_from_.find(internal::ToAbsl(state));
  if (it == transitions_from_.end()) return *kNone;
  return it->second;
}

std::vector<std::string> DefaultEvidenceContentTypes() {
  return {
      "application/pdf",
      "image/png",
      "image/jpeg",
      "image/gif",
      "image/webp",
      "image/tiff",
      "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
      "application/vnd.openxmlformats-officedocument.presentationml.presentation",
      "application/msword",
      "application/vnd.ms-excel",
      "application/vnd.ms-powerpoint",
      "text/plain",
  };
}

bool Definition::AllowsEvidenceType(std::string_view content_type) const {
  return std::find(evidence_content_types.begin(), evidence_content_types.end(), content_type) !=
         evidence_content_types.end();
}

}  // namespace claims::workflow
