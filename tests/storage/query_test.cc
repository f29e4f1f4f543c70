// Listing claims, the outbox, and timers that fire exactly once.

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "tests/storage/repository_fixture.h"

namespace claims::storage {
namespace {

using ::claims::testing::StatusIs;
using ::testing::ElementsAreArray;
using ::testing::SizeIs;

class QueryTest : public RepositoryTest {
 protected:
  // Every page of `filter`, in order.
  std::vector<std::string> ListAll(const ClaimFilter& filter, int page_size) {
    std::vector<std::string> ids;
    std::string token;
    for (int pages = 0; pages < 1000; ++pages) {
      absl::StatusOr<ClaimPage> page = repo_->ListClaims(filter, page_size, token);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) break;
      EXPECT_LE(static_cast<int>(page->claims.size()), page_size);
      for (const workflow::Claim& c : page->claims) ids.push_back(c.id);
      token = page->next_page_token;
      if (token.empty()) break;
    }
    return ids;
  }
};

TEST_P(QueryTest, PagesCoverEveryClaimNewestFirst) {
  std::vector<std::string> want;
  // Several claims per creation time, so the id breaks ties inside one create_time.
  for (int i = 0; i < 23; ++i) {
    want.push_back(Create("partner-1", T0() + absl::Seconds(i / 3)).id);
  }
  Create("partner-2", T0());
  std::sort(want.begin(), want.end(), [](const std::string& a, const std::string& b) {
    return a > b;  // ULIDs of later times and later in a millisecond sort higher
  });
  ClaimFilter filter;
  filter.partner_id = "partner-1";
  for (int page_size : {1, 5, 23, 100}) {
    SCOPED_TRACE(page_size);
    EXPECT_THAT(ListAll(filter, page_size), ElementsAreArray(want));
  }
  ASSERT_OK_AND_ASSIGN(ClaimPage page, repo_->ListClaims(filter, 5, ""));
  ASSERT_THAT(page.claims, SizeIs(5));
  EXPECT_THAT(page.claims[0].timers, SizeIs(1)) << "listed claims carry their timers";
  EXPECT_EQ(ListAll(ClaimFilter(), 7).size(), 24u);
}

TEST_P(QueryTest, PaginationIsStableUnderConcurrentInserts) {
  std::set<std::string> existing;
  for (int i = 0; i < 40; ++i) existing.insert(Create("partner-1", T0() + absl::Seconds(i)).id);
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; !stop.load() && i < 200; ++i) {
      Create("partner-1", T0() + absl::Seconds(1000 + i));
    }
  });
  ClaimFilter filter;
  filter.partner_id = "partner-1";
  std::vector<std::string> seen;
  std::string token;
  // The first page is read before paging on, so claims created later than it are newer than
  // every key the pages go through: they must not appear, and no older claim may be missed.
  ASSERT_OK_AND_ASSIGN(ClaimPage first, repo_->ListClaims(filter, 4, ""));
  absl::Time first_newest = first.claims.front().create_time;
  for (const workflow::Claim& c : first.claims) seen.push_back(c.id);
  token = first.next_page_token;
  while (!token.empty()) {
    ASSERT_OK_AND_ASSIGN(ClaimPage page, repo_->ListClaims(filter, 4, token));
    for (const workflow::Claim& c : page.claims) {
      EXPECT_LE(c.create_time, first_newest);
      seen.push_back(c.id);
    }
    token = page.next_page_token;
  }
  stop = true;
  writer.join();
  std::set<std::string> unique(seen.begin(), seen.end());
  EXPECT_EQ(unique.size(), seen.size()) << "no claim twice";
  for (const std::string& id : existing) EXPECT_TRUE(unique.contains(id)) << id;
}

