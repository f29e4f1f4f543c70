#include "server/api/status_mapping.h"

#include <grpcpp/support/error_details.h>

#include "absl/strings/str_join.h"
#include "google/rpc/code.pb.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace claims::server {
namespace {

constexpr char kTypeUrlPrefix[] = "type.googleapis.com/";

template <typename Message>
std::string TypeUrl() {
  return std::string(kTypeUrlPrefix) + Message::descriptor()->full_name();
}

template <typename Message>
Message ReadPayload(const absl::Status& status) {
  Message message;
  if (auto payload = status.GetPayload(TypeUrl<Message>())) {
    message.ParseFromString(std::string(*payload));
  }
  return message;
}

template <typename Message>
absl::Status WithPayload(absl::Status status, const Message& message) {
  status.SetPayload(TypeUrl<Message>(), absl::Cord(message.SerializeAsString()));
  return status;
}

}  // namespace

absl::Status InvalidArgument(const std::string& message,
                             const std::vector<workflow::FieldViolation>& violations,
                             const std::string& reason) {
  google::rpc::BadRequest bad_request;
  for (const auto& violation : violations) {
    auto* field_violation = bad_request.add_field_violations();
    field_violation->set_field(violation.field);
    field_violation->set_description(violation.description);
  }
  absl::Status status = absl::InvalidArgumentError(message);
  if (!violations.empty()) status = WithPayload(std::move(status), bad_request);
  return WithErrorInfo(std::move(status), reason);
}

absl::Status WithErrorInfo(absl::Status status, const std::string& reason,
                           const std::map<std::string, std::string>& metadata) {
  google::rpc::ErrorInfo info;
  info.set_reason(reason);
  info.set_domain(kErrorDomain);
  for (const auto& [key, value] : metadata) (*info.mutable_metadata())[key] = value;
  return WithPayload(std::move(status), info);
}

absl::Status WithPreconditionFailure(absl::Status status, const std::string& type,
                                     const std::string& subject, const std::string& description) {
  auto failure = ReadPayload<google::rpc::PreconditionFailure>(status);
  auto* violation = failure.add_violations();
  violation->set_type(type);
  violation->set_subject(subject);
  violation->set_description(description);
  return WithPayload(std::move(status), failure);
}

absl::Status RejectionToStatus(const workflow::Rejection& rejection,
                               const std::string& claim_state) {
  std::map<std::string, std::string> metadata{
      {"available_actions", absl::StrJoin(rejection.available_actions, ",")},
      {"state", claim_state}};
  if (!rejection.guard.empty()) metadata["guard"] = rejection.guard;
  const std::string message = rejection.available_actions.empty()
                                  ? rejection.message
                                  : rejection.message + " (available actions: " +
                                        absl::StrJoin(rejection.available_actions, ", ") + ")";
  absl::Status status;
  switch (rejection.code) {
    case workflow::RejectionCode::kUnknownAction:
      status = InvalidArgument(message, {{"action", rejection.message}}, rejection.reason);
      break;
    case workflow::RejectionCode::kInvalidInput:
      status = InvalidArgument(message, rejection.violations, rejection.reason);
      break;
    case workflow::RejectionCode::kRoleNotAllowed:
      status = absl::PermissionDeniedError(message);
      status = WithErrorInfo(std::move(status), rejection.reason, metadata);
      break;
    case workflow::RejectionCode::kActionNotAvailable:
      status = WithPreconditionFailure(absl::FailedPreconditionError(message), "STATE", claim_state,
                                       rejection.message);
      status = WithErrorInfo(std::move(status), rejection.reason, metadata);
      break;
    case workflow::RejectionCode::kGuardFailed:
      status = WithPreconditionFailure(absl::FailedPreconditionError(message), "GUARD",
                                       rejection.guard, rejection.message);
      status = WithErrorInfo(std::move(status), rejection.reason, metadata);
      break;
    case workflow::RejectionCode::kNotEditable:
      status = absl::FailedPreconditionError(message);
      for (const auto& violation : rejection.violations) {
        status = WithPreconditionFailure(std::move(status), "STATE", violation.field,
                                         violation.description);
      }
      if (rejection.violations.empty()) {
        status =
            WithPreconditionFailure(std::move(status), "STATE", claim_state, rejection.message);
      }
      status = WithErrorInfo(std::move(status), rejection.reason, metadata);
      break;
  }
  if (rejection.code == workflow::RejectionCode::kUnknownAction ||
      rejection.code == workflow::RejectionCode::kInvalidInput) {
    // InvalidArgument() attached an ErrorInfo without metadata; replace it with the full one.
    status.ErasePayload(TypeUrl<google::rpc::ErrorInfo>());
    status = WithErrorInfo(std::move(status), rejection.reason, metadata);
  }
  return status;
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  absl::StatusCode code = status.code();
  // gRPC's default for a stray failure is UNKNOWN; ours is INTERNAL, which clients treat as a
  // server bug rather than something to retry blindly.
  if (code == absl::StatusCode::kUnknown) code = absl::StatusCode::kInternal;
  google::rpc::Status rpc_status;
  rpc_status.set_code(static_cast<int>(code));
  rpc_status.set_message(std::string(status.message()));
  status.ForEachPayload([&](auto type_url, const absl::Cord& payload) {
    const std::string url(type_url.data(), type_url.size());
    if (url.rfind(kTypeUrlPrefix, 0) != 0) return;
    auto* any = rpc_status.add_details();
    any->set_type_url(url);
    any->set_value(std::string(payload));
  });
  grpc::Status result;
  if (!grpc::SetErrorDetails(rpc_status, &result).ok()) {
    return grpc::Status(static_cast<grpc::StatusCode>(code), std::string(status.message()));
  }
  return result;
}

}  // namespace claims::server
