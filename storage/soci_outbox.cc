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

void SociRepository::AppendEvents(Conn& s, const Claim& after,
                                  const std::vector<workflow::Event>& events) {
  if (events.empty()) return;
  // Last in the transaction, so the counter row stays locked only for the few statements
  // before commit.
  const auto count = static_cast<int64_t>(events.size());
  int64_t last = 0;
  {
    Stmt bump(s);
    if (dialect_.bump_event_counter_returns) bump.Into(last);
    bump.Use(count);
    bump.Run(dialect_.bump_event_counter);
  }
  struct Row {
    int64_t number;
    int64_t time;
    std::string attributes;
  };
  std::vector<Row> rows;
  rows.reserve(events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    const workflow::Event& ev = events[i];
    const auto k = static_cast<int64_t>(i);
    rows.push_back({dialect_.bump_event_counter_returns ? last - count + k + 1 : count - k - 1,
                    EncodeTime(ev.time == absl::InfinitePast() ? after.update_time : ev.time),
                    EncodeAttributes(ev.attributes)});
  }
  Stmt ins(s);
  for (size_t i = 0; i < events.size(); ++i) {
    const workflow::Event& ev = events[i];
    const Row& r = rows[i];
    ins.Use(r.number).Use(ev.type).Use(ev.claim_id.empty() ? after.id : ev.claim_id);
    ins.Use(ev.partner_id.empty() ? after.partner_id : ev.partner_id).Use(r.time);
    ins.Use(r.attributes);
  }
  ins.Run(RowsSql(kInsertEventPrefix, dialect_.event_row_after_bump, events.size()));
}

absl::StatusOr<std::vector<workflow::Event>> SociRepository::ReadEvents(int64_t after_sequence,
                                                                        int max_events) {
  if (max_events <= 0) return absl::InvalidArgumentError("max_events must be positive");
  std::vector<workflow::Event> events;
  RETURN_IF_ERROR(Transact("ReadEvents", TxMode::kNone, [&](Conn& s) -> absl::Status {
    events.clear();
    workflow::Event ev;
    int64_t time = 0;
    std::string attributes;
    Stmt st(s);
    st.Into(ev.sequence).Into(ev.type).Into(ev.claim_id).Into(ev.partner_id).Into(time);
    st.Into(attributes).Use(after_sequence).Use(max_events);
    for (bool more = st.Run(kSelectEvents); more; more = st.Fetch()) {
      ev.time = DecodeTime(time);
      ASSIGN_OR_RETURN(ev.attributes, DecodeAttributes(attributes));
      events.push_back(ev);
    }
    return absl::OkStatus();
  }));
  return events;
}

}  // namespace claims::storage::internal
