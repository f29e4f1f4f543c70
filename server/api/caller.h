#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "server/api/auth.h"
#include "workflow/claim.h"
#include "workflow/definition.h"

namespace claims::server {

// How a caller acts on one claim: only with the roles whose perspective applies to it.
struct ClaimAccess {
  workflow::Actor actor;  // the caller's id and partner, and the roles that apply
  workflow::Perspective perspective = workflow::Perspective::kPartner;
};

// Who is calling and from which side, as far as access to claims goes.
//
// The identity rule: an identity may hold roles of several perspectives (a partner admin who is
// also a customer contact), and each role acts only where its perspective applies. A partner
// role applies to the claims of the caller's own partner, a customer role to the claims that
// name the caller's customer tenant, a reviewer role to every claim. So a caller who sees a
// claim as its customer can deny consent on it, but cannot act on it as a partner admin unless
// it is also their partner's claim.
struct Caller {
  workflow::Actor actor;  // every role the identity holds
  // The widest perspective among the caller's roles (reviewer over partner over customer),
  // which decides what the caller may list and stream.
  workflow::Perspective perspective = workflow::Perspective::kPartner;
  std::string customer_tenant;  // customers: the tenant whose claims they may see
  // The caller's roles that the workflow knows, with their perspectives.
  std::vector<std::pair<std::string, workflow::Perspective>> known_roles;

  // Reviewers and the system see every partner's claims.
  bool SeesAllPartners() const {
    return perspective == workflow::Perspective::kReviewer ||
           perspective == workflow::Perspective::kSystem;
  }

  // The roles of this caller that apply to `claim` (by its partner and customer tenant), and the
  // widest perspective among them; nullopt when none applies, and the claim is then invisible
  // to the caller.
  std::optional<ClaimAccess> AccessTo(const workflow::Claim& claim) const;

  // What keeps the request ids of different callers apart: the actor id together with the
  // tenants the identity names, so the same actor id in two partners (or a partner and a
  // customer tenant) never shares a request id.
  std::string IdempotencyScope() const;
};

// The caller `identity` makes, its roles read against `roles`.
// PERMISSION_DENIED when no role is known to the workflow or one is the system's;
// UNAUTHENTICATED when a partner comes without a partner id or a customer without a tenant;
// INVALID_ARGUMENT when an identity value is longer than its limit (request_limits.h).
absl::StatusOr<Caller> CallerFromIdentity(const Identity& identity,
                                          const workflow::Definition& roles);

// CallerFromIdentity over the x-claims-* headers (NewHeaderAuthenticator), for AuthMode::kMetadata.
absl::StatusOr<Caller> CallerFromMetadata(const Metadata& metadata,
                                          const workflow::Definition& roles);

}  // namespace claims::server
