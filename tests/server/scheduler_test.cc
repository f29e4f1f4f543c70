// TimerScheduler's sleep: a decision that arms a timer due before the planned sweep wakes the
// loop for it; one due later leaves the loop asleep, so a busy server does not sweep per call.

#include "server/runtime/scheduler.h"

#include <memory>
#include <string>
#include <variant>

#include "gtest/gtest.h"
#include "server/runtime/clock.h"
#include "server/runtime/workflow_registry.h"
#include "storage/soci_repository.h"
#include "tests/testing/cpor_claims.h"
#include "tests/testing/shipped_workflow.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_databases.h"
#include "workflow/decision.h"
#include "workflow/engine.h"

namespace claims::server {
namespace {

constexpr char kWorkflow[] = "cpor-association";
constexpr char kTimer[] = "review_start";

class TimerSchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.url = testing::FreshSqliteUrl();
    ASSERT_OK_AND_ASSIGN(repository_, storage::OpenSociRepository(options_));
    registry_ = std::make_unique<WorkflowRegistry>(*repository_);
    ASSERT_OK(registry_->LoadDirectory(testing::ShippedWorkflowsDir()));
    ASSERT_OK_AND_ASSIGN(engine_, registry_->Latest(kWorkflow));
    claim_ = SubmittedClaim();
  }

  void TearDown() override {
    if (scheduler_) scheduler_->Stop();
    scheduler_.reset();
    registry_.reset();
    repository_.reset();
    testing::RemoveSqliteDatabase(options_.url);
  }

  workflow::Claim Write(const workflow::Claim& claim, const workflow::Outcome& outcome) {
    const auto& decision = std::get<workflow::Decision>(outcome);
    workflow::Claim after = workflow::ApplyDecision(claim, decision, clock_.Now());
    EXPECT_OK(repository_->ApplyDecision(after, decision, storage::WriteOptions()));
    return after;
  }

  // Submitted now: review_start is armed, days away.
  workflow::Claim SubmittedClaim() {
    const absl::Time now = clock_.Now();
    const workflow::Claim draft = testing::CporDraft(engine_->definition(), partner_, now);
    const workflow::Outcome created = engine_->Create(draft, partner_, now);
    const auto& decision = std::get<workflow::Decision>(created);
    workflow::Claim claim = workflow::ApplyDecision(draft, decision, now);
    EXPECT_OK(repository_->CreateClaim(claim, decision, storage::WriteOptions()));
    claim = Write(claim, engine_->AddEvidence(claim, testing::ProofOfExecution(partner_, now),
                                              partner_, now));
    workflow::ActionRequest submit;
    submit.action = "submit";
    return Write(claim, engine_->Decide(claim, submit, partner_, now));
  }

  // Moves review_start's deadline to `due_at`, as a decision that armed it so would.
  absl::Time DueSoon(absl::Duration in) {
    workflow::Decision decision;
    for (workflow::TimerInstance timer : claim_.timers) {
      if (timer.name != kTimer) continue;
      timer.due_at = clock_.Now() + in;
      timer.warn_at = absl::InfiniteFuture();
      decision.timers.push_back(timer);
    }
    EXPECT_EQ(decision.timers.size(), 1u);
    workflow::Claim after = workflow::ApplyDecision(claim_, decision, clock_.Now());
    EXPECT_OK(repository_->ApplyDecision(after, decision, storage::WriteOptions()));
    claim_ = after;
    return decision.timers.empty() ? absl::InfiniteFuture() : decision.timers[0].NextFireAt();
  }

  // Starts the loop and waits until it sleeps on its plan: max_sleep, the armed timer being days
  // away.
  void StartAndWaitAsleep() {
    scheduler_ = std::make_unique<TimerScheduler>(*repository_, *registry_, clock_,
                                                  TimerScheduler::Options{100, absl::Seconds(30)});
    scheduler_->Start();
    const absl::Time give_up = absl::Now() + absl::Seconds(20);
    while (scheduler_->PlannedSweep() == absl::InfinitePast() && absl::Now() < give_up) {
      absl::SleepFor(absl::Milliseconds(5));
    }
    ASSERT_GT(scheduler_->PlannedSweep(), clock_.Now() + absl::Seconds(20));
  }

  workflow::TimerStatus StatusOfTimer() {
    absl::StatusOr<workflow::Claim> stored = repository_->GetClaim(claim_.id);
    EXPECT_TRUE(stored.ok()) << stored.status();
    if (stored.ok()) {
      for (const workflow::TimerInstance& timer : stored->timers) {
        if (timer.name == kTimer) return timer.status;
      }
    }
    ADD_FAILURE() << "no " << kTimer << " timer";
    return workflow::TimerStatus::kArmed;
  }

  // Whether review_start has fired (breached) within `within`.
  bool FiresWithin(absl::Duration within) {
    const absl::Time give_up = absl::Now() + within;
    while (absl::Now() < give_up) {
      if (StatusOfTimer() == workflow::TimerStatus::kBreached) return true;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return StatusOfTimer() == workflow::TimerStatus::kBreached;
  }

  SystemClock clock_;
  storage::StorageOptions options_;
  std::unique_ptr<storage::Repository> repository_;
  std::unique_ptr<WorkflowRegistry> registry_;
  std::shared_ptr<const workflow::Engine> engine_;
  std::unique_ptr<TimerScheduler> scheduler_;
  workflow::Actor partner_{"pat", {"billing_admin"}, "contoso"};
  workflow::Claim claim_;
};

TEST_F(TimerSchedulerTest, ATimerDueBeforeThePlannedSweepWakesTheLoop) {
  StartAndWaitAsleep();
  const absl::Time fire_at = DueSoon(absl::Milliseconds(300));
  scheduler_->WakeFor(fire_at);
  EXPECT_TRUE(FiresWithin(absl::Seconds(10)));
}

TEST_F(TimerSchedulerTest, ATimerDueAfterThePlannedSweepLeavesTheLoopAsleep) {
  StartAndWaitAsleep();
  const absl::Time planned = scheduler_->PlannedSweep();
  // Told of a later deadline, the loop keeps its plan: the timer, really due at once, waits.
  DueSoon(absl::ZeroDuration());
  scheduler_->WakeFor(planned + absl::Hours(1));
  EXPECT_FALSE(FiresWithin(absl::Seconds(1)));
  EXPECT_EQ(scheduler_->PlannedSweep(), planned);
  // Wake is for moves the loop must always look at (a clock change, recomputed deadlines).
  scheduler_->Wake();
  EXPECT_TRUE(FiresWithin(absl::Seconds(10)));
}

TEST_F(TimerSchedulerTest, ATimerArmedWhileTheLoopPlansShortensThePlan) {
  // Before Start the loop is "planning" (nothing slept yet): the time is kept for the plan, since
  // the sweep's own read of the next deadline may come before this timer's commit.
  scheduler_ = std::make_unique<TimerScheduler>(*repository_, *registry_, clock_,
                                                TimerScheduler::Options{100, absl::Seconds(30)});
  ASSERT_EQ(scheduler_->PlannedSweep(), absl::InfinitePast());
  scheduler_->WakeFor(clock_.Now() + absl::Seconds(3));
  scheduler_->Start();
  const absl::Time give_up = absl::Now() + absl::Seconds(20);
  while (scheduler_->PlannedSweep() == absl::InfinitePast() && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_LT(scheduler_->PlannedSweep(), clock_.Now() + absl::Seconds(5));
}

}  // namespace
}  // namespace claims::server
