// Tenant isolation and request hygiene, end to end on SQLite and MariaDB: request ids never
// cross tenants and are no oracle, mixed identities act only where each role applies,
// duplicates in flight get the first answer, every bounded field refuses an oversize value
// with a short error, and a page of claims at their limits fits a default client.

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <barrier>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "claims/v1/workflow_service.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/api/request_limits.h"
#include "spdlog/sinks/ostream_sink.h"
#include "spdlog/spdlog.h"
#include "tests/e2e/e2e_fixture.h"

namespace claims::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

constexpr char kTenantOfClaims[] = "6f1c2a9e-0000-4000-8000-000000000001";

class TenantIsolationTest : public E2eFixture {
 protected:
  void Configure(config::ServerConfig& config) override { config.grpc.worker_threads = 8; }

  // A claim of `partner` in `state` (editing, or submitted with one PoE).
  v1::Claim ClaimOf(const std::string& partner, const std::string& state = "editing") {
    v1::Claim claim;
    EXPECT_OK(
        ToStatus(client_->Create(Partner(partner, "admin"), NewClaimRequest(partner), &claim)));
    if (state == "editing") return claim;
    v1::Evidence evidence;
    EXPECT_OK(ToStatus(client_->AddEvidence(Partner(partner, "admin"), claim.name(), "poe.pdf",
                                            "%PDF-1.7", &evidence)));
    EXPECT_OK(ToStatus(client_->Act(Partner(partner, "admin"), claim.name(), "submit", &claim)));
    return claim;
  }

  static absl::Status ToStatus(const grpc::Status& status) {
    return status.ok() ? absl::OkStatus()
                       : absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                                      status.error_message());
  }

  v1::UpdateClaimRequest ContactUpdate(const std::string& name, const std::string& request_id,
                                       const std::string& contact) {
    v1::UpdateClaimRequest request;
    request.mutable_claim()->set_name(name);
    request.mutable_claim()->mutable_partner_contact()->set_name(contact);
    request.mutable_update_mask()->add_paths("partner_contact");
    request.set_request_id(request_id);
    return request;
  }
};

// Finding 1: the same actor id in two partners, the same request id, the same request.
TEST_P(TenantIsolationTest, ARetriedRequestIdNeverCrossesTenants) {
  v1::Claim mine = ClaimOf("partner-a");
  v1::Claim updated;
  ASSERT_TRUE(
      client_
          ->Update(Partner("partner-a", "admin"), ContactUpdate(mine.name(), "X", "Ann"), &updated)
          .ok());
  // partner-b's admin sends the identical request: it names partner-a's claim, which partner-b
  // cannot see, so the answer is NOT_FOUND, exactly as for a claim that does not exist.
  v1::Claim leaked;
  grpc::Status crossed = client_->Update(Partner("partner-b", "admin"),
                                         ContactUpdate(mine.name(), "X", "Ann"), &leaked);
  EXPECT_THAT(crossed, HasCode(grpc::StatusCode::NOT_FOUND));
  EXPECT_THAT(leaked.name(), IsEmpty());
  // Also through the any-partner name, and for an action.
  std::string any = mine.name();
  any.replace(0, any.find("/claims/"), "partners/-");
  EXPECT_THAT(
      client_->Update(Partner("partner-b", "admin"), ContactUpdate(any, "X", "Ann"), &leaked),
      HasCode(grpc::StatusCode::NOT_FOUND));
  v1::PerformActionRequest withdraw;
  withdraw.set_name(mine.name());
  withdraw.set_action("withdraw");
  withdraw.set_request_id("W");
  ASSERT_TRUE(client_->Act(Partner("partner-a", "admin"), withdraw, &updated).ok());
  EXPECT_THAT(client_->Act(Partner("partner-b", "admin"), withdraw, &leaked),
              HasCode(grpc::StatusCode::NOT_FOUND));
  EXPECT_THAT(leaked.name(), IsEmpty());

  // CreateClaim with one request id in two partners makes two claims, one each.
  v1::CreateClaimRequest create_a = NewClaimRequest("partner-a");
  create_a.set_request_id("C");
  v1::CreateClaimRequest create_b = NewClaimRequest("partner-b");
  create_b.set_request_id("C");
  v1::Claim a, b;
  ASSERT_TRUE(client_->Create(Partner("partner-a", "admin"), create_a, &a).ok());
  ASSERT_TRUE(client_->Create(Partner("partner-b", "admin"), create_b, &b).ok());
  EXPECT_NE(a.name(), b.name());
  EXPECT_THAT(b.name(), HasSubstr("partners/partner-b/"));
}

