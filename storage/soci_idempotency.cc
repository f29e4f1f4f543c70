#include <soci/soci.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "storage/ids.h"
#include "storage/internal/codec.h"
#include "storage/internal/rows.h"
#include "storage/internal/soci_repository_impl.h"
#include "storage/internal/status_macros.h"
#include "storage/internal/strings.h"

namespace claims::storage::internal {

using workflow::Claim;
using workflow::Decision;

absl::StatusOr<std::optional<IdempotencyRecord>> SociRepository::FindIdempotencyRecord(
    std::string_view scope, std::string_view request_id, absl::Time now) {
  std::optional<IdempotencyRecord> found;
  const std::string scope_value(scope), request_value(request_id);
  const int64_t now_value = EncodeTime(now);
  RETURN_IF_ERROR(Transact("FindIdempotencyRecord", TxMode::kNone, [&](Conn& s) -> absl::Status {
    IdempotencyRecord rec;
    int64_t expire = 0;
    Stmt st(s);
    st.Into(rec.request_hash).Into(rec.response).Into(expire);
    st.Use(scope_value).Use(request_value).Use(now_value);
    found.reset();
    if (st.Run(kSelectIdempotency)) {
      rec.scope = scope_value;
      rec.request_id = request_value;
      rec.expire_time = DecodeTime(expire);
      found = std::move(rec);
    }
    return absl::OkStatus();
  }));
  return found;
}

absl::StatusOr<int64_t> SociRepository::PurgeExpiredIdempotencyRecords(absl::Time now) {
  // A few hundred rows a statement, each committed by itself: a writer waits behind one batch
  // at most, never behind the whole backlog.
  constexpr int kBatch = 500;
  int64_t purged = 0;
  const int64_t now_value = EncodeTime(now);
  while (purged < kPurgeLimitPerCall) {
    int64_t removed = 0;
    RETURN_IF_ERROR(
        Transact("PurgeExpiredIdempotencyRecords", TxMode::kNone, [&](Conn& s) -> absl::Status {
          const int limit = kBatch;
          Stmt st(s);
          st.Use(now_value).Use(limit);
          st.Run(dialect_.purge_idempotency_batch);
          removed = st.AffectedRows();
          return absl::OkStatus();
        }));
    purged += removed;
    if (removed < kBatch) break;
  }
  return purged;
}

}  // namespace claims::storage::internal
