#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "config/claims_config.h"

namespace claims::server {

// A call's metadata as gRPC hands it over (keys lower-case).
using Metadata = std::multimap<std::string, std::string>;

// Metadata keys that carry the caller's identity in AuthMode::kMetadata, where a trusted front
// end (the partner portal, a reviewer tool) has already authenticated the user.
inline constexpr char kActorHeader[] = "x-claims-actor";
inline constexpr char kRolesHeader[] = "x-claims-roles";      // comma separated
inline constexpr char kPartnerHeader[] = "x-claims-partner";  // partner roles: their tenant
inline constexpr char kCustomerTenantHeader[] = "x-claims-customer-tenant";
inline constexpr char kAuthorizationHeader[] = "authorization";  // AuthMode::kJwt

// The identity a call proves, before its roles are read against a workflow (caller.h).
struct Identity {
  std::string actor;
  std::vector<std::string> roles;
  std::string partner;          // the tenant of a partner caller
  std::string customer_tenant;  // the tenant of a customer caller
  // Where the two tenants come from, so that a missing one is named in the error.
  std::string partner_source;
  std::string customer_tenant_source;
};

// Turns a call's metadata into the identity it proves. Implementations are immutable after
// construction and thread-safe.
class Authenticator {
 public:
  virtual ~Authenticator() = default;

  // UNAUTHENTICATED, with google.rpc.ErrorInfo reason MISSING_IDENTITY when the call presents
  // no identity and INVALID_TOKEN when what it presents does not prove one.
  virtual absl::StatusOr<Identity> Identify(const Metadata& metadata) const = 0;
};

// Reads the x-claims-* headers, trusting whoever set them.
std::unique_ptr<Authenticator> NewHeaderAuthenticator();

// Verifies "authorization: Bearer <JWT>": the token's kid picks one of `config.keys` (the only
// key when there is one and the token names none), the key's one algorithm must match the
// token's, then signature, iss, aud (a string or an array holding the audience), exp (required)
// and nbf with `config.leeway`. The identity comes from the claims `config.claims` names;
// x-claims-* headers are ignored. A verified token's identity is kept until the token expires
// by `now` (wall time: tokens are real credentials, whatever clock the claims run on), so a
// caller's later calls with it skip the verification. Reads the key files and secret
// environment variables now: INVALID_ARGUMENT for a key that cannot be used (unreadable or not
// a PEM public key of the algorithm's type, or a secret shorter than the hash), so a bad key
// stops start-up.
absl::StatusOr<std::unique_ptr<Authenticator>> NewJwtAuthenticator(
    const config::AuthConfig& config, std::function<absl::Time()> now = absl::Now);

// The authenticator `config.mode` asks for.
absl::StatusOr<std::unique_ptr<Authenticator>> NewAuthenticator(const config::AuthConfig& config);

}  // namespace claims::server
