#include "server/caller.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "server/status_mapping.h"

namespace claims::server {
namespace {

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

absl::StatusOr<Caller> CallerFromIdentity(const Identity& identity,
                                          const workflow::Definition& roles) {
  Caller caller;
  caller.actor.id = identity.actor;
  caller.actor.roles = identity.roles;
  caller.actor.partner_id = identity.partner;
  caller.customer_tenant = identity.customer_tenant;
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
        absl::UnauthenticatedError(absl::StrCat("partner roles need ", identity.partner_source)),
        "MISSING_TENANT");
  }
  if (caller.perspective == workflow::Perspective::kCustomer && caller.customer_tenant.empty()) {
    return WithErrorInfo(absl::UnauthenticatedError(
                             absl::StrCat("customers need ", identity.customer_tenant_source)),
                         "MISSING_TENANT");
  }
  return caller;
}

absl::StatusOr<Caller> CallerFromMetadata(const Metadata& metadata,
                                          const workflow::Definition& roles) {
  absl::StatusOr<Identity> identity = NewHeaderAuthenticator()->Identify(metadata);
  if (!identity.ok()) return identity.status();
  return CallerFromIdentity(*identity, roles);
}

}  // namespace claims::server