// Finding 2: another tenant's request id reads as unused.
TEST_P(TenantIsolationTest, ARequestIdUsedByAnotherTenantIsIndistinguishableFromAnUnusedOne) {
  v1::Claim a_claim = ClaimOf("partner-a");
  v1::Claim b_claim = ClaimOf("partner-b");
  v1::Claim out;
  ASSERT_TRUE(client_
                  ->Update(Partner("partner-a", "admin"),
                           ContactUpdate(a_claim.name(), "shared-id", "Ann"), &out)
                  .ok());
  // partner-b uses the same id for a different request on its own claim: it is simply applied.
  ASSERT_TRUE(client_
                  ->Update(Partner("partner-b", "admin"),
                           ContactUpdate(b_claim.name(), "shared-id", "Bob"), &out)
                  .ok());
  EXPECT_EQ(out.partner_contact().name(), "Bob");
  // Within one tenant, reuse with another request is still refused.
  grpc::Status reused = client_->Update(Partner("partner-b", "admin"),
                                        ContactUpdate(b_claim.name(), "shared-id", "Eve"), &out);
  EXPECT_THAT(reused, HasCode(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(Details(reused).info.reason(), "REQUEST_ID_REUSED");
}

// Finding 3: a partner admin of partner-b who is also the customer on partner-a's claim.
TEST_P(TenantIsolationTest, MixedIdentitiesActOnlyWhereEachRoleApplies) {
  const Identity mixed{"admin", "billing_admin,customer", "partner-b", kTenantOfClaims};
  v1::Claim theirs = ClaimOf("partner-a", "submitted");
  v1::Claim out;
  // The customer role lets it see the claim, and only the customer's actions are offered.
  ASSERT_TRUE(client_->Get(mixed, theirs.name(), &out).ok());
  EXPECT_THAT(out.available_actions(), IsEmpty());
  // The partner role does not apply to another partner's claim.
  EXPECT_THAT(client_->Update(mixed, ContactUpdate(theirs.name(), "", "Mallory"), &out),
              Not(HasCode(grpc::StatusCode::OK)));
  v1::Evidence evidence;
  EXPECT_THAT(client_->AddEvidence(mixed, theirs.name(), "x.pdf", "%PDF", &evidence),
              HasCode(grpc::StatusCode::PERMISSION_DENIED));
  grpc::Status withdraw = client_->Act(mixed, theirs.name(), "withdraw", &out);
  EXPECT_THAT(withdraw, HasCode(grpc::StatusCode::PERMISSION_DENIED));
  EXPECT_EQ(Details(withdraw).info.reason(), "ROLE_NOT_ALLOWED");
  ASSERT_TRUE(client_->Get(Reviewer(), theirs.name(), &out).ok());
  EXPECT_EQ(out.state(), "submitted");
  EXPECT_EQ(out.partner_contact().name(), "Pat");
  EXPECT_EQ(out.evidence_count(), 1);

  // As that claim's customer it may deny consent once the claim is approved.
  ASSERT_TRUE(client_->Act(Reviewer(), theirs.name(), "start_review", &out).ok());
  ASSERT_TRUE(client_->Act(Reviewer(), theirs.name(), "approve", &out).ok());
  ASSERT_TRUE(client_->Get(mixed, theirs.name(), &out).ok());
  EXPECT_THAT(out.available_actions(), ElementsAre("deny_consent"));
  ASSERT_TRUE(client_->Act(mixed, theirs.name(), "deny_consent", &out).ok());
  EXPECT_EQ(out.state(), "rejected");

  // On its own partner's claims the partner role acts as usual, and the list holds only those.
  v1::Claim own = ClaimOf("partner-b");
  v1::Claim edited;
  ASSERT_TRUE(client_->Update(mixed, ContactUpdate(own.name(), "", "Bea"), &edited).ok());
  EXPECT_EQ(edited.partner_contact().name(), "Bea");
  v1::ListClaimsRequest list;
  list.set_parent("partners/-");
  v1::ListClaimsResponse listed;
  ASSERT_TRUE(client_->List(mixed, list, &listed).ok());
  ASSERT_EQ(listed.claims_size(), 1);
  EXPECT_EQ(listed.claims(0).name(), own.name());
}

// Finding 4: 16 identical submits at the same instant, over 100 claims: one applied, and all 16
// callers get the same first answer, byte for byte.
TEST_P(TenantIsolationTest, DuplicatesInFlightAllGetTheFirstAnswer) {
  constexpr int kClaims = 100;
  constexpr std::size_t kDuplicates = 16;
  std::vector<std::string> names;
  for (int i = 0; i < kClaims; ++i) names.push_back(ClaimOf("partner-a").name());
  for (const std::string& name : names) {
    v1::Evidence evidence;
    ASSERT_TRUE(
        client_->AddEvidence(Partner("partner-a", "admin"), name, "poe.pdf", "%PDF", &evidence)
            .ok());
  }
  int mismatched = 0;
  for (const std::string& name : names) {
    std::vector<std::string> answers(kDuplicates);
    std::vector<grpc::Status> statuses(kDuplicates);
    std::barrier start(static_cast<std::ptrdiff_t>(kDuplicates));
    std::vector<std::thread> threads;
    for (std::size_t d = 0; d < kDuplicates; ++d) {
      threads.emplace_back([&, d] {
        v1::PerformActionRequest request;
        request.set_name(name);
        request.set_action("submit");
        request.set_request_id("submit-" + name);
        v1::Claim claim;
        start.arrive_and_wait();
        statuses[d] = client_->Act(Partner("partner-a", "admin"), request, &claim);
        answers[d] = claim.SerializeAsString();
      });
    }
    for (std::thread& t : threads) t.join();
    for (std::size_t d = 0; d < kDuplicates; ++d) {
      if (!statuses[d].ok() || answers[d] != answers[0]) ++mismatched;
    }
    EXPECT_TRUE(statuses[0].ok()) << name << ": " << statuses[0].error_message();
  }
  EXPECT_EQ(mismatched, 0) << "of " << kClaims * static_cast<int>(kDuplicates) << " calls";
  // And submit was applied once on every claim.
  for (const std::string& name : names) {
    v1::ClaimHistory history;
    ASSERT_TRUE(client_->History(Reviewer(), name, &history).ok());
    int submits = 0;
    for (const auto& entry : history.entries()) submits += entry.name() == "submit" ? 1 : 0;
    ASSERT_EQ(submits, 1) << name;
  }
}

// Finding 7: every bounded field refuses a value over its limit before any work, naming the
// field and the limit and quoting at most a short prefix, so the answer stays small.
TEST_P(TenantIsolationTest, EveryBoundedFieldRefusesAnOversizeValueWithAShortError) {
  v1::Claim claim = ClaimOf("partner-a");
  // Each request message, made valid enough to reach the limits check, and the method it goes to.
  struct Case {
    std::string method;
    std::unique_ptr<google::protobuf::Message> request;
  };
  std::vector<Case> cases;
  auto add = [&](std::string method, std::unique_ptr<google::protobuf::Message> request) {
    cases.push_back({std::move(method), std::move(request)});
  };
  {
    auto r = std::make_unique<v1::CreateClaimRequest>(NewClaimRequest("partner-a"));
    add("CreateClaim", std::move(r));
    auto get = std::make_unique<v1::GetClaimRequest>();
    get->set_name(claim.name());
    add("GetClaim", std::move(get));
    auto list = std::make_unique<v1::ListClaimsRequest>();
    list->set_parent("partners/partner-a");
    add("ListClaims", std::move(list));
    auto update = std::make_unique<v1::UpdateClaimRequest>(ContactUpdate(claim.name(), "r", "Ann"));
    add("UpdateClaim", std::move(update));
    auto act = std::make_unique<v1::PerformActionRequest>();
    act->set_name(claim.name());
    act->set_action("withdraw");
    add("PerformAction", std::move(act));
    auto comment = std::make_unique<v1::AddCommentRequest>();
    comment->set_parent(claim.name());
    comment->mutable_comment()->set_text("hello");
    add("AddComment", std::move(comment));
    auto evidence = std::make_unique<v1::AddEvidenceRequest>();
    evidence->set_parent(claim.name());
    evidence->mutable_evidence()->set_file_name("poe.pdf");
    evidence->mutable_evidence()->set_content("%PDF");
    add("AddEvidence", std::move(evidence));
    auto history = std::make_unique<v1::GetClaimHistoryRequest>();
    history->set_name(claim.name());
    add("GetClaimHistory", std::move(history));
    // The other services share the same checks.
    auto get_workflow = std::make_unique<v1::GetWorkflowRequest>();
    get_workflow->set_name("workflows/cpor-association");
    add("/claims.v1.Workflows/GetWorkflow", std::move(get_workflow));
    auto validate = std::make_unique<v1::ValidateWorkflowRequest>();
    validate->set_source("name: x\n");
    add("/claims.v1.Workflows/ValidateWorkflow", std::move(validate));
    auto render = std::make_unique<v1::RenderGraphRequest>();
    render->set_name("workflows/cpor-association");
    add("/claims.v1.Workflows/RenderGraph", std::move(render));
  }

  grpc::GenericStub stub(channel_);
  auto call = [&](const std::string& method, const google::protobuf::Message& request,
                  grpc::Status* status) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    context.AddMetadata("x-claims-actor", "admin");
    context.AddMetadata("x-claims-roles", "billing_admin");
    context.AddMetadata("x-claims-partner", "partner-a");
    std::string bytes = request.SerializeAsString();
    grpc::Slice slice(bytes);
    grpc::ByteBuffer buffer(&slice, 1);
    grpc::ByteBuffer response;
    grpc::CompletionQueue queue;
    const std::string path = method.starts_with("/") ? method : "/claims.v1.Claims/" + method;
    auto rpc = stub.PrepareUnaryCall(&context, path, buffer, &queue);
    rpc->StartCall();
    rpc->Finish(&response, status, reinterpret_cast<void*>(1));
    void* tag = nullptr;
    bool ok = false;
    queue.Next(&tag, &ok);
  };

  // For each case, every string field and every repeated field the request can carry, one at a
  // time: a string one byte over its limit (or a list one item over).
  int checked = 0;
  std::function<void(const Case&, google::protobuf::Message*, const std::string&,
                     google::protobuf::Message*)>
      visit = [&](const Case& c, google::protobuf::Message* root, const std::string& prefix,
                  google::protobuf::Message* message) {
        const auto* descriptor = message->GetDescriptor();
        const auto* reflection = message->GetReflection();
        for (int i = 0; i < descriptor->field_count(); ++i) {
          const auto* field = descriptor->field(i);
          const std::string path =
              prefix.empty() ? field->name() : absl::StrCat(prefix, ".", field->name());
          const server::FieldLimit* limit = nullptr;
          for (const auto& l : server::RequestFieldLimits()) {
            if (l.field == field->full_name()) limit = &l;
          }
          if (field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE &&
              !field->is_repeated()) {
            if (field->message_type()->full_name() == "google.protobuf.Timestamp") continue;
            visit(c, root, path, reflection->MutableMessage(message, field));
            continue;
          }
          if (limit == nullptr) continue;
          std::unique_ptr<google::protobuf::Message> saved(message->New());
          saved->CopyFrom(*message);
          std::string expected = path;
          if (field->is_repeated() &&
              field->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_STRING) {
            for (int n = 0; n <= limit->max_items; ++n) reflection->AddMessage(message, field);
          } else if (field->is_repeated()) {
            for (int n = 0; n <= limit->max_items; ++n) reflection->AddString(message, field, "x");
          } else {
            const int64_t max =
                limit->max_bytes == server::kConfiguredBytes ? 1024 * 1024 : limit->max_bytes;
            reflection->SetString(message, field, std::string(static_cast<size_t>(max) + 1, 'v'));
          }
          grpc::Status status;
          call(c.method, *root, &status);
          EXPECT_THAT(status, HasCode(grpc::StatusCode::INVALID_ARGUMENT))
              << c.method << " " << path;
          ErrorDetails details = Details(status);
          ASSERT_GE(details.bad_request.field_violations_size(), 1) << c.method << " " << path;
          EXPECT_EQ(details.bad_request.field_violations(0).field(), expected)
              << c.method << " " << path;
          EXPECT_THAT(details.info.reason(), ::testing::AnyOf("FIELD_TOO_LONG", "TOO_MANY_ITEMS"));
          // Short, whatever the size of what was refused.
          EXPECT_LT(status.error_message().size() + status.error_details().size(), 1000u)
              << c.method << " " << path;
          message->CopyFrom(*saved);
          ++checked;
        }
      };
  for (Case& c : cases) visit(c, c.request.get(), "", c.request.get());
  EXPECT_GT(checked, 60);

  // The event stream's filter is bounded too.
  {
    auto events = v1::Claims::NewStub(channel_);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    context.AddMetadata("x-claims-actor", "rita");
    context.AddMetadata("x-claims-roles", "reviewer");
    v1::StreamEventsRequest stream;
    for (int i = 0; i < 33; ++i) stream.add_types("rejection_notice");
    auto reader = events->StreamEvents(&context, stream);
    v1::Event event;
    EXPECT_FALSE(reader->Read(&event));
    grpc::Status status = reader->Finish();
    EXPECT_THAT(status, HasCode(grpc::StatusCode::INVALID_ARGUMENT));
    EXPECT_EQ(Details(status).bad_request.field_violations(0).field(), "types");
  }

  // A value far over the limit costs the caller no more than one slightly over: the quoted
  // prefix is short, and a default client can read the error.
  v1::CreateClaimRequest huge = NewClaimRequest("partner-a");
  huge.mutable_claim()->set_mpn_id(std::string(1 << 20, '7'));
  v1::Claim out;
  grpc::Status refused = client_->Create(Partner("partner-a", "admin"), huge, &out);
  EXPECT_THAT(refused, HasCode(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_LT(refused.error_message().size() + refused.error_details().size(), 1000u);
  EXPECT_THAT(refused.error_message(), HasSubstr("claim.mpn_id"));
  EXPECT_THAT(refused.error_message(), HasSubstr("at most 32"));
}

// Claims whose every field is at its limit still come back in full pages that a client with
// gRPC's default 4 MiB receive limit can read.
TEST_P(TenantIsolationTest, APageOfClaimsAtTheirLimitsFitsADefaultClient) {
  constexpr int kClaims = 520;
  v1::CreateClaimRequest request = NewClaimRequest("partner-a");
  v1::Claim* draft = request.mutable_claim();
  draft->set_mpn_id(std::string(32, '1'));
  draft->mutable_customer()->set_name(std::string(256, 'n'));
  for (v1::Contact* contact :
       {draft->mutable_customer_contact(), draft->mutable_partner_contact()}) {
    contact->set_name(std::string(256, 'c'));
    contact->set_email(std::string(310, 'e') + "@x.example");
    contact->set_phone(std::string(64, '5'));
  }
  for (int i = 0; i < kClaims; ++i) {
    v1::Claim claim;
    ASSERT_TRUE(client_->Create(Partner("partner-a", "admin"), request, &claim).ok()) << i;
  }
  // A fresh channel with gRPC's defaults: at most 4 MiB received.
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                                     grpc::InsecureChannelCredentials());
  ClaimsClient reader(channel);
  v1::ListClaimsRequest list;
  list.set_parent("partners/-");
  list.set_page_size(500);
  std::set<std::string> seen;
  for (int page = 0; page < 10; ++page) {
    v1::ListClaimsResponse response;
    grpc::Status status = reader.List(Reviewer(), list, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_LE(response.ByteSizeLong(), server::kMaxListPageBytes);
    for (const auto& claim : response.claims()) EXPECT_TRUE(seen.insert(claim.name()).second);
    if (response.next_page_token().empty()) break;
    list.set_page_token(response.next_page_token());
  }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kClaims));
}

// Finding 10: a timer firing is logged after its transaction commits, never for one rolled back.
TEST_P(TenantIsolationTest, TimerFiringsAreLoggedOnlyOnceCommitted) {
  std::ostringstream log;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
  v1::Claim claim = ClaimOf("partner-a", "submitted");
  // Past the five business days in which review must start.
  clock_->Advance(absl::Hours(24 * 9));
  storage::SetWriteHookForTest(server_->repository(), [](std::string_view step) {
    return step == "history" ? absl::InternalError("disk full") : absl::OkStatus();
  });
  EXPECT_FALSE(server_->scheduler().RunOnce().ok());
  EXPECT_THAT(log.str(), Not(HasSubstr("fired for claim")));
  storage::SetWriteHookForTest(server_->repository(), nullptr);
  ASSERT_OK_AND_ASSIGN(int fired, server_->scheduler().RunOnce());
  EXPECT_GE(fired, 1);
  spdlog::set_default_logger(previous);
  EXPECT_THAT(log.str(),
              HasSubstr("fired for claim " + claim.name().substr(claim.name().rfind('/') + 1)));
}

INSTANTIATE_TEST_SUITE_P(Backends, TenantIsolationTest,
                         ::testing::Values(Backend::kSqlite, Backend::kMariaDb), BackendName);

}  // namespace
}  // namespace claims::testing
