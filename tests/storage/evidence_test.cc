// Evidence content: chunked storage, staged uploads published by a decision or discarded.

#include <optional>
#include <string>

#include "tests/storage/repository_fixture.h"

namespace claims::storage {
namespace {

using ::claims::testing::StatusIs;

// Bytes that are not text: every value, NULs included, in a pattern that changes per chunk.
std::string Binary(std::size_t size, std::size_t seed) {
  std::string out(size, '\0');
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<char>((i * 31 + seed) % 256);
  return out;
}

class EvidenceStorageTest : public RepositoryTest {
 protected:
  // Room for inline content of several chunks.
  int64_t MaxEvidenceBytes() const override { return 4 * 1024 * 1024; }

  // Adds `evidence` to `before` in one decision, publishing `published` uploads.
  absl::Status AddEvidence(const workflow::Claim& before, workflow::Evidence evidence,
                           std::vector<std::string> published = {}) {
    const absl::Time now = T0() + absl::Minutes(1);
    workflow::Decision d;
    d.name = "add_evidence";
    d.from_state = before.state;
    d.to_state = before.state;
    d.state_entered_at = before.state_entered_at;
    d.sla_status = before.sla_status;
    d.next_deadline = before.next_deadline;
    d.facts = before.facts;
    d.evidence.push_back(std::move(evidence));
    d.evidence_added = 1;
    workflow::Claim after = workflow::ApplyDecision(before, d, now);
    WriteOptions options;
    options.published_uploads = std::move(published);
    return repo_->ApplyDecision(after, d, options);
  }

