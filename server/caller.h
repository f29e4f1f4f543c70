#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "server/auth.h"
#include "workflow/claim.h"
#include "workflow/definition.h"

namespace claims::server {

// Who is calling and from which side, as far as access to claims goes.
struct Caller {
  workflow::Actor actor;
  workflow::Perspective perspective = workflow::Perspective::kPartner;
  std::string customer_tenant;  // customers: the tenant whose claims they may see

  // Reviewers and the system see every partner's claims.
  bool SeesAllPartners() const {
    return perspective == workflow::Perspective::kReviewer ||
           perspective == workflow::Perspective::kSystem;
  }
};

// The caller `identity` makes, its roles read against `roles`. The perspective is the most
// privileged one among the caller's roles (reviewer over customer over partner).
// PERMISSION_DENIED when no role is known to the workflow or one is the system's;
// UNAUTHENTICATED when a partner comes without a partner id or a customer without a tenant.
absl::StatusOr<Caller> CallerFromIdentity(const Identity& identity,
                                          const workflow::Definition& roles);

// CallerFromIdentity over the x-claims-* headers (NewHeaderAuthenticator), for AuthMode::kMetadata.
absl::StatusOr<Caller> CallerFromMetadata(const Metadata& metadata,
                                          const workflow::Definition& roles);

}  // namespace claims::server
