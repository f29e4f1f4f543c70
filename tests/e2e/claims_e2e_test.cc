// End to end: claimsd in-process on a loopback port, called through the generated client, on
// SQLite and on MariaDB. Each test is a scenario from the CPOR reference.

#include <arpa/inet.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "server/claims_server.h"
#include "tests/e2e/claims_client.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/testing/source_dir.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_databases.h"

namespace claims::testing {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

class ClaimsE2eTest : public E2eFixture {};

TEST_P(ClaimsE2eTest, AnswersHealthAndReflection) {
  grpc::GenericStub stub(channel_);
  grpc::CompletionQueue queue;
  auto unary = [&](const std::string& method, const std::string& request_bytes,
                   std::string* response_bytes) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::Slice slice(request_bytes);
    grpc::ByteBuffer request(&slice, 1);
    auto call = stub.PrepareUnaryCall(&context, method, request, &queue);
    call->StartCall();
    grpc::ByteBuffer response;
    grpc::Status status;
    call->Finish(&response, &status, reinterpret_cast<void*>(1));
    void* tag = nullptr;
    bool ok = false;
    EXPECT_TRUE(queue.Next(&tag, &ok));
    std::vector<grpc::Slice> slices;
    if (status.ok()) {
      EXPECT_TRUE(response.Dump(&slices).ok());
      for (const auto& s : slices) {
        response_bytes->append(reinterpret_cast<const char*>(s.begin()), s.size());
      }
    }
    return status;
  };
  // grpc.health.v1.HealthCheckRequest{service} -> HealthCheckResponse{status: SERVING = 1}.
  std::string response;
  ASSERT_TRUE(unary("/grpc.health.v1.Health/Check", "", &response).ok());
  EXPECT_EQ(response, std::string("\x08\x01", 2));
  response.clear();
  const std::string service = "claims.v1.Claims";
  ASSERT_TRUE(unary("/grpc.health.v1.Health/Check",
                    std::string("\x0a") + static_cast<char>(service.size()) + service, &response)
                  .ok());
  EXPECT_EQ(response, std::string("\x08\x01", 2));

  // ServerReflectionRequest{list_services: ""} on the v1alpha stream lists our service.
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto stream = stub.PrepareCall(
      &context, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &queue);
  void* tag = nullptr;
  bool ok = false;
  stream->StartCall(reinterpret_cast<void*>(2));
  ASSERT_TRUE(queue.Next(&tag, &ok) && ok);
  grpc::Slice request_slice(std::string("\x3a\x00", 2));
  grpc::ByteBuffer request(&request_slice, 1);
  stream->WriteLast(request, grpc::WriteOptions(), reinterpret_cast<void*>(3));
  ASSERT_TRUE(queue.Next(&tag, &ok) && ok);
  grpc::ByteBuffer reply;
  stream->Read(&reply, reinterpret_cast<void*>(4));
  ASSERT_TRUE(queue.Next(&tag, &ok) && ok);
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(reply.Dump(&slices).ok());
  std::string reflection;
  for (const auto& s : slices)
    reflection.append(reinterpret_cast<const char*>(s.begin()), s.size());
  EXPECT_THAT(reflection, HasSubstr("claims.v1.Claims"));
  grpc::Status status;
  stream->Finish(&status, reinterpret_cast<void*>(5));
  ASSERT_TRUE(queue.Next(&tag, &ok));
}

TEST_P(ClaimsE2eTest, CreatesAClaimInEditingAndReadsItBack) {
  v1::Claim created;
  ASSERT_TRUE(client_->Create(Partner("contoso"), NewClaimRequest(), &created).ok());
  EXPECT_THAT(created.name(), HasSubstr("partners/contoso/claims/"));
  EXPECT_EQ(created.state(), "editing");
  EXPECT_EQ(created.workflow(), "cpor-association");
  // Submitting needs proof of execution first, so it is not yet on offer.
  EXPECT_THAT(created.available_actions(), Contains("withdraw"));
  EXPECT_THAT(created.available_actions(), Not(Contains("submit")));
  EXPECT_FALSE(created.etag().empty());

  v1::Claim read;
  ASSERT_TRUE(client_->Get(Partner("contoso"), created.name(), &read).ok());
  EXPECT_EQ(read.name(), created.name());
  EXPECT_EQ(read.mpn_id(), "1234567");
  EXPECT_EQ(read.customer().name(), "Fabrikam");
  EXPECT_THAT(read.products(), ElementsAre("dynamics_365_sales"));
  EXPECT_EQ(read.etag(), created.etag());
}

