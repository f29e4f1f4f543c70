#pragma once

// The storage conformance suite's fixture: every test runs once on SQLite and once on MariaDB,
// each on a database of its own, through the Repository interface only.

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "storage/ids.h"
#include "storage/repository.h"
#include "storage/soci_repository.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_databases.h"
#include "workflow/claim.h"
#include "workflow/decision.h"

namespace claims::storage {

enum class TestBackend { kSqlite, kMariaDb };

inline std::string BackendName(const ::testing::TestParamInfo<TestBackend>& info) {
  return info.param == TestBackend::kSqlite ? "Sqlite" : "MariaDb";
}

// A fixed, microsecond-aligned instant: stored times are exact to the microsecond.
inline absl::Time T0() { return absl::FromUnixSeconds(1767225600); }  // 2026-01-01T00:00:00Z

// A database of its own on the backend, not opened: for migrations and plans.
class FreshDatabaseTest : public ::testing::TestWithParam<TestBackend> {
 protected:
  void SetUp() override {
    if (GetParam() == TestBackend::kSqlite) {
      options_.url = testing::FreshSqliteUrl();
    } else {
      absl::StatusOr<std::string> url = testing::FreshMariaDbUrl();
      ASSERT_TRUE(url.ok()) << url.status();
      options_.url = *url;
    }
  }
  void TearDown() override {
    if (GetParam() == TestBackend::kSqlite) testing::RemoveSqliteDatabase(options_.url);
  }
  StorageOptions options_;
};

class RepositoryTest : public ::testing::TestWithParam<TestBackend> {
 protected:
  // The inline evidence limit the repository is opened with.
  virtual int64_t MaxEvidenceBytes() const { return 64 * 1024; }

  void SetUp() override {
    if (GetParam() == TestBackend::kSqlite) {
      url_ = testing::FreshSqliteUrl();
    } else {
      // Never skipped: a missing or unreachable server is a failure that says what to do.
      absl::StatusOr<std::string> url = testing::FreshMariaDbUrl();
      ASSERT_TRUE(url.ok()) << url.status();
      url_ = *url;
    }
    options_.url = url_;
    options_.max_evidence_bytes = MaxEvidenceBytes();
    absl::StatusOr<std::unique_ptr<Repository>> repo = OpenSociRepository(options_);
    ASSERT_TRUE(repo.ok()) << repo.status();
    repo_ = std::move(*repo);
  }

  void TearDown() override {
    repo_.reset();
    if (GetParam() == TestBackend::kSqlite) testing::RemoveSqliteDatabase(url_);
  }

 public:
  absl::StatusOr<std::unique_ptr<Repository>> OpenAnother() { return OpenSociRepository(options_); }

  // A claim as the server would create it: version 1, one armed timer, the creation decision.
  struct NewClaim {
    workflow::Claim claim;
    workflow::Decision decision;
  };
  static NewClaim MakeClaim(std::string partner, absl::Time now, std::string state = "editing") {
    NewClaim n;
    workflow::Claim& c = n.claim;
    c.id = NewId(now);
    c.partner_id = std::move(partner);
    c.fields.mpn_id = "mpn-1";
    c.fields.customer = {"0b5e2c9a-7f1d-4c3e-9a55-3a1d2f0e9c11", "Contoso \xc3\x9c"};
    c.fields.customer_contact = {"Ann", "ann@contoso.example", "+1 555 0100"};
    c.fields.partner_contact = {"Bob", "bob@fabrikam.example", "+1 555 0199"};
    c.fields.products = {"azure", "m365"};
    c.fields.activity = "revenue_association";
    c.workflow_name = "cpor-association";
    c.workflow_version = 3;
    c.state = std::move(state);
    c.state_entered_at = now;
    c.sla_status = workflow::SlaStatus::kOnTrack;
    c.next_deadline = now + absl::Hours(120);
    c.facts.action_counts["create"] = 1;
    c.facts.last_reasons["rejection"] = {"insufficient_poe"};
    c.facts.evidence_added_in_state = 0;
    workflow::TimerInstance t;
    t.name = "review_start";
    t.status = workflow::TimerStatus::kArmed;
    t.started_at = now;
    t.due_at = now + absl::Hours(120);
    t.warn_at = now + absl::Hours(96);
    c.timers.push_back(t);
    c.version = 1;
    c.create_time = now;
    c.update_time = now;
    c.created_by = "user-1";

    workflow::Decision& d = n.decision;
    d.name = "create";
    d.to_state = c.state;
    d.state_entered_at = now;
    d.next_deadline = c.next_deadline;
    d.facts = c.facts;
    d.timers = c.timers;
    workflow::HistoryEntry h;
    h.kind = workflow::HistoryKind::kCreated;
    h.name = "create";
    h.actor_id = "user-1";
    h.perspective = workflow::Perspective::kPartner;
    h.time = now;
    h.to_state = c.state;
    d.history.push_back(h);
    workflow::Event e;
    e.type = "claim_created";
    e.claim_id = c.id;
    e.partner_id = c.partner_id;
    e.time = now;
    e.attributes = {{"state", c.state}};
    d.events.push_back(e);
    return n;
  }

