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

absl::StatusOr<std::vector<FiredTimer>> SociRepository::FireDueTimers(absl::Time now,
                                                                      int batch_size,
                                                                      const TimerFirer& fire) {
  if (batch_size <= 0) return absl::InvalidArgumentError("batch_size must be positive");
  const int64_t now_value = EncodeTime(now);
  std::shared_ptr<const WriteHook> hook = Hook();
  std::vector<FiredTimer> fired;
  // No CommitCheck: running the batch again after an ambiguous commit fires only what is still
  // due, so a timer that did fire is not fired again.
  RETURN_IF_ERROR(Transact("FireDueTimers", TxMode::kWrite, [&](Conn& s) -> absl::Status {
    fired.clear();
    std::vector<std::pair<std::string, std::string>> due;
    {
      std::string claim_id, name;
      Stmt st(s);
      st.Into(claim_id).Into(name).Use(now_value).Use(batch_size);
      for (bool more = st.Run(dialect_.select_due_timers); more; more = st.Fetch()) {
        due.emplace_back(claim_id, name);
      }
    }
    for (const auto& [claim_id, name] : due) {
      ASSIGN_OR_RETURN(std::optional<Claim> claim,
                       LoadClaim(s, dialect_.select_claim_for_sweep, claim_id));
      // Held by a writer right now: the timer stays due for the next sweep.
      if (!claim.has_value()) continue;
      auto timer = std::find_if(claim->timers.begin(), claim->timers.end(),
                                [&](const workflow::TimerInstance& t) { return t.name == name; });
      // An earlier timer of this batch may have changed this one already.
      if (timer == claim->timers.end() || timer->NextFireAt() > now) continue;
      std::optional<AppliedDecision> applied;
      try {
        applied = fire(*claim, *timer);
      } catch (const std::exception& e) {
        return absl::InternalError(absl::StrCat("timer firer threw: ", e.what()));
      }
      if (!applied.has_value()) continue;
      if (applied->after.id != claim->id || applied->after.version != claim->version + 1) {
        return absl::InternalError(absl::StrCat(
            "timer firer returned claim ", applied->after.id, " at version ",
            applied->after.version, " for claim ", claim->id, " at version ", claim->version));
      }
      RETURN_IF_ERROR(Validate(applied->after, applied->decision, WriteOptions()));
      RETURN_IF_ERROR(WriteDecision(s, applied->after, applied->decision, WriteOptions(),
                                    NewId(absl::Now()), /*create=*/false, hook.get()));
      fired.push_back({claim->id, name, applied->decision.from_state, applied->decision.to_state});
    }
    return absl::OkStatus();
  }));
  return fired;
}

absl::StatusOr<absl::Time> SociRepository::NextTimerDue() {
  int64_t next = kTimeNever;
  RETURN_IF_ERROR(Transact("NextTimerDue", TxMode::kNone, [&](Conn& s) {
    Stmt st(s);
    st.Into(next);
    st.Run(kSelectNextTimerDue);
    return absl::OkStatus();
  }));
  return DecodeTime(next);
}

}  // namespace claims::storage::internal
