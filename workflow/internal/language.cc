#include "workflow/internal/language.h"

#include "workflow/claim.h"

namespace claims::workflow::internal {
namespace {

constexpr std::pair<GuardKind, std::string_view> kGuardKinds[] = {
    {GuardKind::kMinEvidence, "min_evidence"},
    {GuardKind::kWithinDuration, "within"},
    {GuardKind::kLastReasonIn, "last_reason_in"},
    {GuardKind::kLastReasonNotIn, "last_reason_not_in"},
    {GuardKind::kFieldPresent, "field_present"},
    {GuardKind::kMaxTimesTaken, "max_times"},
};

constexpr std::pair<DurationUnit, std::string_view> kDurationUnits[] = {
    {DurationUnit::kBusinessDays, "business_days"},
    {DurationUnit::kDays, "days"},
    {DurationUnit::kHours, "hours"},
};

}  // namespace

const std::vector<std::string_view>& GuardKindNames() {
  static const auto* const kNames = [] {
    auto* names = new std::vector<std::string_view>();
    for (const auto& [kind, name] : kGuardKinds) names->push_back(name);
    return names;
  }();
  return *kNames;
}

std::string_view GuardKindName(GuardKind kind) {
  for (const auto& [candidate, name] : kGuardKinds) {
    if (candidate == kind) return name;
  }
  return "unknown";
}

std::optional<GuardKind> ParseGuardKind(std::string_view name) {
  for (const auto& [kind, candidate] : kGuardKinds) {
    if (candidate == name) return kind;
  }
  return std::nullopt;
}

std::string_view DurationUnitName(DurationUnit unit) {
  for (const auto& [candidate, name] : kDurationUnits) {
    if (candidate == unit) return name;
  }
  return "unknown";
}

std::optional<DurationUnit> ParseDurationUnit(std::string_view name) {
  for (const auto& [unit, candidate] : kDurationUnits) {
    if (candidate == name) return unit;
  }
  return std::nullopt;
}

const std::vector<std::string_view>& FieldNames() {
  static const auto* const kNames =
      new std::vector<std::string_view>{kFieldMpnId,          kFieldCustomer, kFieldCustomerContact,
                                        kFieldPartnerContact, kFieldProducts, kFieldActivity};
  return *kNames;
}

std::string_view RequirementName(Requirement requirement) {
  switch (requirement) {
    case Requirement::kOptional:
      return "optional";
    case Requirement::kRequired:
      return "required";
    case Requirement::kForbidden:
      return "forbidden";
  }
  return "optional";
}

}  // namespace claims::workflow::internal