  // A transition from `before.state` to `to` with history and one event.
  static workflow::Decision Transition(const workflow::Claim& before, std::string name,
                                       std::string to, absl::Time now) {
    workflow::Decision d;
    d.name = name;
    d.from_state = before.state;
    d.to_state = std::move(to);
    d.state_entered_at = now;
    d.sla_status = before.sla_status;
    d.next_deadline = before.next_deadline;
    d.facts = before.facts;
    d.facts.action_counts[name] += 1;
    workflow::HistoryEntry h;
    h.kind = workflow::HistoryKind::kAction;
    h.name = name;
    h.actor_id = "reviewer-1";
    h.perspective = workflow::Perspective::kReviewer;
    h.time = now;
    h.from_state = before.state;
    h.to_state = d.to_state;
    h.reasons = {"missing_products"};
    h.comment = "please add products";
    h.changes = {{"products", "[]", "[\"azure\"]"}};
    d.history.push_back(h);
    workflow::Event e;
    e.type = absl::StrCat("claim_", name);
    e.claim_id = before.id;
    e.partner_id = before.partner_id;
    e.time = now;
    d.events.push_back(e);
    return d;
  }

  // Creates a claim and returns it as stored.
  workflow::Claim Create(std::string partner, absl::Time now, std::string state = "editing") {
    NewClaim n = MakeClaim(std::move(partner), now, std::move(state));
    EXPECT_OK(repo_->CreateClaim(n.claim, n.decision, WriteOptions()));
    return n.claim;
  }

  static workflow::Comment MakeComment(
      std::string author, std::string text, absl::Time now,
      workflow::Perspective perspective = workflow::Perspective::kPartner,
      workflow::CommentVisibility visibility = workflow::CommentVisibility::kPublic) {
    workflow::Comment c;
    c.author_id = std::move(author);
    c.perspective = perspective;
    c.text = std::move(text);
    c.visibility = visibility;
    c.create_time = now;
    return c;
  }

  static workflow::Evidence MakeEvidence(std::string file_name, std::string content,
                                         absl::Time now) {
    workflow::Evidence e;
    e.file_name = std::move(file_name);
    e.content_type = "application/pdf";
    e.sha256_hex = std::string(64, 'a');
    e.uploaded_by = "user-1";
    e.upload_time = now;
    e.content = std::move(content);
    return e;
  }

  static void ExpectSameClaim(const workflow::Claim& got, const workflow::Claim& want) {
    EXPECT_EQ(got.id, want.id);
    EXPECT_EQ(got.partner_id, want.partner_id);
    EXPECT_EQ(got.fields, want.fields);
    EXPECT_EQ(got.workflow_name, want.workflow_name);
    EXPECT_EQ(got.workflow_version, want.workflow_version);
    EXPECT_EQ(got.state, want.state);
    EXPECT_EQ(got.state_entered_at, want.state_entered_at);
    EXPECT_EQ(got.sla_status, want.sla_status);
    EXPECT_EQ(got.next_deadline, want.next_deadline);
    EXPECT_EQ(got.evidence_count, want.evidence_count);
    EXPECT_EQ(got.facts, want.facts);
    EXPECT_EQ(got.timers, want.timers);
    EXPECT_EQ(got.version, want.version);
    EXPECT_EQ(got.create_time, want.create_time);
    EXPECT_EQ(got.update_time, want.update_time);
    EXPECT_EQ(got.created_by, want.created_by);
  }

 protected:
  std::string url_;
  StorageOptions options_;
  std::unique_ptr<Repository> repo_;
};

}  // namespace claims::storage