TEST_P(QueryTest, FiltersSelectTheMatchingClaims) {
  workflow::Claim a = Create("p1", T0(), "submitted");
  workflow::Claim b = Create("p1", T0() + absl::Hours(1), "editing");
  workflow::Claim c = Create("p2", T0() + absl::Hours(2), "submitted");
  // Breach c and move its deadline.
  workflow::Decision d = Transition(c, "breach", "submitted", T0() + absl::Hours(3));
  d.sla_status = workflow::SlaStatus::kBreached;
  d.next_deadline = T0() + absl::Hours(10);
  ASSERT_OK(repo_->ApplyDecision(workflow::ApplyDecision(c, d, T0() + absl::Hours(3)), d, {}));

  auto ids = [&](const ClaimFilter& f) {
    std::vector<std::string> out = ListAll(f, 10);
    std::sort(out.begin(), out.end());
    return out;
  };
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  ClaimFilter f;
  f.state = "submitted";
  EXPECT_EQ(ids(f), sorted({a.id, c.id}));
  f.partner_id = "p1";
  EXPECT_EQ(ids(f), sorted({a.id}));
  f = ClaimFilter();
  f.sla_breached = true;
  EXPECT_EQ(ids(f), sorted({c.id}));
  f.sla_breached = false;
  EXPECT_EQ(ids(f), sorted({a.id, b.id}));
  f = ClaimFilter();
  f.deadline_before = T0() + absl::Hours(11);
  EXPECT_EQ(ids(f), sorted({c.id}));
  f = ClaimFilter();
  f.deadline_after = T0() + absl::Hours(11);
  EXPECT_EQ(ids(f), sorted({a.id, b.id}));
  f = ClaimFilter();
  f.created_after = T0() + absl::Hours(1);
  EXPECT_EQ(ids(f), sorted({b.id, c.id}));
  f.created_before = T0() + absl::Hours(2);
  EXPECT_EQ(ids(f), sorted({b.id}));
}

TEST_P(QueryTest, BadPageTokenIsInvalidArgument) {
  Create("p1", T0());
  for (std::string token : {"garbage!", "aGVsbG8", "azE6eDpp"}) {
    SCOPED_TRACE(token);
    EXPECT_THAT(repo_->ListClaims(ClaimFilter(), 10, token),
                StatusIs(absl::StatusCode::kInvalidArgument));
  }
  EXPECT_THAT(repo_->ListClaims(ClaimFilter(), -1, ""),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(QueryTest, EventsAreReadInSequenceFromAnyPoint) {
  workflow::Claim c = Create("p1", T0());
  workflow::Claim current = c;
  for (int i = 0; i < 5; ++i) {
    absl::Time now = T0() + absl::Minutes(i + 1);
    workflow::Decision d = Transition(current, absl::StrCat("step", i), "editing", now);
    d.events.push_back(d.events[0]);
    d.events[1].type = "second";
    d.events[1].attributes = {{"i", absl::StrCat(i)}, {"quote", "\"'\\"}};
    workflow::Claim after = workflow::ApplyDecision(current, d, now);
    ASSERT_OK(repo_->ApplyDecision(after, d, {}));
    current = after;
  }
  ASSERT_OK_AND_ASSIGN(std::vector<workflow::Event> all, repo_->ReadEvents(0, 100));
  ASSERT_THAT(all, SizeIs(11));
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].sequence, static_cast<int64_t>(i + 1));
  EXPECT_EQ(all[0].type, "claim_created");
  EXPECT_EQ(all[2].type, "second");
  EXPECT_EQ(all[2].attributes.at("quote"), "\"'\\");
  EXPECT_EQ(all[2].claim_id, c.id);
  EXPECT_EQ(all[2].partner_id, "p1");
  EXPECT_EQ(all[2].time, T0() + absl::Minutes(1));
  ASSERT_OK_AND_ASSIGN(std::vector<workflow::Event> tail, repo_->ReadEvents(8, 2));
  ASSERT_THAT(tail, SizeIs(2));
  EXPECT_EQ(tail[0].sequence, 9);
  EXPECT_EQ(tail[1].sequence, 10);
}

