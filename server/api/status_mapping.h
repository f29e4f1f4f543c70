#pragma once

// The one place where errors become gRPC statuses. Below the wire everything is absl::Status;
// rich details travel as payloads keyed by their google.rpc type URL and are packed into
// google.rpc.Status details here.

#include <grpcpp/support/status.h>

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "workflow/decision.h"

namespace claims::server {

inline constexpr char kErrorDomain[] = "claims.v1";

// INVALID_ARGUMENT with a google.rpc.BadRequest listing `violations` and an ErrorInfo.
absl::Status InvalidArgument(const std::string& message,
                             const std::vector<workflow::FieldViolation>& violations,
                             const std::string& reason = "INVALID_ARGUMENT");

// Adds a google.rpc.ErrorInfo {reason, domain claims.v1, metadata} to `status`.
absl::Status WithErrorInfo(absl::Status status, const std::string& reason,
                           const std::map<std::string, std::string>& metadata = {});

// Adds a google.rpc.PreconditionFailure violation to `status`.
absl::Status WithPreconditionFailure(absl::Status status, const std::string& type,
                                     const std::string& subject, const std::string& description);

// The status for an engine refusal: INVALID_ARGUMENT (unknown action, bad input),
// FAILED_PRECONDITION (not available in this state, guard, not editable) or PERMISSION_DENIED
// (role), always with an ErrorInfo whose metadata lists the available actions.
absl::Status RejectionToStatus(const workflow::Rejection& rejection,
                               const std::string& claim_state);

// Packs payloads into grpc-status-details-bin. OK stays OK; UNKNOWN becomes INTERNAL.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace claims::server