TEST_P(ClaimsE2eTest, AnotherPartnersClaimIsNotFound) {
  v1::Claim created = ClaimIn("editing");
  v1::Claim read;
  grpc::Status status = client_->Get(Partner("northwind"), created.name(), &read);
  EXPECT_THAT(status, HasCode(grpc::StatusCode::NOT_FOUND));
  const std::string other_name =
      "partners/northwind/claims/" + created.name().substr(created.name().rfind('/') + 1);
  EXPECT_THAT(client_->Get(Partner("northwind"), other_name, &read),
              HasCode(grpc::StatusCode::NOT_FOUND));
  EXPECT_THAT(client_->Act(Partner("northwind"), created.name(), "submit", &read),
              HasCode(grpc::StatusCode::NOT_FOUND));
}

TEST_P(ClaimsE2eTest, MissingIdentityIsUnauthenticated) {
  v1::Claim claim;
  EXPECT_THAT(client_->Create(Identity{}, NewClaimRequest(), &claim),
              HasCode(grpc::StatusCode::UNAUTHENTICATED));
  EXPECT_THAT(client_->Create(Identity{"pat", "billing_admin", "", ""}, NewClaimRequest(), &claim),
              HasCode(grpc::StatusCode::UNAUTHENTICATED));
}

TEST_P(ClaimsE2eTest, InvalidClaimFieldsAreRejectedWithFieldViolations) {
  v1::CreateClaimRequest request = NewClaimRequest();
  request.mutable_claim()->clear_mpn_id();
  request.mutable_claim()->add_products("not_a_product");
  v1::Claim claim;
  grpc::Status status = client_->Create(Partner("contoso"), request, &claim);
  ASSERT_THAT(status, HasCode(grpc::StatusCode::INVALID_ARGUMENT));
  ErrorDetails details = Details(status);
  std::vector<std::string> fields;
  for (const auto& violation : details.bad_request.field_violations()) {
    fields.push_back(violation.field());
  }
  EXPECT_THAT(fields, Contains(HasSubstr("mpn_id")));
  EXPECT_THAT(fields, Contains(HasSubstr("products")));
  EXPECT_EQ(details.info.domain(), "claims.v1");
}

TEST_P(ClaimsE2eTest, SubmitNeedsProofOfExecution) {
  v1::Claim claim = ClaimIn("editing");
  grpc::Status status = client_->Act(Partner("contoso"), claim.name(), "submit", &claim);
  ASSERT_THAT(status, HasCode(grpc::StatusCode::FAILED_PRECONDITION));
  ErrorDetails details = Details(status);
  EXPECT_EQ(details.info.reason(), "GUARD_FAILED");
  ASSERT_EQ(details.precondition.violations_size(), 1);
  EXPECT_EQ(details.precondition.violations(0).type(), "GUARD");

  v1::Evidence evidence;
  ASSERT_TRUE(
      client_->AddEvidence(Partner("contoso"), claim.name(), "poe.pdf", "%PDF-1.7", &evidence)
          .ok());
  EXPECT_EQ(evidence.size_bytes(), 8);
  EXPECT_EQ(evidence.sha256().size(), 64u);
  ASSERT_TRUE(client_->Get(Partner("contoso"), claim.name(), &claim).ok());
  EXPECT_THAT(claim.available_actions(), Contains("submit"));
  ASSERT_TRUE(client_->Act(Partner("contoso"), claim.name(), "submit", &claim).ok());
  EXPECT_EQ(claim.state(), "submitted");
  EXPECT_EQ(claim.evidence_count(), 1);
}

TEST_P(ClaimsE2eTest, PartnerCannotStartReviewAndIsToldWhatItCanDo) {
  v1::Claim claim = ClaimIn("submitted");
  grpc::Status status = client_->Act(Partner("contoso"), claim.name(), "start_review", &claim);
  ASSERT_THAT(status, HasCode(grpc::StatusCode::PERMISSION_DENIED));
  ErrorDetails details = Details(status);
  EXPECT_EQ(details.info.reason(), "ROLE_NOT_ALLOWED");
  EXPECT_THAT(details.info.metadata().at("available_actions"), HasSubstr("withdraw"));

  ASSERT_TRUE(client_->Act(Reviewer(), claim.name(), "start_review", &claim).ok());
  EXPECT_EQ(claim.state(), "under_review");
}

