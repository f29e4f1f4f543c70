// End to end: requests no well-behaved client sends. Invalid UTF-8 in any string field of any
// request, and bytes that are no request at all, are INVALID_ARGUMENT naming the problem (gRPC's
// callback API alone would say UNIMPLEMENTED with an empty message), and protobuf logs nothing.

#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/message.h>
#include <google/protobuf/stubs/logging.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "claims/v1/claims_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/claims_server.h"
#include "tests/e2e/test_server.h"
#include "tests/testing/status_matchers.h"

namespace claims::testing {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using ::testing::HasSubstr;

// Bytes that are not UTF-8 (a lone 0xff, a lone 0xfe, then 0xc3 followed by a non-continuation).
const std::string kInvalidUtf8("\xff\xfe\xc3\x28", 4);
// Four bytes of valid UTF-8 that occur nowhere else in a request, swapped for kInvalidUtf8
// after serialising (protobuf itself would log while serialising invalid UTF-8).
const std::string kMarker = "\x01Zq\x02";

// A string field reachable from a request type, with the path the server reports for it.
struct StringField {
  std::vector<const FieldDescriptor*> chain;  // from the request down to the string field
  std::string path;                           // "claim.customer.name", "reasons[0]"
};

void CollectStrings(const Descriptor& type, std::vector<const FieldDescriptor*>& chain,
                    const std::string& prefix, std::set<const Descriptor*>& on_stack,
                    std::vector<StringField>& out) {
  if (!on_stack.insert(&type).second) return;  // a recursive type: one level is enough
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor* field = type.field(i);
    std::string path = prefix.empty() ? field->name() : prefix + "." + field->name();
    if (field->is_repeated()) path += "[0]";
    chain.push_back(field);
    if (field->type() == FieldDescriptor::TYPE_STRING) {
      out.push_back({chain, path});
    } else if (field->type() == FieldDescriptor::TYPE_MESSAGE) {
      CollectStrings(*field->message_type(), chain, path, on_stack, out);
    }
    chain.pop_back();
  }
  on_stack.erase(&type);
}

// `request` with kMarker in the string field at the end of `chain`, serialised, with the
// marker swapped for invalid UTF-8.
std::string RequestWithInvalidUtf8(const Descriptor& type, const StringField& field) {
  const Message* prototype =
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(&type);
  std::unique_ptr<Message> request(prototype->New());
  Message* message = request.get();
  for (std::size_t i = 0; i + 1 < field.chain.size(); ++i) {
    const FieldDescriptor* hop = field.chain[i];
    message = hop->is_repeated() ? message->GetReflection()->AddMessage(message, hop)
                                 : message->GetReflection()->MutableMessage(message, hop);
  }
  const FieldDescriptor* leaf = field.chain.back();
  if (leaf->is_repeated()) {
    message->GetReflection()->AddString(message, leaf, kMarker);
  } else {
    message->GetReflection()->SetString(message, leaf, kMarker);
  }
  std::string wire = request->SerializeAsString();
  const std::size_t at = wire.find(kMarker);
  EXPECT_NE(at, std::string::npos) << field.path;
  if (at != std::string::npos) wire.replace(at, kMarker.size(), kInvalidUtf8);
  return wire;
}

// Counts what protobuf logs, from the server or from us.
std::atomic<int> protobuf_log_lines{0};
void CountProtobufLog(google::protobuf::LogLevel, const char*, int, const std::string& message) {
  ++protobuf_log_lines;
  fprintf(stderr, "libprotobuf: %s\n", message.c_str());
}

class HygieneE2eTest : public ::testing::TestWithParam<TestBackend> {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(config::ServerConfig config, TestServerConfig(GetParam()));
    ASSERT_OK_AND_ASSIGN(server_, server::ClaimsServer::Start(config));
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                                   grpc::InsecureChannelCredentials());
    previous_handler_ = google::protobuf::SetLogHandler(&CountProtobufLog);
    protobuf_log_lines = 0;
  }
  void TearDown() override {
    google::protobuf::SetLogHandler(previous_handler_);
    channel_.reset();
    if (server_) server_->Shutdown(absl::Seconds(1));
  }

  const std::vector<std::pair<std::string, std::string>> reviewer_ = {
      {"x-claims-actor", "rita"}, {"x-claims-roles", "reviewer"}};
  std::unique_ptr<server::ClaimsServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  google::protobuf::LogHandler* previous_handler_ = nullptr;
};