// A reader that resumes after the last sequence it saw must never miss an event, even while many
// writers commit at once: sequences become visible in order, without gaps.
TEST_P(QueryTest, ConcurrentWritersNeverLeaveAGapBehindAReader) {
  constexpr int kWriters = 4;
  constexpr int kClaimsEach = 15;
  std::atomic<int> done{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < kClaimsEach; ++i) Create(absl::StrCat("p", w), T0() + absl::Seconds(i));
      ++done;
    });
  }
  int64_t last = 0;
  std::vector<int64_t> seen;
  while (true) {
    bool finished = done.load() == kWriters;
    absl::StatusOr<std::vector<workflow::Event>> events = repo_->ReadEvents(last, 7);
    ASSERT_TRUE(events.ok()) << events.status();
    for (const workflow::Event& e : *events) {
      seen.push_back(e.sequence);
      last = e.sequence;
    }
    if (finished && events->empty()) break;
  }
  for (std::thread& t : writers) t.join();
  ASSERT_THAT(seen, SizeIs(kWriters * kClaimsEach));
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], static_cast<int64_t>(i + 1));
}

// A claim with one timer due at `due`; the firer below breaches it.
workflow::Claim CreateWithTimerDue(Repository& repo, const std::string& partner, absl::Time due) {
  RepositoryTest::NewClaim n = RepositoryTest::MakeClaim(partner, T0());
  n.claim.timers[0].due_at = due;
  n.claim.timers[0].warn_at = absl::InfiniteFuture();
  n.decision.timers = n.claim.timers;
  EXPECT_OK(repo.CreateClaim(n.claim, n.decision, WriteOptions()));
  return n.claim;
}

std::optional<AppliedDecision> Breach(const workflow::Claim& claim,
                                      const workflow::TimerInstance& timer, absl::Time now) {
  AppliedDecision out;
  workflow::Decision& d = out.decision;
  d.name = timer.name;
  d.from_state = claim.state;
  d.to_state = claim.state;
  d.state_entered_at = claim.state_entered_at;
  d.sla_status = workflow::SlaStatus::kBreached;
  d.facts = claim.facts;
  workflow::TimerInstance t = timer;
  t.status = workflow::TimerStatus::kBreached;
  d.timers.push_back(t);
  workflow::HistoryEntry h;
  h.kind = workflow::HistoryKind::kTimer;
  h.name = timer.name;
  h.time = now;
  d.history.push_back(h);
  workflow::Event e;
  e.type = "sla_breached";
  e.time = now;
  d.events.push_back(e);
  out.after = workflow::ApplyDecision(claim, d, now);
  return out;
}

TEST_P(QueryTest, DueTimersFireOnceAndNextDueIsReported) {
  ASSERT_OK_AND_ASSIGN(absl::Time next, repo_->NextTimerDue());
  EXPECT_EQ(next, absl::InfiniteFuture());
  workflow::Claim early = CreateWithTimerDue(*repo_, "p1", T0() + absl::Hours(1));
  workflow::Claim late = CreateWithTimerDue(*repo_, "p1", T0() + absl::Hours(2));
  ASSERT_OK_AND_ASSIGN(next, repo_->NextTimerDue());
  EXPECT_EQ(next, T0() + absl::Hours(1));

  absl::Time now = T0() + absl::Minutes(90);
  std::vector<std::string> fired;
  TimerFirer firer = [&](const workflow::Claim& c, const workflow::TimerInstance& t) {
    fired.push_back(c.id);
    return Breach(c, t, now);
  };
  ASSERT_OK_AND_ASSIGN(std::vector<FiredTimer> committed, repo_->FireDueTimers(now, 10, firer));
  ASSERT_EQ(committed.size(), 1u);
  EXPECT_EQ(committed[0].claim_id, early.id);
  EXPECT_EQ(committed[0].timer, early.timers[0].name);
  EXPECT_EQ(fired, std::vector<std::string>{early.id});
  ASSERT_OK_AND_ASSIGN(committed, repo_->FireDueTimers(now, 10, firer));
  EXPECT_THAT(committed, ::testing::IsEmpty()) << "a fired timer is no longer due";
  ASSERT_OK_AND_ASSIGN(next, repo_->NextTimerDue());
  EXPECT_EQ(next, T0() + absl::Hours(2));

  ASSERT_OK_AND_ASSIGN(workflow::Claim got, repo_->GetClaim(early.id));
  EXPECT_EQ(got.sla_status, workflow::SlaStatus::kBreached);
  EXPECT_EQ(got.timers[0].status, workflow::TimerStatus::kBreached);
  EXPECT_EQ(got.version, 2);
}

