#include "server/api/unary_calls.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/duration.pb.h"
#include "google/rpc/error_details.pb.h"

namespace claims::server {

Metadata CallMetadata(const grpc::CallbackServerContext& context) {
  Metadata metadata;
  for (const auto& [key, value] : context.client_metadata()) {
    metadata.emplace(std::string(key.data(), key.size()), std::string(value.data(), value.size()));
  }
  return metadata;
}

absl::Status Overloaded(int queued) {
  absl::Status status = WithErrorInfo(
      absl::ResourceExhaustedError(absl::StrCat("the server is overloaded: ", queued,
                                                " calls are already waiting; retry later")),
      "OVERLOADED");
  google::rpc::RetryInfo retry;
  retry.mutable_retry_delay()->set_nanos(
      static_cast<int32_t>(absl::ToInt64Nanoseconds(kOverloadRetryDelay)));
  status.SetPayload(
      absl::StrCat("type.googleapis.com/", google::rpc::RetryInfo::descriptor()->full_name()),
      absl::Cord(retry.SerializeAsString()));
  return status;
}

}  // namespace claims::server
