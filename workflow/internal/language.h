#pragma once

// The names the workflow language spells its closed sets with, shared by the loader, the
// validator, the renderers and the schema so that they cannot drift apart.

#include <optional>
#include <string_view>
#include <vector>

#include "workflow/business_calendar.h"
#include "workflow/definition.h"

namespace claims::workflow::internal {

// YAML key of each guard kind, in the order the schema lists them.
const std::vector<std::string_view>& GuardKindNames();
std::string_view GuardKindName(GuardKind kind);
std::optional<GuardKind> ParseGuardKind(std::string_view name);

std::string_view DurationUnitName(DurationUnit unit);
std::optional<DurationUnit> ParseDurationUnit(std::string_view name);

// The claim fields (kField* in claim.h) that edit rules, required fields and guards may name.
const std::vector<std::string_view>& FieldNames();

std::string_view RequirementName(Requirement requirement);

}  // namespace claims::workflow::internal
