#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "workflow/claim.h"
#include "workflow/definition.h"

namespace claims::server {

// Metadata keys that carry the caller's identity on the embedded default, where a trusted
// front end (the partner portal, a reviewer tool) has already authenticated the user.
inline constexpr char kActorHeader[] = "x-claims-actor";
inline constexpr char kRolesHeader[] = "x-claims-roles";      // comma separated
inline constexpr char kPartnerHeader[] = "x-claims-partner";  // partner roles: their tenant
inline constexpr char kCustomerTenantHeader[] = "x-claims-customer-tenant";

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

// Builds the caller from request metadata. The perspective is the most privileged one among
// the caller's roles in `roles` (reviewer over customer over partner).
// UNAUTHENTICATED when the actor or roles are missing; PERMISSION_DENIED when no role is
// known to the workflow; UNAUTHENTICATED when a partner role comes without a partner id.
absl::StatusOr<Caller> CallerFromMetadata(const std::multimap<std::string, std::string>& metadata,
                                          const workflow::Definition& roles);

}  // namespace claims::server
