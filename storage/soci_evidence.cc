#include <soci/soci.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "storage/ids.h"
#include "storage/internal/codec.h"
#include "storage/internal/rows.h"
#include "storage/internal/soci_repository_impl.h"
#include "storage/internal/status_macros.h"
#include "storage/internal/strings.h"

namespace claims::storage::internal {
namespace {

// Evidence content is stored in rows of at most this many bytes: the unit a download reads
// at once. Streamed uploads store each message as it came (at most 1 MiB, the API's limit).
constexpr std::size_t kInlineChunkBytes = 1024 * 1024;

constexpr std::string_view kInsertEvidenceChunk =
    "INSERT INTO evidence_chunks (claim_id, evidence_id, chunk_index, data) "
    "VALUES (:claim_id, :evidence_id, :chunk_index, :data)";
constexpr std::string_view kSelectEvidenceChunk =
    "SELECT data FROM evidence_chunks "
    "WHERE claim_id = :claim_id AND evidence_id = :evidence_id AND chunk_index = :chunk_index";
constexpr std::string_view kInsertEvidenceUpload =
    "INSERT INTO evidence_uploads (id, claim_id, start_time) "
    "VALUES (:id, :claim_id, :start_time)";
constexpr std::string_view kSelectEvidenceUpload =
    "SELECT id FROM evidence_uploads WHERE id = :id AND claim_id = :claim_id";
// Publishing: the decision's transaction deletes the upload row, which makes the staged chunks
// the evidence's content; a row already gone means the upload was discarded meanwhile.
constexpr std::string_view kDeleteEvidenceUpload =
    "DELETE FROM evidence_uploads WHERE id = :id AND claim_id = :claim_id";
constexpr std::string_view kDeleteEvidenceChunks =
    "DELETE FROM evidence_chunks WHERE claim_id = :claim_id AND evidence_id = :evidence_id";
constexpr std::string_view kSelectAbandonedUploads =
    "SELECT id, claim_id FROM evidence_uploads WHERE start_time < :cutoff "
    "ORDER BY start_time LIMIT :limit";

void InsertChunk(Conn& s, const std::string& claim_id, const std::string& evidence_id,
                 int64_t index, const std::string& data) {
  Stmt ins(s);
  ins.Use(claim_id).Use(evidence_id).Use(index).Use(data);
  ins.Run(kInsertEvidenceChunk);
}

}  // namespace

absl::Status SociRepository::InsertEvidence(Conn& s, const std::string& claim_id,
                                            const std::vector<workflow::Evidence>& evidence,
                                            const std::vector<std::string>& published_uploads,
                                            absl::Time id_time) {
  if (evidence.empty()) return absl::OkStatus();
  struct Row {
    std::string id;
    int64_t size, time;
  };
  std::vector<Row> rows;
  rows.reserve(evidence.size());
  for (const workflow::Evidence& e : evidence) {
    rows.push_back({e.id.empty() ? NewId(id_time) : e.id,
                    e.content.empty() ? e.size_bytes : static_cast<int64_t>(e.content.size()),
                    EncodeTime(e.upload_time)});
  }
  Stmt ins(s);
  for (size_t i = 0; i < evidence.size(); ++i) {
    const workflow::Evidence& e = evidence[i];
    const Row& r = rows[i];
    ins.Use(claim_id).Use(r.id).Use(e.file_name).Use(e.content_type).Use(r.size);
    ins.Use(e.sha256_hex).Use(e.uploaded_by).Use(r.time);
  }
  ins.Run(RowsSql(kInsertEvidencePrefix, kEvidenceRow, evidence.size()));

  for (size_t i = 0; i < evidence.size(); ++i) {
    const std::string& id = rows[i].id;
    if (std::find(published_uploads.begin(), published_uploads.end(), id) !=
        published_uploads.end()) {
      Stmt del(s);
      del.Use(id).Use(claim_id);
      del.Run(kDeleteEvidenceUpload);
      if (del.AffectedRows() != 1) {
        return absl::FailedPreconditionError(
            absl::StrCat("the upload of evidence ", id, " is no longer staged"));
      }
      continue;
    }
    const std::string& content = evidence[i].content;
    for (std::size_t offset = 0, index = 0; offset < content.size();
         offset += kInlineChunkBytes, ++index) {
      InsertChunk(s, claim_id, id, static_cast<int64_t>(index),
                  content.substr(offset, kInlineChunkBytes));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<workflow::Evidence> SociRepository::GetEvidenceMetadata(
    std::string_view claim_id, std::string_view evidence_id) {
  workflow::Evidence e;
  bool found = false;
  const std::string claim(claim_id), id(evidence_id);
  RETURN_IF_ERROR(Transact("GetEvidenceMetadata", TxMode::kNone, [&](Conn& s) -> absl::Status {
    int64_t upload_time = 0;
    Stmt st(s);
    st.Into(e.id).Into(e.file_name).Into(e.content_type).Into(e.size_bytes).Into(e.sha256_hex);
    st.Into(e.uploaded_by).Into(upload_time).Use(claim).Use(id);
    found = st.Run(kSelectOneEvidenceMetadata);
    e.upload_time = DecodeTime(upload_time);
    return absl::OkStatus();
  }));
  if (!found) {
    return absl::NotFoundError(
        absl::StrCat("evidence ", Av(evidence_id), " of claim ", Av(claim_id), " not found"));
  }
  return e;
}

absl::StatusOr<std::optional<std::string>> SociRepository::ReadEvidenceChunk(
    std::string_view claim_id, std::string_view evidence_id, int64_t index) {
  std::optional<std::string> chunk;
  const std::string claim(claim_id), id(evidence_id);
  RETURN_IF_ERROR(Transact("ReadEvidenceChunk", TxMode::kNone, [&](Conn& s) -> absl::Status {
    std::string data;
    Stmt st(s);
    st.Into(data).Use(claim).Use(id).Use(index);
    chunk.reset();
    if (st.Run(kSelectEvidenceChunk)) chunk = std::move(data);
    return absl::OkStatus();
  }));
  return chunk;
}

absl::StatusOr<workflow::Evidence> SociRepository::GetEvidence(std::string_view claim_id,
                                                               std::string_view evidence_id) {
  ASSIGN_OR_RETURN(workflow::Evidence e, GetEvidenceMetadata(claim_id, evidence_id));
  for (int64_t index = 0;; ++index) {
    ASSIGN_OR_RETURN(std::optional<std::string> chunk,
                     ReadEvidenceChunk(claim_id, evidence_id, index));
    if (!chunk.has_value()) break;
    e.content += *chunk;
  }
  return e;
}

absl::Status SociRepository::BeginEvidenceUpload(std::string_view claim_id,
                                                 std::string_view evidence_id, absl::Time now) {
  const std::string claim(claim_id), id(evidence_id);
  const int64_t start = EncodeTime(now);
  return Transact("BeginEvidenceUpload", TxMode::kNone, [&](Conn& s) -> absl::Status {
    Stmt ins(s);
    ins.Use(id).Use(claim).Use(start);
    ins.Run(kInsertEvidenceUpload);
    return absl::OkStatus();
  });
}

absl::Status SociRepository::AppendEvidenceChunk(std::string_view claim_id,
                                                 std::string_view evidence_id, int64_t index,
                                                 std::string_view data) {
  const std::string claim(claim_id), id(evidence_id), bytes(data);
  return Transact("AppendEvidenceChunk", TxMode::kWrite, [&](Conn& s) -> absl::Status {
    // Checked in the transaction that inserts, so a chunk never lands after a discard.
    std::string staged;
    Stmt probe(s);
    probe.Into(staged).Use(id).Use(claim);
    if (!probe.Run(kSelectEvidenceUpload)) {
      return absl::NotFoundError(absl::StrCat("no upload of evidence ", id, " is staged"));
    }
    InsertChunk(s, claim, id, index, bytes);
    return absl::OkStatus();
  });
}

absl::Status SociRepository::DiscardEvidenceUpload(std::string_view claim_id,
                                                   std::string_view evidence_id) {
  const std::string claim(claim_id), id(evidence_id);
  return Transact("DiscardEvidenceUpload", TxMode::kWrite, [&](Conn& s) -> absl::Status {
    // Only while the upload row exists: once published, the chunks are the evidence's content.
    Stmt del(s);
    del.Use(id).Use(claim);
    del.Run(kDeleteEvidenceUpload);
    if (del.AffectedRows() == 0) return absl::OkStatus();
    Stmt chunks(s);
    chunks.Use(claim).Use(id);
    chunks.Run(kDeleteEvidenceChunks);
    return absl::OkStatus();
  });
}

absl::StatusOr<int64_t> SociRepository::PurgeAbandonedEvidenceUploads(absl::Time cutoff) {
  constexpr int kBatch = 100;
  const int64_t cutoff_value = EncodeTime(cutoff);
  int64_t purged = 0;
  while (purged < kPurgeLimitPerCall) {
    std::vector<std::pair<std::string, std::string>> abandoned;
    RETURN_IF_ERROR(
        Transact("PurgeAbandonedEvidenceUploads", TxMode::kNone, [&](Conn& s) -> absl::Status {
          abandoned.clear();
          std::string id, claim;
          const int limit = kBatch;
          Stmt st(s);
          st.Into(id).Into(claim).Use(cutoff_value).Use(limit);
          for (bool more = st.Run(kSelectAbandonedUploads); more; more = st.Fetch()) {
            abandoned.emplace_back(id, claim);
          }
          return absl::OkStatus();
        }));
    // One transaction per upload: each holds its chunks' locks only briefly.
    for (const auto& [id, claim] : abandoned) {
      RETURN_IF_ERROR(DiscardEvidenceUpload(claim, id));
    }
    purged += static_cast<int64_t>(abandoned.size());
    if (abandoned.size() < static_cast<std::size_t>(kBatch)) break;
  }
  return purged;
}

}  // namespace claims::storage::internal
