#include "server/api/request_limits.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "claims/v1/claims_service.pb.h"
#include "claims/v1/test_clock.pb.h"
#include "claims/v1/workflow_service.pb.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace claims::server {
namespace {

using ::claims::testing::IsOk;
using ::claims::testing::StatusIs;
using ::google::protobuf::Descriptor;
using ::google::protobuf::FieldDescriptor;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;

std::map<std::string, FieldLimit> LimitsByName() {
  std::map<std::string, FieldLimit> out;
  for (const FieldLimit& limit : RequestFieldLimits()) out[std::string(limit.field)] = limit;
  return out;
}

// The request messages of every claims.v1 service.
std::vector<const Descriptor*> RequestMessages() {
  // Linked in, so that the generated pool holds every service file.
  v1::GetWorkflowRequest::descriptor();
  v1::GetTimeRequest::descriptor();
  std::vector<const Descriptor*> out;
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  for (const char* name : {"claims/v1/claims_service.proto", "claims/v1/workflow_service.proto",
                           "claims/v1/test_clock.proto"}) {
    const auto* file = pool->FindFileByName(name);
    EXPECT_NE(file, nullptr) << name;
    if (file == nullptr) continue;
    for (int s = 0; s < file->service_count(); ++s) {
      for (int m = 0; m < file->service(s)->method_count(); ++m) {
        out.push_back(file->service(s)->method(m)->input_type());
      }
    }
  }
  return out;
}

void CollectFields(const Descriptor* message, std::set<const Descriptor*>* seen,
                   std::vector<const FieldDescriptor*>* fields) {
  if (!seen->insert(message).second) return;
  for (int i = 0; i < message->field_count(); ++i) {
    const FieldDescriptor* field = message->field(i);
    const bool needs_limit =
        field->is_repeated() || field->cpp_type() == FieldDescriptor::CPPTYPE_STRING;
    if (needs_limit) fields->push_back(field);
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      CollectFields(field->message_type(), seen, fields);
    }
  }
}

TEST(RequestLimitsTest, EveryStringBytesAndRepeatedFieldOfEveryRequestHasALimit) {
  const auto limits = LimitsByName();
  std::set<const Descriptor*> seen;
  std::vector<const FieldDescriptor*> fields;
  for (const Descriptor* request : RequestMessages()) CollectFields(request, &seen, &fields);
  ASSERT_THAT(fields, Not(SizeIs(0)));
  for (const FieldDescriptor* field : fields) {
    auto it = limits.find(field->full_name());
    ASSERT_NE(it, limits.end()) << field->full_name()
                                << " has no limit: add one to server/api/request_limits.cc and to "
                                   "its comment in the .proto";
    if (field->is_repeated()) {
      EXPECT_GT(it->second.max_items, 0) << field->full_name();
    }
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
      EXPECT_NE(it->second.max_bytes, 0) << field->full_name();
    }
  }
  // And the table names nothing that does not exist.
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  for (const auto& [name, limit] : limits) {
    EXPECT_NE(pool->FindFieldByName(name), nullptr) << name;
  }
}

