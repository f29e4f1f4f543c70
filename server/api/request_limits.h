#pragma once

// The size limits of everything a caller sends, declared in one place. Each limit is also
// written in the comment of its field in protos/claims/v1/*.proto, and a test holds the two
// together, so a field cannot be added without a limit or change limit unnoticed.

#include <google/protobuf/message.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace claims::server {

// The limit of one request field, by its full proto name ("claims.v1.Claim.mpn_id").
struct FieldLimit {
  std::string_view field;
  // Strings and bytes: at most this many bytes per value (UTF-8 bytes for strings).
  // kConfiguredBytes: the server's configured limit (database.max_evidence_bytes).
  // 0 for message and scalar fields.
  int64_t max_bytes = 0;
  // Repeated fields: at most this many elements; 0 when the field is not repeated.
  int max_items = 0;
};
inline constexpr int64_t kConfiguredBytes = -1;

// Every string, bytes, repeated and message field that a request of the claims.v1 services can
// carry, with its limit.
const std::vector<FieldLimit>& RequestFieldLimits();

// Limits of the identity a call presents (metadata or token claims).
inline constexpr std::size_t kMaxActorIdBytes = 128;
inline constexpr std::size_t kMaxRoles = 16;
inline constexpr std::size_t kMaxRoleBytes = 64;
inline constexpr std::size_t kMaxTenantIdBytes = 128;

// A ListClaims page holds at most this many bytes of claims, whatever the page size asked:
// a page of claims whose fields are all at their limits still fits the 4 MiB that gRPC
// clients accept by default.
inline constexpr std::size_t kMaxListPageBytes = 2 * 1024 * 1024;

// OK when every field of `request` is within its limit. Otherwise INVALID_ARGUMENT naming each
// field over its limit (google.rpc.BadRequest, the limit and at most a short prefix of the
// value) with ErrorInfo FIELD_TOO_LONG or TOO_MANY_ITEMS. Looks at sizes only, never copies a
// value, so its cost does not grow with what it refuses.
absl::Status CheckRequestLimits(const google::protobuf::Message& request,
                                int64_t configured_max_bytes);

// At most `max_bytes` of `value` for an error message, cut on a UTF-8 character boundary, with
// "..." when cut.
std::string QuotePrefix(std::string_view value, std::size_t max_bytes = 32);

}  // namespace claims::server
