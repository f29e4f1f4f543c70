#include "workflow/simulation.h"

#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/shipped_workflow.h"
#include "tests/testing/source_dir.h"
#include "tests/testing/status_matchers.h"
#include "workflow/engine.h"
#include "workflow/loader.h"

namespace claims::workflow {
namespace {

using ::claims::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

using ::claims::testing::SourceDir;

class SimulationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const LoadResult result = testing::LoadWorkflowFile();
    for (const Diagnostic& d : result.diagnostics) ADD_FAILURE() << d.ToString();
    ASSERT_TRUE(result.ok());
    engine_ = new Engine(result.definition);
  }
  static void TearDownTestSuite() {
    delete engine_;
    engine_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(engine_, nullptr); }

  static std::string Script(const std::string& name) {
    const std::optional<std::string> text =
        testing::ReadTextFile(SourceDir() + "/tests/workflow/testdata/simulate/" + name);
    EXPECT_TRUE(text.has_value()) << name;
    return text.value_or("");
  }

  static absl::StatusOr<SimulationTrace> Run(const std::string& script) {
    return RunSimulation(*engine_, script);
  }

  static Engine* engine_;
};

Engine* SimulationTest::engine_ = nullptr;

// A script's frame; steps are appended.
constexpr char kHeader[] = R"(
start: 2026-11-23T10:00:00-08:00
actors:
  partner: {roles: [billing_admin], partner_id: p1}
  reviewer: {roles: [reviewer]}
steps:
  - create:
      as: partner
      fields:
        mpn_id: "1"
        customer: {tenant_id: t, name: Contoso}
        products: [power_bi]
        activity: pre_sales
)";

TEST_F(SimulationTest, ShippedDisputePathHoldsEveryExpectation) {
  const absl::StatusOr<SimulationTrace> trace = Run(Script("dispute_path.yaml"));
  ASSERT_TRUE(trace.ok()) << trace.status();
  EXPECT_TRUE(trace->ok()) << FormatTraceText(*trace);
  EXPECT_EQ(trace->workflow, "cpor-association");
  ASSERT_FALSE(trace->steps.empty());
  EXPECT_EQ(trace->steps.back().state, "rejected");
  int refusals = 0;
  for (const TraceStep& step : trace->steps) refusals += step.error.has_value() ? 1 : 0;
  EXPECT_EQ(refusals, 2);  // the second dispute, and the late one
  const std::string text = FormatTraceText(*trace);
  EXPECT_THAT(text, HasSubstr("refused: GUARD_FAILED"));
  EXPECT_THAT(text, HasSubstr("submit a new claim"));
  EXPECT_THAT(text, HasSubstr("event rejection_notice"));
  EXPECT_THAT(text, HasSubstr("all expectations held"));
}

TEST_F(SimulationTest, ShippedPartnerNoResponseRejectsThroughTheTimer) {
  const absl::StatusOr<SimulationTrace> trace = Run(Script("partner_no_response.yaml"));
  ASSERT_TRUE(trace.ok()) << trace.status();
  EXPECT_TRUE(trace->ok()) << FormatTraceText(*trace);
  const TraceStep* fired = nullptr;
  for (const TraceStep& step : trace->steps) {
    if (step.kind == "timer") fired = &step;
  }
  ASSERT_NE(fired, nullptr);
  EXPECT_EQ(fired->description, "timer partner_response (deadline): expire_partner_action");
  EXPECT_EQ(fired->state, "rejected");
  EXPECT_EQ(absl::FormatTime(absl::RFC3339_sec, fired->time, absl::UTCTimeZone()),
            "2026-12-22T08:00:00+00:00");
  ASSERT_EQ(fired->events.size(), 1u);
  EXPECT_EQ(fired->events[0].attributes.at("reasons"), "no_partner_response");
}

// The playground runs scripts as they are typed: a trace past its bound stops the run.
TEST_F(SimulationTest, ATraceLongerThanTheLimitIsRefused) {
  const std::string script = Script("partner_no_response.yaml");
  ASSERT_OK_AND_ASSIGN(SimulationTrace full, RunSimulation(*engine_, script));
  SimulationLimits limits;
  limits.max_trace_steps = full.steps.size();
  EXPECT_TRUE(RunSimulation(*engine_, script, limits).ok());
  limits.max_trace_steps = 3;
  EXPECT_THAT(RunSimulation(*engine_, script, limits),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("step 4 takes the trace past 3 steps")));
}

