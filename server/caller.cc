#include "server/caller.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "server/status_mapping.h"

namespace claims::server {
namespace {

std::string Header(const std::multimap<std::string, std::string>& metadata, const char* key) {
  auto it = metadata.find(key);
  return it == metadata.end() ? std::string() : it->second;
}

int Rank(workflow::Perspective perspective) {
  switch (perspective) {
    case workflow::Perspective::kSystem:
      return 3;
    case workflow::Perspective::kReviewer:
      return 2;
    case workflow::Perspective::kCustomer:
      return 1;
    case workflow::Perspective::kPartner:
      return 0;
  }
  return 0;
}

}  // namespace

absl::StatusOr<Caller> CallerFromMetadata(const std::multimap<std::string, std::string>& metadata,
                                          const workflow::Definition& roles) {
  Caller caller;
  caller.actor.id = Header(metadata, kActorHeader);
  caller.actor.partner_id = Header(metadata, kPartnerHeader);
  caller.customer_tenant = Header(metadata, kCustomerTenantHeader);
  if (caller.actor.id.empty()) {
    return WithErrorInfo(absl::UnauthenticatedError(absl::StrCat("missing ", kActorHeader)),
                         "MISSING_IDENTITY");
  }
  for (absl::string_view role : absl::StrSplit(Header(metadata, kRolesHeader), ',')) {
    role = absl::StripAsciiWhitespace(role);
    if (!role.empty()) caller.actor.roles.emplace_back(role);
  }
  if (caller.actor.roles.empty()) {
    return WithErrorInfo(absl::UnauthenticatedError(absl::StrCat("missing ", kRolesHeader)),
                         "MISSING_IDENTITY");
  }
  bool known = false;
  int best = -1;
  for (const auto& role : caller.actor.roles) {
    const workflow::RoleDef* def = roles.FindRole(role);
    if (def == nullptr) continue;
    // The system role belongs to the timer scheduler; no caller may claim it.
    if (def->perspective == workflow::Perspective::kSystem) {
      return WithErrorInfo(absl::PermissionDeniedError("the system role is not for callers"),
                           "SYSTEM_ROLE_RESERVED");
    }
    known = true;
    if (Rank(def->perspective) > best) {
      best = Rank(def->perspective);
      caller.perspective = def->perspective;
    }
  }
  if (!known) {
    return WithErrorInfo(absl::PermissionDeniedError("none of the caller's roles is known"),
                         "UNKNOWN_ROLES");
  }
  if (caller.perspective == workflow::Perspective::kPartner && caller.actor.partner_id.empty()) {
    return WithErrorInfo(
        absl::UnauthenticatedError(absl::StrCat("partner roles need ", kPartnerHeader)),
        "MISSING_TENANT");
  }
  if (caller.perspective == workflow::Perspective::kCustomer && caller.customer_tenant.empty()) {
    return WithErrorInfo(
        absl::UnauthenticatedError(absl::StrCat("customers need ", kCustomerTenantHeader)),
        "MISSING_TENANT");
  }
  return caller;
}

}  // namespace claims::server