  std::optional<std::string> Chunk(const std::string& claim, const std::string& id, int64_t i) {
    absl::StatusOr<std::optional<std::string>> chunk = repo_->ReadEvidenceChunk(claim, id, i);
    EXPECT_OK(chunk.status());
    return chunk.ok() ? *chunk : std::nullopt;
  }
};

TEST_P(EvidenceStorageTest, InlineContentIsStoredInMegabyteChunks) {
  workflow::Claim claim = Create("partner-1", T0());
  const std::string content = Binary(2 * 1024 * 1024 + 5, 7);
  workflow::Evidence e = MakeEvidence("poe.pdf", content, T0());
  e.id = NewId(T0());
  ASSERT_OK(AddEvidence(claim, e));

  EXPECT_EQ(Chunk(claim.id, e.id, 0), content.substr(0, 1024 * 1024));
  EXPECT_EQ(Chunk(claim.id, e.id, 1), content.substr(1024 * 1024, 1024 * 1024));
  EXPECT_EQ(Chunk(claim.id, e.id, 2), content.substr(2 * 1024 * 1024));
  EXPECT_EQ(Chunk(claim.id, e.id, 3), std::nullopt);
  ASSERT_OK_AND_ASSIGN(workflow::Evidence whole, repo_->GetEvidence(claim.id, e.id));
  EXPECT_EQ(whole.content, content);
  ASSERT_OK_AND_ASSIGN(workflow::Evidence metadata, repo_->GetEvidenceMetadata(claim.id, e.id));
  EXPECT_EQ(metadata.size_bytes, static_cast<int64_t>(content.size()));
  EXPECT_TRUE(metadata.content.empty());
  // The chunks belong to their claim: asked under another claim, there are none.
  EXPECT_EQ(Chunk(NewId(T0()), e.id, 0), std::nullopt);
}

TEST_P(EvidenceStorageTest, StagedUploadIsInvisibleUntilADecisionPublishesIt) {
  workflow::Claim claim = Create("partner-1", T0());
  const std::string id = NewId(T0());
  const std::string first = Binary(1024 * 1024, 1), second = Binary(1000, 2);
  ASSERT_OK(repo_->BeginEvidenceUpload(claim.id, id, T0()));
  ASSERT_OK(repo_->AppendEvidenceChunk(claim.id, id, 0, first));
  ASSERT_OK(repo_->AppendEvidenceChunk(claim.id, id, 1, second));
  EXPECT_THAT(repo_->AppendEvidenceChunk(claim.id, id, 1, second),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(repo_->GetEvidenceMetadata(claim.id, id), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(ClaimDetails staged,
                       repo_->GetClaimDetails(claim.id, workflow::Perspective::kReviewer));
  EXPECT_TRUE(staged.evidence.empty());

  workflow::Evidence e = MakeEvidence("big.pdf", "", T0());
  e.id = id;
  e.size_bytes = static_cast<int64_t>(first.size() + second.size());
  ASSERT_OK(AddEvidence(claim, e, {id}));

  ASSERT_OK_AND_ASSIGN(workflow::Evidence whole, repo_->GetEvidence(claim.id, id));
  EXPECT_EQ(whole.size_bytes, e.size_bytes);
  EXPECT_EQ(whole.content, first + second);
  // Published: appending and discarding no longer touch it.
  EXPECT_THAT(repo_->AppendEvidenceChunk(claim.id, id, 2, "late"),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK(repo_->DiscardEvidenceUpload(claim.id, id));
  EXPECT_EQ(Chunk(claim.id, id, 1), second);
}

TEST_P(EvidenceStorageTest, DiscardedUploadLeavesNothingAndCannotBePublished) {
  workflow::Claim claim = Create("partner-1", T0());
  const std::string id = NewId(T0());
  ASSERT_OK(repo_->BeginEvidenceUpload(claim.id, id, T0()));
  ASSERT_OK(repo_->AppendEvidenceChunk(claim.id, id, 0, Binary(4096, 3)));
  ASSERT_OK(repo_->DiscardEvidenceUpload(claim.id, id));

  EXPECT_EQ(Chunk(claim.id, id, 0), std::nullopt);
  EXPECT_THAT(repo_->AppendEvidenceChunk(claim.id, id, 1, "x"),
              StatusIs(absl::StatusCode::kNotFound));
  workflow::Evidence e = MakeEvidence("gone.pdf", "", T0());
  e.id = id;
  e.size_bytes = 4096;
  EXPECT_THAT(AddEvidence(claim, e, {id}), StatusIs(absl::StatusCode::kFailedPrecondition));
  // The whole decision was rolled back.
  ASSERT_OK_AND_ASSIGN(workflow::Claim stored, repo_->GetClaim(claim.id));
  EXPECT_EQ(stored.version, claim.version);
  EXPECT_THAT(repo_->GetEvidenceMetadata(claim.id, id), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(EvidenceStorageTest, UploadsOfAnotherClaimCannotBeAppendedToOrPublished) {
  workflow::Claim mine = Create("partner-1", T0());
  workflow::Claim other = Create("partner-2", T0());
  const std::string id = NewId(T0());
  ASSERT_OK(repo_->BeginEvidenceUpload(other.id, id, T0()));
  EXPECT_THAT(repo_->AppendEvidenceChunk(mine.id, id, 0, "x"),
              StatusIs(absl::StatusCode::kNotFound));
  workflow::Evidence e = MakeEvidence("theirs.pdf", "", T0());
  e.id = id;
  e.size_bytes = 1;
  EXPECT_THAT(AddEvidence(mine, e, {id}), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_P(EvidenceStorageTest, AbandonedUploadsArePurgedAndRecentOnesKept) {
  workflow::Claim claim = Create("partner-1", T0());
  const std::string old_id = NewId(T0()), recent_id = NewId(T0() + absl::Hours(2));
  ASSERT_OK(repo_->BeginEvidenceUpload(claim.id, old_id, T0()));
  ASSERT_OK(repo_->AppendEvidenceChunk(claim.id, old_id, 0, "abandoned"));
  ASSERT_OK(repo_->BeginEvidenceUpload(claim.id, recent_id, T0() + absl::Hours(2)));

  ASSERT_OK_AND_ASSIGN(int64_t purged, repo_->PurgeAbandonedEvidenceUploads(T0() + absl::Hours(1)));
  EXPECT_EQ(purged, 1);
  EXPECT_EQ(Chunk(claim.id, old_id, 0), std::nullopt);
  EXPECT_THAT(repo_->AppendEvidenceChunk(claim.id, old_id, 1, "x"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_OK(repo_->AppendEvidenceChunk(claim.id, recent_id, 0, "still going"));
}

INSTANTIATE_TEST_SUITE_P(Backends, EvidenceStorageTest,
                         ::testing::Values(TestBackend::kSqlite, TestBackend::kMariaDb),
                         BackendName);

}  // namespace
}  // namespace claims::storage