TEST_F(SimulationTest, FailedExpectationsAreCountedAndReported) {
  const absl::StatusOr<SimulationTrace> trace = Run(std::string(kHeader) + R"(
  - act: {action: approve, as: partner}
  - expect: {state: approved, error: none, sla_status: breached, timers: {review_start: armed}}
)");
  ASSERT_TRUE(trace.ok()) << trace.status();
  EXPECT_FALSE(trace->ok());
  EXPECT_EQ(trace->failed_expectations, 4);
  const TraceStep& expect = trace->steps.back();
  EXPECT_THAT(expect.failures,
              ::testing::IsSupersetOf({HasSubstr("state is editing, expected approved"),
                                       HasSubstr("ACTION_NOT_AVAILABLE"),
                                       HasSubstr("timer review_start is not started")}));
  EXPECT_THAT(FormatTraceText(*trace), HasSubstr("4 expectation(s) failed"));
}

TEST_F(SimulationTest, AdvanceFiresWarningsAndDeadlinesInOrder) {
  const absl::StatusOr<SimulationTrace> trace = Run(std::string(kHeader) + R"(
  - evidence: {as: partner, file_name: poe.pdf}
  - act: {action: submit, as: partner}
  - advance: {until: 2026-12-20T00:00:00-08:00}
  - expect:
      state: submitted
      sla_status: breached
      timers: {review_start: breached, overall_decision: breached}
)");
  ASSERT_TRUE(trace.ok()) << trace.status();
  EXPECT_TRUE(trace->ok()) << FormatTraceText(*trace);
  std::vector<std::string> fired;
  for (const TraceStep& step : trace->steps) {
    if (step.kind == "timer") fired.push_back(step.description);
  }
  EXPECT_THAT(
      fired, ::testing::ElementsAre("timer review_start (warning)", "timer review_start (deadline)",
                                    "timer overall_decision (deadline)"));
}

TEST_F(SimulationTest, DurationsInEveryUnit) {
  const absl::StatusOr<SimulationTrace> trace = Run(std::string(kHeader) + R"(
  - advance: 2d
  - advance: 5 hours
  - advance: 30m
  - advance: 10s
  - advance: 1 business_days
)");
  ASSERT_TRUE(trace.ok()) << trace.status();
  // Monday 10:00 + 2 days + 5:30:10 = Wednesday 15:30:10; one business day later ends Friday
  // 27 November, since Thanksgiving (Thursday) is a holiday.
  EXPECT_EQ(absl::FormatTime(absl::RFC3339_sec, trace->steps[4].time, absl::UTCTimeZone()),
            "2026-11-25T23:30:10+00:00");
  EXPECT_EQ(absl::FormatTime(absl::RFC3339_sec, trace->steps[5].time, absl::UTCTimeZone()),
            "2026-11-28T08:00:00+00:00");
}

TEST_F(SimulationTest, ScriptErrorsNameTheLineAndColumn) {
  EXPECT_THAT(Run("start: 2026-11-23T10:00:00Z\nactors: {}\nsteps: []\ncolour: red\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("4:1: unknown key 'colour'")));
  EXPECT_THAT(Run(std::string(kHeader) + "  - act: {action: submit, as: stranger}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no actor 'stranger'")));
  EXPECT_THAT(Run(std::string(kHeader) + "  - advance: 3 fortnights\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown unit 'fortnights'")));
  EXPECT_THAT(Run(std::string(kHeader) + "  - teleport: {}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown step 'teleport'")));
  EXPECT_THAT(Run("start: yesterday\nactors: {}\nsteps: []\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("1:8: start")));
  EXPECT_THAT(Run("start: 2026-11-23T10:00:00Z\nactors: {a: {roles: [x]}}\nsteps:\n"
                  "  - act: {action: submit, as: a}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no claim yet")));
  EXPECT_THAT(Run("steps: [\n"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(SimulationTest, RefusalsAreTraceNotErrors) {
  const absl::StatusOr<SimulationTrace> trace = Run(std::string(kHeader) + R"(
  - act: {action: submit, as: partner}
  - expect: {error: GUARD_FAILED, guard: min_evidence, state: editing}
  - comment: {as: partner, text: hidden, visibility: internal}
  - expect: {error: ROLE_NOT_ALLOWED}
  - edit: {as: partner, fields: {products: [power_bi, teams]}}
  - expect: {error: none}
)");
  ASSERT_TRUE(trace.ok()) << trace.status();
  EXPECT_TRUE(trace->ok()) << FormatTraceText(*trace);
  EXPECT_THAT(trace->steps.back().failures, IsEmpty());
}

}  // namespace
}  // namespace claims::workflow
