#include "server/api/caller.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "server/api/request_limits.h"
#include "server/api/status_mapping.h"
#include "server/runtime/workflow_registry.h"

namespace claims::server {
namespace {

// Which perspective decides what a caller lists and streams when it holds several: a partner
// admin who is also a customer contact lists their partner's claims.
int Rank(workflow::Perspective perspective) {
  switch (perspective) {
    case workflow::Perspective::kSystem:
      return 3;
    case workflow::Perspective::kReviewer:
      return 2;
    case workflow::Perspective::kPartner:
      return 1;
    case workflow::Perspective::kCustomer:
      return 0;
  }
  return 0;
}

absl::Status CheckIdentityLimits(const Identity& identity) {
  std::vector<workflow::FieldViolation> violations;
  auto check = [&](const std::string& field, const std::string& value, std::size_t max) {
    if (value.size() > max) {
      violations.push_back({field, absl::StrCat(value.size(), " bytes; at most ", max,
                                                "; starts with \"", QuotePrefix(value), "\"")});
    }
  };
  check("actor", identity.actor, kMaxActorIdBytes);
  check("partner", identity.partner, kMaxTenantIdBytes);
  check("customer_tenant", identity.customer_tenant, kMaxTenantIdBytes);
  if (identity.roles.size() > kMaxRoles) {
    violations.push_back(
        {"roles", absl::StrCat(identity.roles.size(), " roles; at most ", kMaxRoles)});
  } else {
    for (const std::string& role : identity.roles) check("roles", role, kMaxRoleBytes);
  }
  if (violations.empty()) return absl::OkStatus();
  return InvalidArgument("the caller's identity is over its limits", violations,
                         "IDENTITY_TOO_LONG");
}

// Length-prefixed, so that no two different identities read the same.
void AppendPart(std::string* out, const char* tag, const std::string& value) {
  absl::StrAppend(out, tag, value.size(), ":", value, ";");
}

}  // namespace

std::optional<ClaimAccess> Caller::AccessTo(const workflow::Claim& claim) const {
  ClaimAccess access;
  access.actor.id = actor.id;
  access.actor.partner_id = actor.partner_id;
  int best = -1;
  for (const auto& [role, role_perspective] : known_roles) {
    bool applies = false;
    switch (role_perspective) {
      case workflow::Perspective::kReviewer:
      case workflow::Perspective::kSystem:
        applies = true;
        break;
      case workflow::Perspective::kPartner:
        applies = !actor.partner_id.empty() && claim.partner_id == actor.partner_id;
        break;
      case workflow::Perspective::kCustomer:
        applies = !customer_tenant.empty() && claim.fields.customer.tenant_id == customer_tenant;
        break;
    }
    if (!applies) continue;
    access.actor.roles.push_back(role);
    if (Rank(role_perspective) > best) {
      best = Rank(role_perspective);
      access.perspective = role_perspective;
    }
  }
  if (access.actor.roles.empty()) return std::nullopt;
  return access;
}

std::string Caller::IdempotencyScope() const {
  std::string identity;
  AppendPart(&identity, "a", actor.id);
  AppendPart(&identity, "p", actor.partner_id);
  AppendPart(&identity, "c", customer_tenant);
  AppendPart(&identity, "r", SeesAllPartners() ? "all" : "");
  return Sha256Hex(identity);
}

absl::StatusOr<Caller> CallerFromIdentity(const Identity& identity,
                                          const workflow::Definition& roles) {
  if (absl::Status status = CheckIdentityLimits(identity); !status.ok()) return status;
  Caller caller;
  caller.actor.id = identity.actor;
  caller.actor.roles = identity.roles;
  caller.actor.partner_id = identity.partner;
  caller.customer_tenant = identity.customer_tenant;
  int best = -1;
  for (const auto& role : caller.actor.roles) {
    const workflow::RoleDef* def = roles.FindRole(role);
    if (def == nullptr) continue;
    // The system role belongs to the timer scheduler; no caller may claim it.
    if (def->perspective == workflow::Perspective::kSystem) {
      return WithErrorInfo(absl::PermissionDeniedError("the system role is not for callers"),
                           "SYSTEM_ROLE_RESERVED");
    }
    caller.known_roles.emplace_back(role, def->perspective);
    if (Rank(def->perspective) > best) {
      best = Rank(def->perspective);
      caller.perspective = def->perspective;
    }
  }
  if (caller.known_roles.empty()) {
    return WithErrorInfo(absl::PermissionDeniedError("none of the caller's roles is known"),
                         "UNKNOWN_ROLES");
  }
  // The widest perspective needs its tenant, or the caller could do nothing at all; a narrower
  // role without one simply applies to no claim (Caller::AccessTo).
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
