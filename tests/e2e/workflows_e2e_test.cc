// The Workflows and TestClock services end to end on SQLite and MariaDB: a client learns what
// an action needs over the API, reads deadlines as people do, and skips time to see every CPOR
// SLA timer take effect.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "claims/v1/test_clock.grpc.pb.h"
#include "claims/v1/workflow_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/runtime/workflow_registry.h"
#include "tests/e2e/e2e_fixture.h"

namespace claims::testing {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

template <typename Stub>
struct Caller {
  std::unique_ptr<Stub> stub;
  // One call as a reviewer, with a deadline.
  template <typename Request, typename Response>
  grpc::Status Call(const Request& request, Response* response,
                    grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*)) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    context.AddMetadata("x-claims-actor", "rita");
    context.AddMetadata("x-claims-roles", "reviewer");
    return (stub.get()->*method)(&context, request, response);
  }
};

std::string ShippedSource() {
  std::ifstream in(SourceDir() + "/config/workflows/cpor-association.yaml");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class WorkflowsE2eTest : public E2eFixture {
 protected:
  void SetUp() override {
    E2eFixture::SetUp();
    workflows_.stub = v1::Workflows::NewStub(channel_);
    clock_api_.stub = v1::TestClock::NewStub(channel_);
  }

  const v1::AvailableAction* Action(const v1::Claim& claim, const std::string& id) {
    for (const auto& action : claim.actions()) {
      if (action.id() == id) return &action;
    }
    return nullptr;
  }

  // Moves the server's clock through the TestClock API; the call returns once what fell due
  // has fired, in well under a second.
  v1::ClockTime Advance(absl::Duration by) {
    v1::AdvanceTimeRequest request;
    request.mutable_by()->set_seconds(absl::ToInt64Seconds(by));
    v1::ClockTime time;
    const absl::Time start = absl::Now();
    grpc::Status status = clock_api_.Call(request, &time, &v1::TestClock::Stub::AdvanceTime);
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_LT(absl::Now() - start, absl::Seconds(1));
    return time;
  }

  v1::Claim Get(const v1::Claim& claim) {
    v1::Claim out;
    EXPECT_TRUE(client_->Get(Reviewer(), claim.name(), &out).ok());
    return out;
  }

  static v1::Timer::State TimerState(const v1::Claim& claim, const std::string& name) {
    for (const auto& timer : claim.timers()) {
      if (timer.name() == name) return timer.state();
    }
    return v1::Timer::STATE_UNSPECIFIED;
  }

  Caller<v1::Workflows::Stub> workflows_;
  Caller<v1::TestClock::Stub> clock_api_;
};

TEST_P(WorkflowsE2eTest, ListsTheLoadedWorkflowsAndReadsOneAsTypedMessages) {
  v1::ListWorkflowsResponse list;
  ASSERT_TRUE(
      workflows_.Call(v1::ListWorkflowsRequest(), &list, &v1::Workflows::Stub::ListWorkflows).ok());
  ASSERT_THAT(list.workflows(), SizeIs(1));
  const v1::WorkflowSummary& summary = list.workflows(0);
  EXPECT_EQ(summary.name(), "workflows/cpor-association");
  EXPECT_TRUE(summary.is_default());
  ASSERT_THAT(summary.versions(), Not(IsEmpty()));
  EXPECT_EQ(summary.versions(0).sha256(), server::Sha256Hex(ShippedSource()));

  v1::GetWorkflowRequest get;
  get.set_name("workflows/cpor-association");
  v1::Workflow workflow;
  ASSERT_TRUE(workflows_.Call(get, &workflow, &v1::Workflows::Stub::GetWorkflow).ok());
  EXPECT_EQ(workflow.name(),
            absl::StrCat("workflows/cpor-association/versions/", summary.versions(0).version()));
  EXPECT_TRUE(workflow.source().empty()) << "the source comes with WORKFLOW_VIEW_FULL only";
  const v1::WorkflowTransition* reject = nullptr;
  for (const auto& transition : workflow.transitions()) {
    if (transition.id() == "reject") reject = &transition;
  }
  ASSERT_NE(reject, nullptr);
  EXPECT_THAT(reject->roles(), ElementsAre("reviewer"));
  EXPECT_EQ(reject->inputs().reasons().catalog(), "rejection_reasons");
  EXPECT_EQ(reject->inputs().reasons().min(), 1);
  // Reviewers reject for review reasons only; each choice carries its display name.
  std::vector<std::string> choices;
  for (const auto& choice : reject->inputs().reasons().choices()) choices.push_back(choice.id());
  EXPECT_THAT(choices, ElementsAre("insufficient_poe", "missing_customer_consent",
                                   "missing_products", "poe_unavailable"));
  EXPECT_EQ(reject->inputs().reasons().choices(0).display_name(),
            "Insufficient proof of execution");
  bool dispute_guarded = false;
  for (const auto& transition : workflow.transitions()) {
    if (transition.id() != "dispute") continue;
    for (const auto& guard : transition.guards()) {
      if (guard.kind() == "within") {
        dispute_guarded = true;
        EXPECT_THAT(guard.description(), HasSubstr("within 30 days"));
      }
    }
  }
  EXPECT_TRUE(dispute_guarded);
  ASSERT_THAT(workflow.calendars(), Not(IsEmpty()));
  EXPECT_EQ(workflow.calendars(0).time_zone(), "America/Los_Angeles");
  EXPECT_THAT(workflow.calendars(0).holidays(), Contains("2026-12-25"));
  // What an upload form may offer: the shipped workflow takes the default document types.
  EXPECT_THAT(
      workflow.evidence_content_types(),
      AllOf(Contains("application/pdf"), Contains("image/png"),
            Contains("application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
            Not(Contains("application/x-msdownload"))));

  get.set_view(v1::WORKFLOW_VIEW_FULL);
  ASSERT_TRUE(workflows_.Call(get, &workflow, &v1::Workflows::Stub::GetWorkflow).ok());
  EXPECT_EQ(workflow.source(), ShippedSource());

  get.set_name("workflows/nope");
  EXPECT_THAT(workflows_.Call(get, &workflow, &v1::Workflows::Stub::GetWorkflow),
              HasCode(grpc::StatusCode::NOT_FOUND));
  get.set_name("workflows/cpor-association/versions/x");
  EXPECT_THAT(workflows_.Call(get, &workflow, &v1::Workflows::Stub::GetWorkflow),
              HasCode(grpc::StatusCode::INVALID_ARGUMENT));
}

TEST_P(WorkflowsE2eTest, ValidatesTextWithEveryDiagnosticAndNoSideEffect) {
  v1::ValidateWorkflowRequest request;
  request.set_source(ShippedSource());
  request.set_file_name("cpor-association.yaml");
  v1::ValidateWorkflowResponse response;
  ASSERT_TRUE(workflows_.Call(request, &response, &v1::Workflows::Stub::ValidateWorkflow).ok());
  EXPECT_TRUE(response.valid());
  EXPECT_EQ(response.id(), "cpor-association");

  // A broken copy, published under a new version: two problems, each at its place.
  std::string broken = ShippedSource();
  broken.replace(broken.find("\nversion: "), std::string("\nversion: ").size(),
                 "\nversion: 99\nold_version: ");
  broken.replace(broken.find("to: rejected"), std::string("to: rejected").size(), "to: rejectd");
  request.set_source(broken);
  ASSERT_TRUE(workflows_.Call(request, &response, &v1::Workflows::Stub::ValidateWorkflow).ok());
  EXPECT_FALSE(response.valid());
  ASSERT_THAT(response.diagnostics(), SizeIs(::testing::Ge(2)));
  for (const auto& diagnostic : response.diagnostics()) {
    EXPECT_GT(diagnostic.line(), 0) << diagnostic.message();
    EXPECT_GT(diagnostic.column(), 0) << diagnostic.message();
  }
  bool named_state = false;
  for (const auto& diagnostic : response.diagnostics()) {
    named_state |= diagnostic.message().find("rejectd") != std::string::npos;
  }
  EXPECT_TRUE(named_state);
  // Nothing was published.
  v1::ListWorkflowsResponse list;
  ASSERT_TRUE(
      workflows_.Call(v1::ListWorkflowsRequest(), &list, &v1::Workflows::Stub::ListWorkflows).ok());
  EXPECT_THAT(list.workflows(0).versions(), SizeIs(1));

  request.set_source("");
  EXPECT_THAT(workflows_.Call(request, &response, &v1::Workflows::Stub::ValidateWorkflow),
              HasCode(grpc::StatusCode::INVALID_ARGUMENT));
}

TEST_P(WorkflowsE2eTest, RendersTheDiagramOfALoadedWorkflowOrOfText) {
  v1::RenderGraphRequest request;
  request.set_name("workflows/cpor-association");
  request.set_format(v1::GRAPH_FORMAT_DOT);
  v1::RenderGraphResponse response;
  ASSERT_TRUE(workflows_.Call(request, &response, &v1::Workflows::Stub::RenderGraph).ok());
  EXPECT_THAT(response.graph(), HasSubstr("digraph"));
  EXPECT_THAT(response.graph(), HasSubstr("under_review"));
  request.set_source(ShippedSource());
  request.set_format(v1::GRAPH_FORMAT_MERMAID);
  ASSERT_TRUE(workflows_.Call(request, &response, &v1::Workflows::Stub::RenderGraph).ok());
  EXPECT_THAT(response.graph(), HasSubstr("stateDiagram-v2"));
  request.set_source("name: x\n");
  grpc::Status invalid = workflows_.Call(request, &response, &v1::Workflows::Stub::RenderGraph);
  EXPECT_THAT(invalid, HasCode(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(Details(invalid).info.reason(), "INVALID_WORKFLOW");
  request.set_format(v1::GRAPH_FORMAT_UNSPECIFIED);
  EXPECT_THAT(workflows_.Call(request, &response, &v1::Workflows::Stub::RenderGraph),
              HasCode(grpc::StatusCode::INVALID_ARGUMENT));
}

TEST_P(WorkflowsE2eTest, AClaimSaysWhatEachAvailableActionNeeds) {
  v1::Claim claim = ClaimIn("under_review");
  claim = Get(claim);
  EXPECT_THAT(claim.available_actions(), ElementsAre("approve", "reject", "request_info"));
  ASSERT_EQ(claim.actions_size(), claim.available_actions_size());
  const v1::AvailableAction* reject = Action(claim, "reject");
  ASSERT_NE(reject, nullptr);
  EXPECT_EQ(reject->to_state(), "rejected");
  EXPECT_EQ(reject->inputs().reasons().min(), 1);
  EXPECT_EQ(reject->inputs().reasons().max(), 4);
  EXPECT_THAT(reject->inputs().reasons().choices(), SizeIs(4));
  const v1::AvailableAction* request_info = Action(claim, "request_info");
  ASSERT_NE(request_info, nullptr);
  EXPECT_EQ(request_info->inputs().comment(), v1::REQUIREMENT_REQUIRED);
  EXPECT_EQ(request_info->inputs().reasons().catalog(), "info_request_reasons");
  const v1::AvailableAction* approve = Action(claim, "approve");
  ASSERT_NE(approve, nullptr);
  EXPECT_FALSE(approve->inputs().has_reasons());

  // A client draws the reject form from it and sends the first choice.
  v1::Claim rejected;
  ASSERT_TRUE(client_
                  ->Act(Reviewer(), claim.name(), "reject", &rejected,
                        {reject->inputs().reasons().choices(0).id()})
                  .ok());
  EXPECT_EQ(rejected.state(), "rejected");
}

TEST_P(WorkflowsE2eTest, DeadlinesReadAsTheBusinessDayTheyEnd) {
  // Submitted Monday 2 March 2026 at 06:00 in Los Angeles (09:00 in New York): review must
  // start within five business days, by the end of Monday 9 March.
  v1::Claim claim = Get(ClaimIn("submitted"));
  for (const auto& timer : claim.timers()) {
    if (timer.name() == "review_start") {
      EXPECT_EQ(timer.due_display(), "end of Mon 9 Mar 2026, America/Los_Angeles");
    }
  }
  EXPECT_EQ(claim.next_deadline_display(), "end of Mon 9 Mar 2026, America/Los_Angeles");
}

// Every CPOR timer, each in well under a second of skipped time: review start and review
// decision breaches, the partner's response expiring into a rejection, the customer consent
// period ending in incentive assessment, and the dispute review breach.
TEST_P(WorkflowsE2eTest, TheTestClockDrivesAClaimThroughEveryCporTimer) {
  v1::ClockTime now;
  ASSERT_TRUE(clock_api_.Call(v1::GetTimeRequest(), &now, &v1::TestClock::Stub::GetTime).ok());
  EXPECT_EQ(now.time().seconds(), absl::ToUnixSeconds(StartTime()));

  v1::Claim slow = ClaimIn("submitted");
  EXPECT_GE(Advance(absl::Hours(24 * 8)).timers_fired(), 1);  // past 5 business days
  slow = Get(slow);
  EXPECT_EQ(TimerState(slow, "review_start"), v1::Timer::BREACHED);
  EXPECT_EQ(slow.sla_status(), v1::SLA_STATUS_BREACHED);

  ASSERT_TRUE(client_->Act(Reviewer(), slow.name(), "start_review", &slow).ok());
  Advance(absl::Hours(24 * 8));
  EXPECT_EQ(TimerState(Get(slow), "review_decision"), v1::Timer::BREACHED);

  ASSERT_TRUE(client_
                  ->Act(Reviewer(), slow.name(), "request_info", &slow,
                        {"missing_customer_acknowledgment"}, "Please add the signature")
                  .ok());
  Advance(absl::Hours(24 * 8));
  slow = Get(slow);
  EXPECT_EQ(slow.state(), "rejected") << "no partner response within 5 business days";

  ASSERT_TRUE(client_->Act(Partner("contoso"), slow.name(), "dispute", &slow, {}, "We did").ok());
  EXPECT_EQ(slow.state(), "dispute_review");
  Advance(absl::Hours(24 * 8));
  EXPECT_EQ(TimerState(Get(slow), "dispute_review"), v1::Timer::BREACHED);

  v1::Claim approved = ClaimIn("approved");
  Advance(absl::Hours(24 * 8));  // past the 7 calendar days of consent
  EXPECT_EQ(Get(approved).state(), "incentive_assessment");

  // The clock only moves forward.
  v1::SetTimeRequest back;
  back.mutable_time()->set_seconds(absl::ToUnixSeconds(StartTime()));
  EXPECT_THAT(clock_api_.Call(back, &now, &v1::TestClock::Stub::SetTime),
              HasCode(grpc::StatusCode::INVALID_ARGUMENT));
}

INSTANTIATE_TEST_SUITE_P(Backends, WorkflowsE2eTest,
                         ::testing::Values(Backend::kSqlite, Backend::kMariaDb), BackendName);

// Without a manual clock there is no TestClock service, and a manual clock is for loopback.
TEST(TestClockE2eTest, AbsentWithoutAManualClockAndRefusedOffLoopback) {
  config::ServerConfig config;
  config.listen = "127.0.0.1:0";
  config.database.url = FreshSqliteUrl();
  config.workflows.directory = SourceDir() + "/config/workflows";
  config.scheduler.enabled = false;
  ASSERT_OK_AND_ASSIGN(auto server, server::ClaimsServer::Start(config));
  Caller<v1::TestClock::Stub> clock_api{v1::TestClock::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(server->port()), grpc::InsecureChannelCredentials()))};
  v1::ClockTime now;
  EXPECT_THAT(clock_api.Call(v1::GetTimeRequest(), &now, &v1::TestClock::Stub::GetTime),
              HasCode(grpc::StatusCode::UNIMPLEMENTED));
  server->Shutdown(absl::Seconds(1));
  server.reset();

  config.clock = config::ClockKind::kManual;
  config.listen = "0.0.0.0:0";
  EXPECT_THAT(server::ClaimsServer::Start(config).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  RemoveSqliteDatabase(config.database.url);
}

}  // namespace
}  // namespace claims::testing