TEST_P(ClaimsE2eTest, ActionNotAvailableInStateIsFailedPrecondition) {
  v1::Claim claim = ClaimIn("editing");
  grpc::Status status = client_->Act(Reviewer(), claim.name(), "approve", &claim);
  ASSERT_THAT(status, HasCode(grpc::StatusCode::FAILED_PRECONDITION));
  EXPECT_EQ(Details(status).info.reason(), "ACTION_NOT_AVAILABLE");
  status = client_->Act(Reviewer(), claim.name(), "teleport", &claim);
  ASSERT_THAT(status, HasCode(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(Details(status).info.reason(), "UNKNOWN_ACTION");
}

TEST_P(ClaimsE2eTest, RequestInfoNeedsReasonAndComment) {
  v1::Claim claim = ClaimIn("under_review");
  grpc::Status status = client_->Act(Reviewer(), claim.name(), "request_info", &claim);
  ASSERT_THAT(status, HasCode(grpc::StatusCode::INVALID_ARGUMENT));
  std::vector<std::string> fields;
  const ErrorDetails details = Details(status);
  for (const auto& v : details.bad_request.field_violations()) fields.push_back(v.field());
  EXPECT_THAT(fields, Contains("reasons"));
  EXPECT_THAT(fields, Contains("comment"));

  ASSERT_TRUE(client_
                  ->Act(Reviewer(), claim.name(), "request_info", &claim, {"missing_or_old_dates"},
                        "The PoE is dated 2019")
                  .ok());
  EXPECT_EQ(claim.state(), "partner_action_required");
  ASSERT_TRUE(client_->Act(Partner("contoso"), claim.name(), "resubmit", &claim).ok());
  EXPECT_EQ(claim.state(), "under_review");
}

TEST_P(ClaimsE2eTest, RepeatedRequestIdReturnsTheFirstAnswer) {
  v1::CreateClaimRequest request = NewClaimRequest();
  request.set_request_id("create-1");
  v1::Claim first;
  v1::Claim second;
  ASSERT_TRUE(client_->Create(Partner("contoso"), request, &first).ok());
  ASSERT_TRUE(client_->Create(Partner("contoso"), request, &second).ok());
  EXPECT_EQ(first.name(), second.name());
  v1::ListClaimsRequest list;
  list.set_parent("partners/contoso");
  v1::ListClaimsResponse listed;
  ASSERT_TRUE(client_->List(Partner("contoso"), list, &listed).ok());
  EXPECT_EQ(listed.claims_size(), 1);

  request.mutable_claim()->set_mpn_id("7654321");
  grpc::Status status = client_->Create(Partner("contoso"), request, &second);
  ASSERT_THAT(status, HasCode(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(Details(status).info.reason(), "REQUEST_ID_REUSED");

  v1::Evidence evidence;
  ASSERT_TRUE(
      client_->AddEvidence(Partner("contoso"), first.name(), "poe.pdf", "%PDF", &evidence).ok());
  v1::PerformActionRequest submit;
  submit.set_name(first.name());
  submit.set_action("submit");
  submit.set_request_id("submit-1");
  v1::Claim submitted;
  v1::Claim again;
  ASSERT_TRUE(client_->Act(Partner("contoso"), submit, &submitted).ok());
  ASSERT_TRUE(client_->Act(Partner("contoso"), submit, &again).ok());
  EXPECT_EQ(again.etag(), submitted.etag());
  EXPECT_EQ(again.state(), "submitted");
}

TEST_P(ClaimsE2eTest, StaleEtagIsAborted) {
  v1::Claim claim = ClaimIn("submitted");
  const std::string old_etag = claim.etag();
  v1::Claim reviewed;
  ASSERT_TRUE(client_->Act(Reviewer(), claim.name(), "start_review", &reviewed).ok());
  v1::PerformActionRequest approve;
  approve.set_name(claim.name());
  approve.set_action("approve");
  approve.set_etag(old_etag);
  grpc::Status status = client_->Act(Reviewer(), approve, &claim);
  ASSERT_THAT(status, HasCode(grpc::StatusCode::ABORTED));
  EXPECT_EQ(Details(status).info.reason(), "ETAG_MISMATCH");
  approve.set_etag(reviewed.etag());
  ASSERT_TRUE(client_->Act(Reviewer(), approve, &claim).ok());
  EXPECT_EQ(claim.state(), "approved");
}

TEST_P(ClaimsE2eTest, EditsFollowTheStateRules) {
  v1::Claim claim = ClaimIn("submitted");
  v1::UpdateClaimRequest update;
  update.mutable_claim()->set_name(claim.name());
  update.mutable_claim()->set_mpn_id("7777777");
  update.mutable_claim()->add_products("power_apps");
  update.mutable_update_mask()->add_paths("mpn_id");
  update.mutable_update_mask()->add_paths("products");
  ASSERT_TRUE(client_->Update(Partner("contoso"), update, &claim).ok());
  EXPECT_EQ(claim.mpn_id(), "7777777");
  EXPECT_THAT(claim.products(), ElementsAre("power_apps"));

  // The customer is not among the fields a partner may change once submitted.
  v1::UpdateClaimRequest customer;
  customer.mutable_claim()->set_name(claim.name());
  customer.mutable_claim()->mutable_customer()->set_name("Someone else");
  customer.mutable_update_mask()->add_paths("customer");
  EXPECT_THAT(client_->Update(Partner("contoso"), customer, &claim),
              HasCode(grpc::StatusCode::FAILED_PRECONDITION));

  ASSERT_TRUE(client_->Act(Reviewer(), claim.name(), "start_review", &claim).ok());
  grpc::Status status = client_->Update(Partner("contoso"), update, &claim);
  ASSERT_THAT(status, HasCode(grpc::StatusCode::FAILED_PRECONDITION));
  EXPECT_EQ(Details(status).info.reason(), "FIELD_NOT_EDITABLE");
}

TEST_P(ClaimsE2eTest, DisputeWithinThirtyDaysOnlyOnce) {
  v1::Claim claim = ClaimIn("rejected");
  EXPECT_EQ(claim.state(), "rejected");
  clock_->Advance(absl::Hours(24 * 10));
  ASSERT_TRUE(client_
                  ->Act(Partner("contoso"), claim.name(), "dispute", &claim, {},
                        "The customer signed on page 2")
                  .ok());
  EXPECT_EQ(claim.state(), "dispute_review");
  ASSERT_TRUE(client_
                  ->Act(Reviewer(), claim.name(), "uphold", &claim, {},
                        "The signature is not the customer's")
                  .ok());
  EXPECT_EQ(claim.state(), "rejected");
  // The partner's notice of the upheld rejection says why, though uphold takes no reasons.
  // Six events so far: created, submitted, rejection notice, dispute opened, upheld, notice.
  std::vector<v1::Event> notices;
  for (const v1::Event& event : ReadEvents(Partner("contoso"), 0, 6)) {
    if (event.claim() == claim.name() && event.type() == "rejection_notice") {
      notices.push_back(event);
    }
  }
  ASSERT_EQ(notices.size(), 2u);
  EXPECT_EQ(notices[1].attributes().at("action"), "uphold");
  EXPECT_EQ(notices[1].attributes().at("reasons"), "insufficient_poe");
  // The first notice said until when the rejection could be disputed; the final one cannot be.
  absl::Time deadline;
  std::string error;
  ASSERT_TRUE(absl::ParseTime(absl::RFC3339_full, notices[0].attributes().at("dispute_deadline"),
                              &deadline, &error))
      << error;
  // Thirty days of Pacific time from 2 March: 8 March is 23 hours long.
  EXPECT_EQ(deadline - absl::FromUnixSeconds(notices[0].time().seconds()),
            absl::Hours(24 * 30 - 1));
  EXPECT_FALSE(notices[1].attributes().contains("dispute_deadline"));
  grpc::Status status =
      client_->Act(Partner("contoso"), claim.name(), "dispute", &claim, {}, "Please look again");
  ASSERT_THAT(status, HasCode(grpc::StatusCode::FAILED_PRECONDITION));
  EXPECT_EQ(Details(status).info.reason(), "GUARD_FAILED");
}

TEST_P(ClaimsE2eTest, DisputeAfterThirtyDaysIsRefused) {
  v1::Claim claim = ClaimIn("rejected");
  clock_->Advance(absl::Hours(24 * 31));
  grpc::Status status =
      client_->Act(Partner("contoso"), claim.name(), "dispute", &claim, {}, "Late");
  ASSERT_THAT(status, HasCode(grpc::StatusCode::FAILED_PRECONDITION));
  EXPECT_EQ(Details(status).info.reason(), "GUARD_FAILED");
  EXPECT_THAT(status.error_message(), HasSubstr("new"));
}

TEST_P(ClaimsE2eTest, NoPartnerResponseRejectsAfterFiveBusinessDays) {
  v1::Claim claim = ClaimIn("partner_action_required");
  clock_->Advance(absl::Hours(24 * 3));
  ASSERT_OK_AND_ASSIGN(int fired, server_->scheduler().RunOnce());
  ASSERT_TRUE(client_->Get(Partner("contoso"), claim.name(), &claim).ok());
  EXPECT_EQ(claim.state(), "partner_action_required");

  clock_->Advance(absl::Hours(24 * 6));
  ASSERT_OK_AND_ASSIGN(fired, server_->scheduler().RunOnce());
  EXPECT_GE(fired, 1);
  ASSERT_TRUE(client_->Get(Partner("contoso"), claim.name(), &claim).ok());
  EXPECT_EQ(claim.state(), "rejected");
  v1::ClaimHistory history;
  ASSERT_TRUE(client_->History(Reviewer(), claim.name(), &history).ok());
  bool saw_auto_reject = false;
  for (const auto& entry : history.entries()) {
    if (entry.to_state() == "rejected") {
      EXPECT_THAT(entry.reasons(), Contains("no_partner_response"));
      EXPECT_EQ(entry.perspective(), v1::PERSPECTIVE_SYSTEM);
      saw_auto_reject = true;
    }
  }
  EXPECT_TRUE(saw_auto_reject);
  // A second sweep finds nothing left to fire.
  ASSERT_OK_AND_ASSIGN(fired, server_->scheduler().RunOnce());
  EXPECT_EQ(fired, 0);
}

TEST_P(ClaimsE2eTest, ConsentPeriodEndsInIncentiveAssessment) {
  v1::Claim claim = ClaimIn("approved");
  clock_->Advance(absl::Hours(24 * 6));
  ASSERT_OK(server_->scheduler().RunOnce().status());
  ASSERT_TRUE(client_->Get(Partner("contoso"), claim.name(), &claim).ok());
  EXPECT_EQ(claim.state(), "approved");
  clock_->Advance(absl::Hours(24 * 2));
  ASSERT_OK(server_->scheduler().RunOnce().status());
  ASSERT_TRUE(client_->Get(Partner("contoso"), claim.name(), &claim).ok());
  EXPECT_EQ(claim.state(), "incentive_assessment");
  EXPECT_THAT(claim.available_actions(), IsEmpty());
}

TEST_P(ClaimsE2eTest, CustomerMayDenyConsent) {
  v1::Claim claim = ClaimIn("approved");
  Identity customer = Customer("6f1c2a9e-0000-4000-8000-000000000001");
  ASSERT_TRUE(client_->Act(customer, claim.name(), "deny_consent", &claim).ok());
  EXPECT_EQ(claim.state(), "rejected");
  v1::ClaimHistory history;
  ASSERT_TRUE(client_->History(Reviewer(), claim.name(), &history).ok());
  EXPECT_THAT(history.entries().rbegin()->reasons(), Contains("customer_decline"));
  // Another customer's tenant cannot see the claim at all.
  EXPECT_THAT(client_->Get(Customer("00000000-0000-4000-8000-000000000099"), claim.name(), &claim),
              HasCode(grpc::StatusCode::NOT_FOUND));
}

TEST_P(ClaimsE2eTest, ReviewSlaBreachIsFlagged) {
  v1::Claim claim = ClaimIn("submitted");
  clock_->Advance(absl::Hours(24 * 8));
  ASSERT_OK(server_->scheduler().RunOnce().status());
  ASSERT_TRUE(client_->Get(Reviewer(), claim.name(), &claim).ok());
  EXPECT_EQ(claim.state(), "submitted");
  EXPECT_EQ(claim.sla_status(), v1::SLA_STATUS_BREACHED);

  v1::ListClaimsRequest list;
  list.set_parent("partners/-");
  list.set_sla_breached(true);
  v1::ListClaimsResponse listed;
  ASSERT_TRUE(client_->List(Reviewer(), list, &listed).ok());
  ASSERT_EQ(listed.claims_size(), 1);
  EXPECT_EQ(listed.claims(0).name(), claim.name());
}

TEST_P(ClaimsE2eTest, InternalCommentsAreHiddenFromPartners) {
  v1::Claim claim = ClaimIn("under_review");
  v1::Comment comment;
  ASSERT_TRUE(client_
                  ->AddComment(Reviewer(), claim.name(), "Looks forged to me",
                               v1::Comment::INTERNAL, &comment)
                  .ok());
  ASSERT_TRUE(client_
                  ->AddComment(Reviewer(), claim.name(), "Could you add the SOW?",
                               v1::Comment::PUBLIC, &comment)
                  .ok());
  EXPECT_THAT(client_->AddComment(Partner("contoso"), claim.name(), "Sneaky", v1::Comment::INTERNAL,
                                  &comment),
              HasCode(grpc::StatusCode::PERMISSION_DENIED));

  v1::ClaimHistory partner_view;
  ASSERT_TRUE(client_->History(Partner("contoso"), claim.name(), &partner_view).ok());
  std::vector<std::string> texts;
  for (const auto& c : partner_view.comments()) texts.push_back(c.text());
  EXPECT_THAT(texts, ElementsAre("Could you add the SOW?"));
  for (const auto& entry : partner_view.entries()) {
    EXPECT_THAT(entry.comment(), Not(HasSubstr("forged")));
  }
  v1::ClaimHistory reviewer_view;
  ASSERT_TRUE(client_->History(Reviewer(), claim.name(), &reviewer_view).ok());
  EXPECT_EQ(reviewer_view.comments_size(), 2);
  EXPECT_GE(reviewer_view.entries_size(), 5);
}

TEST_P(ClaimsE2eTest, HistoryPagesThroughEveryEntryOnceAsEachCallerSeesIt) {
  v1::Claim claim = ClaimIn("under_review");
  v1::Comment comment;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(client_
                    ->AddComment(Reviewer(), claim.name(), absl::StrCat("forged? ", i),
                                 v1::Comment::INTERNAL, &comment)
                    .ok());
    ASSERT_TRUE(client_
                    ->AddComment(Reviewer(), claim.name(), absl::StrCat("add the SOW ", i),
                                 v1::Comment::PUBLIC, &comment)
                    .ok());
  }
  for (const Identity& who : {Reviewer(), Partner("contoso")}) {
    v1::ClaimHistory whole;
    ASSERT_TRUE(client_->History(who, claim.name(), &whole).ok());
    EXPECT_TRUE(whole.next_page_token().empty());
    std::vector<int64_t> expected;
    for (const auto& entry : whole.entries()) expected.push_back(entry.sequence());

    std::vector<int64_t> paged;
    v1::GetClaimHistoryRequest request;
    request.set_name(claim.name());
    request.set_page_size(2);
    for (int page = 0; page < 20; ++page) {
      v1::ClaimHistory history;
      ASSERT_TRUE(client_->History(who, request, &history).ok());
      EXPECT_EQ(history.claim().name(), claim.name());
      EXPECT_LE(history.entries_size(), 2);
      // Comments and evidence come with the first page only.
      EXPECT_EQ(history.comments_size(), page == 0 ? whole.comments_size() : 0);
      for (const auto& entry : history.entries()) {
        paged.push_back(entry.sequence());
        if (!who.partner.empty()) {
          EXPECT_THAT(entry.comment(), Not(HasSubstr("forged")));
        }
      }
      if (history.next_page_token().empty()) break;
      request.set_page_token(history.next_page_token());
    }
    EXPECT_EQ(paged, expected);
  }

  v1::GetClaimHistoryRequest request;
  request.set_name(claim.name());
  request.set_page_size(1);
  v1::ClaimHistory first;
  ASSERT_TRUE(client_->History(Reviewer(), request, &first).ok());
  ASSERT_FALSE(first.next_page_token().empty());
  // A token continues its own claim only, and says nothing about a claim the caller cannot see.
  v1::Claim other = ClaimIn("editing");
  v1::GetClaimHistoryRequest misplaced;
  misplaced.set_name(other.name());
  misplaced.set_page_token(first.next_page_token());
  v1::ClaimHistory history;
  EXPECT_THAT(client_->History(Reviewer(), misplaced, &history),
              HasCode(grpc::StatusCode::INVALID_ARGUMENT));
  request.set_page_token(first.next_page_token());
  EXPECT_THAT(client_->History(Partner("northwind", "nora"), request, &history),
              HasCode(grpc::StatusCode::NOT_FOUND));
  request.set_page_token("garbage");
  EXPECT_THAT(client_->History(Reviewer(), request, &history),
              HasCode(grpc::StatusCode::INVALID_ARGUMENT));
  request.clear_page_token();
  request.set_page_size(-1);
  EXPECT_THAT(client_->History(Reviewer(), request, &history),
              HasCode(grpc::StatusCode::INVALID_ARGUMENT));
}

TEST_P(ClaimsE2eTest, ListsPageThroughEveryClaimOnce) {
  for (int i = 0; i < 7; ++i) {
    v1::Claim claim;
    ASSERT_TRUE(client_->Create(Partner("contoso"), NewClaimRequest(), &claim).ok());
    clock_->Advance(absl::Seconds(1));
  }
  v1::Claim other;
  ASSERT_TRUE(
      client_->Create(Partner("northwind", "nora"), NewClaimRequest("northwind"), &other).ok());
  std::set<std::string> seen;
  v1::ListClaimsRequest list;
  list.set_parent("partners/contoso");
  list.set_page_size(3);
  for (int page = 0; page < 10; ++page) {
    v1::ListClaimsResponse response;
    ASSERT_TRUE(client_->List(Partner("contoso"), list, &response).ok());
    for (const auto& claim : response.claims()) {
      EXPECT_TRUE(seen.insert(claim.name()).second) << "listed twice: " << claim.name();
      EXPECT_THAT(claim.name(), HasSubstr("partners/contoso/"));
    }
    if (response.next_page_token().empty()) break;
    list.set_page_token(response.next_page_token());
  }
  EXPECT_EQ(seen.size(), 7u);
  list.set_page_token("garbage");
  v1::ListClaimsResponse response;
  EXPECT_THAT(client_->List(Partner("contoso"), list, &response),
              HasCode(grpc::StatusCode::INVALID_ARGUMENT));
}

TEST_P(ClaimsE2eTest, OversizedEvidenceIsRejectedAndNothingIsStored) {
  v1::Claim claim = ClaimIn("editing");
  v1::Evidence evidence;
  grpc::Status status = client_->AddEvidence(Partner("contoso"), claim.name(), "big.pdf",
                                             std::string(1024 * 1024 + 1, 'x'), &evidence);
  ASSERT_THAT(status, HasCode(grpc::StatusCode::INVALID_ARGUMENT));
  ASSERT_TRUE(client_->Get(Partner("contoso"), claim.name(), &claim).ok());
  EXPECT_EQ(claim.evidence_count(), 0);
}

TEST_P(ClaimsE2eTest, StreamsEventsInOrderAndResumes) {
  v1::Claim mine = ClaimIn("approved");
  v1::Claim theirs;
  ASSERT_TRUE(
      client_->Create(Partner("northwind", "nora"), NewClaimRequest("northwind"), &theirs).ok());

  auto read_events = [this](const Identity& who, int64_t after, std::size_t count,
                            int seconds = 10) { return ReadEvents(who, after, count, seconds); };

  // The reviewer sees every partner's events, in sequence order.
  std::vector<v1::Event> all = read_events(Reviewer(), 0, 3);
  ASSERT_EQ(all.size(), 3u);
  for (std::size_t i = 1; i < all.size(); ++i) {
    EXPECT_LT(all[i - 1].sequence(), all[i].sequence());
  }
  std::vector<std::string> types;
  for (const auto& event : read_events(Reviewer(), 0, 100, 2)) types.push_back(event.type());
  EXPECT_THAT(types, Contains("customer_consent_requested"));

  // Resuming after the first event gives the rest, without a repeat.
  std::vector<v1::Event> resumed = read_events(Reviewer(), all[0].sequence(), 2);
  ASSERT_EQ(resumed.size(), 2u);
  EXPECT_EQ(resumed[0].sequence(), all[1].sequence());

  // A partner sees only its own claims' events.
  for (const auto& event : read_events(Partner("northwind", "nora"), 0, 1, 2)) {
    EXPECT_THAT(event.claim(), HasSubstr("partners/northwind/"));
  }

  // A live stream gets an event committed after it started.
  auto stub = v1::Claims::NewStub(channel_);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  context.AddMetadata("x-claims-actor", "rita");
  context.AddMetadata("x-claims-roles", "reviewer");
  v1::StreamEventsRequest request;
  std::vector<v1::Event> everything = read_events(Reviewer(), 0, 1000, 2);
  request.set_after_sequence(everything.back().sequence());
  auto reader = stub->StreamEvents(&context, request);
  v1::Claim denied;
  ASSERT_TRUE(client_
                  ->Act(Customer("6f1c2a9e-0000-4000-8000-000000000001"), mine.name(),
                        "deny_consent", &denied)
                  .ok());
  v1::Event live;
  ASSERT_TRUE(reader->Read(&live));
  EXPECT_GT(live.sequence(), everything.back().sequence());
  EXPECT_EQ(live.claim(), mine.name());
  context.TryCancel();
  reader->Finish();
}

const v1::Timer* FindTimer(const v1::Claim& claim, const std::string& name) {
  for (const auto& timer : claim.timers()) {
    if (timer.name() == name) return &timer;
  }
  return nullptr;
}

TEST_P(ClaimsE2eTest, RejectNeedsARejectionReason) {
  v1::Claim claim = ClaimIn("under_review");
  grpc::Status status = client_->Act(Reviewer(), claim.name(), "reject", &claim);
  ASSERT_THAT(status, HasCode(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_THAT(client_->Act(Reviewer(), claim.name(), "reject", &claim, {"missing_all_poe"}),
              HasCode(grpc::StatusCode::INVALID_ARGUMENT));  // an info reason, not a rejection
  // A partner's own request is the partner's to make (withdraw), not a reviewer's verdict.
  EXPECT_THAT(client_->Act(Reviewer(), claim.name(), "reject", &claim, {"partner_request"}),
              HasCode(grpc::StatusCode::INVALID_ARGUMENT));
  ASSERT_TRUE(client_->Act(Reviewer(), claim.name(), "reject", &claim, {"missing_products"}).ok());
  EXPECT_EQ(claim.state(), "rejected");
}

TEST_P(ClaimsE2eTest, WithdrawalRecordsPartnerRequestAndCannotBeDisputed) {
  v1::Claim claim = ClaimIn("submitted");
  ASSERT_TRUE(client_->Act(Partner("contoso"), claim.name(), "withdraw", &claim).ok());
  EXPECT_EQ(claim.state(), "rejected");
  v1::ClaimHistory history;
  ASSERT_TRUE(client_->History(Partner("contoso"), claim.name(), &history).ok());
  EXPECT_THAT(history.entries().rbegin()->reasons(), ElementsAre("partner_request"));
  grpc::Status status =
      client_->Act(Partner("contoso"), claim.name(), "dispute", &claim, {}, "Changed my mind");
  ASSERT_THAT(status, HasCode(grpc::StatusCode::FAILED_PRECONDITION));
  EXPECT_EQ(Details(status).info.reason(), "GUARD_FAILED");
}

TEST_P(ClaimsE2eTest, OverturnedDisputeGoesBackToCustomerConsent) {
  v1::Claim claim = ClaimIn("rejected");
  ASSERT_TRUE(
      client_->Act(Partner("contoso"), claim.name(), "dispute", &claim, {}, "Signed PoE attached")
          .ok());
  ASSERT_TRUE(client_->Act(Reviewer(), claim.name(), "overturn", &claim).ok());
  EXPECT_EQ(claim.state(), "approved");
  ASSERT_NE(FindTimer(claim, "consent_period"), nullptr);
  EXPECT_EQ(FindTimer(claim, "consent_period")->state(), v1::Timer::ARMED);
}

TEST_P(ClaimsE2eTest, ReviewDecisionAndDisputeSlasAreFlaggedWhenMissed) {
  v1::Claim claim = ClaimIn("under_review");
  clock_->Advance(absl::Hours(24 * 8));
  ASSERT_OK(server_->scheduler().RunOnce().status());
  ASSERT_TRUE(client_->Get(Reviewer(), claim.name(), &claim).ok());
  EXPECT_EQ(claim.state(), "under_review");
  EXPECT_EQ(claim.sla_status(), v1::SLA_STATUS_BREACHED);
  ASSERT_NE(FindTimer(claim, "review_decision"), nullptr);
  EXPECT_EQ(FindTimer(claim, "review_decision")->state(), v1::Timer::BREACHED);

  v1::Claim disputed = ClaimIn("rejected");
  ASSERT_TRUE(
      client_->Act(Partner("contoso"), disputed.name(), "dispute", &disputed, {}, "Look again")
          .ok());
  clock_->Advance(absl::Hours(24 * 8));
  ASSERT_OK(server_->scheduler().RunOnce().status());
  ASSERT_TRUE(client_->Get(Reviewer(), disputed.name(), &disputed).ok());
  EXPECT_EQ(disputed.state(), "dispute_review");
  ASSERT_NE(FindTimer(disputed, "dispute_review"), nullptr);
  EXPECT_EQ(FindTimer(disputed, "dispute_review")->state(), v1::Timer::BREACHED);
}

TEST_P(ClaimsE2eTest, OverallDecisionSlaPausesWhileThePartnerActs) {
  v1::Claim claim = ClaimIn("under_review");
  const v1::Timer* overall = FindTimer(claim, "overall_decision");
  ASSERT_NE(overall, nullptr);
  ASSERT_EQ(overall->state(), v1::Timer::ARMED);
  const int64_t first_due = overall->due_time().seconds();

  ASSERT_TRUE(client_
                  ->Act(Reviewer(), claim.name(), "request_info", &claim,
                        {"missing_partner_solution"}, "Describe the work done")
                  .ok());
  overall = FindTimer(claim, "overall_decision");
  ASSERT_NE(overall, nullptr);
  EXPECT_EQ(overall->state(), v1::Timer::PAUSED);
  EXPECT_GT(overall->remaining_seconds(), 0);

  // Three calendar days with the partner (Monday to Thursday: three business days).
  clock_->Advance(absl::Hours(24 * 3));
  ASSERT_OK(server_->scheduler().RunOnce().status());
  ASSERT_TRUE(client_->Act(Partner("contoso"), claim.name(), "resubmit", &claim).ok());
  overall = FindTimer(claim, "overall_decision");
  ASSERT_NE(overall, nullptr);
  EXPECT_EQ(overall->state(), v1::Timer::ARMED);
  // The paused business days are added back: the deadline moves out by them.
  EXPECT_GE(overall->due_time().seconds() - first_due, 3 * 24 * 3600 - 60);
}

// GET http://127.0.0.1:port/path, the whole answer; empty on failure.
std::string HttpGet(int port, const std::string& path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  std::string answer;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) {
    const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (::send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size())) {
      char buffer[4096];
      for (ssize_t n; (n = ::recv(fd, buffer, sizeof(buffer), 0)) > 0;) {
        answer.append(buffer, static_cast<std::size_t>(n));
      }
    }
  }
  ::close(fd);
  return answer;
}

TEST_P(ClaimsE2eTest, ExposesCallAndTimerMetrics) {
  ASSERT_GT(server_->metrics_port(), 0);
  v1::Claim claim = ClaimIn("approved");
  v1::Claim missing;
  ASSERT_FALSE(
      client_->Get(Reviewer(), "partners/-/claims/01ARZ3NDEKTSV4RRFFQ69G5FAV", &missing).ok());
  clock_->Advance(absl::Hours(24 * 8));
  ASSERT_OK(server_->scheduler().RunOnce().status());

  const std::string metrics = HttpGet(server_->metrics_port(), "/metrics");
  EXPECT_THAT(metrics, HasSubstr("200 OK"));
  EXPECT_THAT(metrics, HasSubstr("claims_rpc_calls_total{code=\"OK\",method=\"CreateClaim\"} 1"));
  EXPECT_THAT(metrics,
              HasSubstr("claims_rpc_calls_total{code=\"NOT_FOUND\",method=\"GetClaim\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("claims_rpc_latency_seconds_count{method=\"PerformAction\"} 3"));
  EXPECT_THAT(metrics, HasSubstr("claims_sla_timers_fired_total"));
  EXPECT_THAT(metrics, Not(HasSubstr("claims_sla_timers_fired_total 0")));
}

INSTANTIATE_TEST_SUITE_P(Backends, ClaimsE2eTest,
                         ::testing::Values(Backend::kSqlite, Backend::kMariaDb), BackendName);

}  // namespace
}  // namespace claims::testing
