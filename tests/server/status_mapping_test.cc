#include "server/api/status_mapping.h"

#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"

namespace claims::server {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct Unpacked {
  google::rpc::Status status;
  google::rpc::ErrorInfo info;
  google::rpc::BadRequest bad_request;
  google::rpc::PreconditionFailure precondition;
};

Unpacked Unpack(const grpc::Status& status) {
  Unpacked out;
  EXPECT_TRUE(out.status.ParseFromString(status.error_details()));
  for (const auto& any : out.status.details()) {
    if (any.Is<google::rpc::ErrorInfo>()) any.UnpackTo(&out.info);
    if (any.Is<google::rpc::BadRequest>()) any.UnpackTo(&out.bad_request);
    if (any.Is<google::rpc::PreconditionFailure>()) any.UnpackTo(&out.precondition);
  }
  return out;
}

workflow::Rejection MakeRejection(workflow::RejectionCode code, const std::string& reason) {
  workflow::Rejection rejection;
  rejection.code = code;
  rejection.reason = reason;
  rejection.message = "refused";
  rejection.available_actions = {"start_review", "withdraw"};
  return rejection;
}

TEST(StatusMappingTest, EachRejectionCodeMapsToItsGrpcCode) {
  const struct {
    workflow::RejectionCode code;
    grpc::StatusCode expected;
  } cases[] = {
      {workflow::RejectionCode::kUnknownAction, grpc::StatusCode::INVALID_ARGUMENT},
      {workflow::RejectionCode::kInvalidInput, grpc::StatusCode::INVALID_ARGUMENT},
      {workflow::RejectionCode::kActionNotAvailable, grpc::StatusCode::FAILED_PRECONDITION},
      {workflow::RejectionCode::kGuardFailed, grpc::StatusCode::FAILED_PRECONDITION},
      {workflow::RejectionCode::kNotEditable, grpc::StatusCode::FAILED_PRECONDITION},
      {workflow::RejectionCode::kRoleNotAllowed, grpc::StatusCode::PERMISSION_DENIED},
  };
  for (const auto& c : cases) {
    grpc::Status status = ToGrpcStatus(RejectionToStatus(MakeRejection(c.code, "R"), "submitted"));
    EXPECT_EQ(status.error_code(), c.expected) << static_cast<int>(c.code);
    Unpacked details = Unpack(status);
    EXPECT_EQ(details.info.reason(), "R");
    EXPECT_EQ(details.info.domain(), "claims.v1");
    EXPECT_EQ(details.info.metadata().at("available_actions"), "start_review,withdraw");
    EXPECT_THAT(status.error_message(), HasSubstr("start_review, withdraw"));
  }
}

TEST(StatusMappingTest, GuardFailureNamesTheGuard) {
  workflow::Rejection rejection =
      MakeRejection(workflow::RejectionCode::kGuardFailed, "GUARD_FAILED");
  rejection.guard = "dispute_window";
  rejection.message = "disputes are accepted within 30 days; submit a new claim";
  Unpacked details = Unpack(ToGrpcStatus(RejectionToStatus(rejection, "rejected")));
  ASSERT_EQ(details.precondition.violations_size(), 1);
  EXPECT_EQ(details.precondition.violations(0).type(), "GUARD");
  EXPECT_EQ(details.precondition.violations(0).subject(), "dispute_window");
  EXPECT_EQ(details.info.metadata().at("guard"), "dispute_window");
}

TEST(StatusMappingTest, InvalidInputListsEveryFieldViolation) {
  workflow::Rejection rejection =
      MakeRejection(workflow::RejectionCode::kInvalidInput, "INVALID_INPUT");
  rejection.violations = {{"reasons", "at least one"}, {"comment", "required"}};
  Unpacked details = Unpack(ToGrpcStatus(RejectionToStatus(rejection, "under_review")));
  std::vector<std::string> fields;
  for (const auto& v : details.bad_request.field_violations()) fields.push_back(v.field());
  EXPECT_THAT(fields, ElementsAre("reasons", "comment"));
  // One ErrorInfo only, the one with metadata.
  int infos = 0;
  for (const auto& any : details.status.details()) infos += any.Is<google::rpc::ErrorInfo>();
  EXPECT_EQ(infos, 1);
}

TEST(StatusMappingTest, UnknownBecomesInternalAndOkStaysOk) {
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  EXPECT_EQ(ToGrpcStatus(absl::UnknownError("boom")).error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(ToGrpcStatus(absl::AbortedError("conflict")).error_code(), grpc::StatusCode::ABORTED);
}

}  // namespace
}  // namespace claims::server