TEST_P(HygieneE2eTest, InvalidUtf8InAnyStringFieldOfAnyRequestIsInvalidArgument) {
  const google::protobuf::ServiceDescriptor* service =
      v1::CreateClaimRequest::descriptor()->file()->service(0);
  ASSERT_EQ(service->full_name(), "claims.v1.Claims");
  int checked = 0;
  for (int m = 0; m < service->method_count(); ++m) {
    const google::protobuf::MethodDescriptor* method = service->method(m);
    std::vector<StringField> fields;
    std::vector<const FieldDescriptor*> chain;
    std::set<const Descriptor*> on_stack;
    CollectStrings(*method->input_type(), chain, "", on_stack, fields);
    for (const StringField& field : fields) {
      SCOPED_TRACE(method->name() + " " + field.path);
      const RawReply reply =
          RawCall(channel_, "/claims.v1.Claims/" + method->name(),
                  RequestWithInvalidUtf8(*method->input_type(), field), reviewer_);
      EXPECT_EQ(reply.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
          << reply.status.error_message();
      EXPECT_THAT(reply.status.error_message(), HasSubstr(field.path + ": not valid UTF-8"));
      const StatusDetails details = DetailsOf(reply.status);
      EXPECT_EQ(details.info.reason(), "INVALID_UTF8");
      ASSERT_EQ(details.bad_request.field_violations_size(), 1);
      EXPECT_EQ(details.bad_request.field_violations(0).field(), field.path);
      EXPECT_TRUE(reply.messages.empty());
      ++checked;
    }
  }
  // The reported finding named these; the walk over the descriptors must have reached them.
  EXPECT_GT(checked, 40);
  EXPECT_EQ(protobuf_log_lines.load(), 0);
}

TEST_P(HygieneE2eTest, TheFindingsExamplesNameTheirFields) {
  struct Case {
    std::string method;
    std::string path;
  };
  for (const Case& c : std::vector<Case>{{"AddComment", "comment.text"},
                                         {"CreateClaim", "claim.customer.name"},
                                         {"GetClaim", "name"},
                                         {"PerformAction", "action"},
                                         {"PerformAction", "reasons[0]"},
                                         {"ListClaims", "state"},
                                         {"StreamEvents", "types[0]"},
                                         {"UpdateClaim", "update_mask.paths[0]"}}) {
    SCOPED_TRACE(c.method + " " + c.path);
    const Descriptor* type = v1::CreateClaimRequest::descriptor()
                                 ->file()
                                 ->service(0)
                                 ->FindMethodByName(c.method)
                                 ->input_type();
    std::vector<StringField> fields;
    std::vector<const FieldDescriptor*> chain;
    std::set<const Descriptor*> on_stack;
    CollectStrings(*type, chain, "", on_stack, fields);
    auto it = std::find_if(fields.begin(), fields.end(),
                           [&](const StringField& f) { return f.path == c.path; });
    ASSERT_NE(it, fields.end());
    const RawReply reply = RawCall(channel_, "/claims.v1.Claims/" + c.method,
                                   RequestWithInvalidUtf8(*type, *it), reviewer_);
    EXPECT_EQ(reply.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(reply.status.error_message(),
              c.path +
                  ": not valid UTF-8 (string fields must be UTF-8; binary data belongs in bytes "
                  "fields)");
  }
  EXPECT_EQ(protobuf_log_lines.load(), 0);
}

TEST_P(HygieneE2eTest, BytesThatAreNoRequestAreInvalidArgument) {
  // Field 1 (name) announced as 100 bytes long, with 3 following; then a bare group end.
  for (const std::string& garbage : {std::string("\x0a\x64"
                                                 "abc",
                                                 5),
                                     std::string("\x0c", 1), std::string("\xff\xff", 2)}) {
    for (const std::string method : {"GetClaim", "StreamEvents"}) {
      SCOPED_TRACE(method);
      const RawReply reply = RawCall(channel_, "/claims.v1.Claims/" + method, garbage, reviewer_);
      EXPECT_EQ(reply.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
      EXPECT_THAT(reply.status.error_message(), HasSubstr("the request is not a serialized"));
      EXPECT_EQ(DetailsOf(reply.status).info.reason(), "MALFORMED_REQUEST");
    }
  }
}

// Valid UTF-8 beyond ASCII is just text: the check must not refuse it.
TEST_P(HygieneE2eTest, ValidUtf8IsAccepted) {
  v1::GetClaimRequest request;
  request.set_name("partners/-/claims/\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
  const RawReply reply =
      RawCall(channel_, "/claims.v1.Claims/GetClaim", request.SerializeAsString(), reviewer_);
  EXPECT_NE(reply.status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_NE(DetailsOf(reply.status).info.reason(), "INVALID_UTF8");
  EXPECT_EQ(protobuf_log_lines.load(), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, HygieneE2eTest,
                         ::testing::Values(TestBackend::kSqlite, TestBackend::kMariaDb),
                         TestBackendName);

}  // namespace
}  // namespace claims::testing