// The .proto sources' comments, by field full name, read from a descriptor set that protoc
// wrote with --include_source_info at build time.
std::map<std::string, std::string> FieldComments() {
  std::map<std::string, std::string> out;
  std::ifstream in(CLAIMS_API_DESCRIPTOR_SET, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  google::protobuf::FileDescriptorSet set;
  EXPECT_TRUE(set.ParseFromString(bytes.str())) << CLAIMS_API_DESCRIPTOR_SET;
  for (const auto& file : set.file()) {
    std::map<std::vector<int>, std::string> comments;
    for (const auto& location : file.source_code_info().location()) {
      comments[{location.path().begin(), location.path().end()}] = location.leading_comments();
    }
    // Messages are path [4, i], nested ones [..., 3, j], their fields [..., 2, k].
    std::function<void(const google::protobuf::DescriptorProto&, std::vector<int>, std::string)>
        walk = [&](const google::protobuf::DescriptorProto& message, std::vector<int> path,
                   std::string scope) {
          const std::string name = scope + message.name();
          for (int k = 0; k < message.field_size(); ++k) {
            std::vector<int> field_path = path;
            field_path.push_back(2);
            field_path.push_back(k);
            out[name + "." + message.field(k).name()] = comments[field_path];
          }
          for (int j = 0; j < message.nested_type_size(); ++j) {
            std::vector<int> nested = path;
            nested.push_back(3);
            nested.push_back(j);
            walk(message.nested_type(j), nested, name + ".");
          }
        };
    for (int i = 0; i < file.message_type_size(); ++i) {
      walk(file.message_type(i), {4, i}, file.package() + ".");
    }
  }
  return out;
}

TEST(RequestLimitsTest, EveryLimitIsWrittenInItsFieldsProtoComment) {
  const auto comments = FieldComments();
  ASSERT_THAT(comments, Not(SizeIs(0)));
  for (const FieldLimit& limit : RequestFieldLimits()) {
    const std::string field(limit.field);
    std::string phrase;
    std::string commented = field;
    if (field == "google.protobuf.FieldMask.paths") {
      commented = "claims.v1.UpdateClaimRequest.update_mask";
      phrase = absl::StrCat("At most ", limit.max_items, " paths of at most ", limit.max_bytes,
                            " bytes each.");
    } else if (limit.max_bytes == kConfiguredBytes) {
      phrase = "At most database.max_evidence_bytes bytes";
    } else if (limit.max_items > 0 && limit.max_bytes > 0) {
      phrase = absl::StrCat("At most ", limit.max_items, " items of at most ", limit.max_bytes,
                            " bytes each.");
    } else if (limit.max_items > 0) {
      phrase = absl::StrCat("At most ", limit.max_items, " items.");
    } else {
      phrase = absl::StrCat("At most ", limit.max_bytes, " bytes.");
    }
    auto it = comments.find(commented);
    ASSERT_NE(it, comments.end()) << commented;
    EXPECT_THAT(it->second, HasSubstr(phrase)) << commented << " should say: " << phrase;
  }
}

google::rpc::BadRequest BadRequestOf(const absl::Status& status) {
  google::rpc::BadRequest out;
  auto payload = status.GetPayload(
      absl::StrCat("type.googleapis.com/", google::rpc::BadRequest::descriptor()->full_name()));
  if (payload) out.ParseFromString(std::string(*payload));
  return out;
}

TEST(RequestLimitsTest, AValueOverItsLimitIsNamedWithTheLimitAndAShortPrefix) {
  v1::CreateClaimRequest request;
  request.set_parent("partners/contoso");
  request.mutable_claim()->mutable_customer()->set_name(std::string(1 << 20, 'F'));
  absl::Status status = CheckRequestLimits(request, 1000);
  ASSERT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(status.message(), HasSubstr("claim.customer.name"));
  EXPECT_THAT(status.message(), HasSubstr("1048576 bytes; at most 256"));
  // The answer quotes a prefix, never the value: its size does not follow the input's.
  EXPECT_LT(status.ToString().size(), 500u);
  google::rpc::BadRequest bad = BadRequestOf(status);
  ASSERT_THAT(bad.field_violations(), SizeIs(1));
  EXPECT_EQ(bad.field_violations(0).field(), "claim.customer.name");
  EXPECT_THAT(bad.field_violations(0).description(),
              HasSubstr("starts with \"" + std::string(32, 'F') + "...\""));
}

TEST(RequestLimitsTest, EveryViolationIsListedUpToTen) {
  v1::PerformActionRequest request;
  request.set_name("partners/contoso/claims/x");
  request.set_action(std::string(65, 'a'));
  request.set_etag(std::string(65, 'e'));
  absl::Status status = CheckRequestLimits(request, 1000);
  EXPECT_THAT(BadRequestOf(status).field_violations(), SizeIs(2));

  v1::StreamEventsRequest many;
  for (int i = 0; i < 50; ++i) many.add_types(std::string(100, 't'));
  status = CheckRequestLimits(many, 1000);
  ASSERT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(status.message(), HasSubstr("types is over its limit: 50 items; at most 32"));
}

TEST(RequestLimitsTest, ElementsOfListsAndNestedMessagesAreCheckedWithTheirPaths) {
  v1::UpdateClaimRequest request;
  request.mutable_claim()->add_products("ok");
  request.mutable_claim()->add_products(std::string(65, 'p'));
  request.mutable_update_mask()->add_paths(std::string(80, 'm'));
  google::rpc::BadRequest bad = BadRequestOf(CheckRequestLimits(request, 1000));
  ASSERT_THAT(bad.field_violations(), SizeIs(2));
  EXPECT_EQ(bad.field_violations(0).field(), "claim.products[1]");
  EXPECT_EQ(bad.field_violations(1).field(), "update_mask.paths[0]");
}

TEST(RequestLimitsTest, EvidenceContentFollowsTheConfiguredLimitAndIsNeverQuoted) {
  v1::AddEvidenceRequest request;
  request.mutable_evidence()->set_content(std::string(2000, 'x'));
  EXPECT_THAT(CheckRequestLimits(request, 2000), IsOk());
  absl::Status status = CheckRequestLimits(request, 1999);
  ASSERT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(status.message(), HasSubstr("evidence.content"));
  EXPECT_THAT(status.ToString(), Not(HasSubstr("xxxx")));
}

TEST(RequestLimitsTest, ValuesAtTheirLimitsPass) {
  v1::CreateClaimRequest request;
  request.set_parent("partners/contoso");
  request.set_request_id(std::string(128, 'r'));
  request.mutable_claim()->set_mpn_id(std::string(32, '1'));
  request.mutable_claim()->mutable_customer()->set_name(std::string(256, 'n'));
  for (int i = 0; i < 32; ++i) request.mutable_claim()->add_products(std::string(64, 'p'));
  EXPECT_THAT(CheckRequestLimits(request, 1000), IsOk());
}

TEST(RequestLimitsTest, QuotedPrefixesStayValidUtf8) {
  // "é" is two bytes; a cut in its middle backs up to its first byte.
  const std::string text = std::string(31, 'a') + "\xc3\xa9" + "tail";
  EXPECT_EQ(QuotePrefix(text), std::string(31, 'a') + "...");
  EXPECT_EQ(QuotePrefix("short"), "short");
}

}  // namespace
}  // namespace claims::server