TEST_P(QueryTest, TimerLeftAloneByTheFirerStaysDue) {
  workflow::Claim c = CreateWithTimerDue(*repo_, "p1", T0() + absl::Hours(1));
  absl::Time now = T0() + absl::Hours(2);
  ASSERT_OK_AND_ASSIGN(
      std::vector<FiredTimer> committed,
      repo_->FireDueTimers(now, 10, [](auto&, auto&) { return std::optional<AppliedDecision>(); }));
  EXPECT_THAT(committed, ::testing::IsEmpty());
  // A firer that fails rolls back too: the timer is still due for the next sweep.
  EXPECT_THAT(
      repo_->FireDueTimers(now, 10,
                           [&](const workflow::Claim& claim, const workflow::TimerInstance& t) {
                             std::optional<AppliedDecision> out = Breach(claim, t, now);
                             out->after.version += 5;
                             return out;
                           }),
      StatusIs(absl::StatusCode::kInternal));
  ASSERT_OK_AND_ASSIGN(committed, repo_->FireDueTimers(now, 10, [&](auto& claim, auto& t) {
    return Breach(claim, t, now);
  }));
  EXPECT_EQ(committed.size(), 1u);
  ASSERT_OK_AND_ASSIGN(workflow::Claim got, repo_->GetClaim(c.id));
  EXPECT_EQ(got.version, 2);
}

// The bar: concurrent sweepers fire each due timer exactly once.
TEST_P(QueryTest, ConcurrentSweepersFireEachTimerExactlyOnce) {
  constexpr int kClaims = 60;
  constexpr int kSweepers = 4;
  for (int i = 0; i < kClaims; ++i) {
    CreateWithTimerDue(*repo_, absl::StrCat("p", i % 3), T0() + absl::Minutes(i));
  }
  absl::Time now = T0() + absl::Hours(5);
  std::atomic<int> total{0};
  std::vector<std::thread> sweepers;
  for (int s = 0; s < kSweepers; ++s) {
    sweepers.emplace_back([&] {
      for (int rounds = 0; rounds < 200; ++rounds) {
        absl::StatusOr<std::vector<FiredTimer>> n = repo_->FireDueTimers(
            now, 5, [&](auto& claim, auto& t) { return Breach(claim, t, now); });
        ASSERT_TRUE(n.ok()) << n.status();
        total += static_cast<int>(n->size());
        absl::StatusOr<absl::Time> next = repo_->NextTimerDue();
        ASSERT_TRUE(next.ok()) << next.status();
        if (*next > now) return;
      }
    });
  }
  for (std::thread& t : sweepers) t.join();
  EXPECT_EQ(total.load(), kClaims);
  ASSERT_OK_AND_ASSIGN(std::vector<workflow::Event> events, repo_->ReadEvents(0, 1000));
  std::map<std::string, int> breaches;
  for (const workflow::Event& e : events) {
    if (e.type == "sla_breached") ++breaches[e.claim_id];
  }
  EXPECT_EQ(breaches.size(), static_cast<size_t>(kClaims));
  for (const auto& [claim, n] : breaches) EXPECT_EQ(n, 1) << claim;
}

INSTANTIATE_TEST_SUITE_P(Backends, QueryTest,
                         ::testing::Values(TestBackend::kSqlite, TestBackend::kMariaDb),
                         BackendName);

}  // namespace
}  // namespace claims::storage
