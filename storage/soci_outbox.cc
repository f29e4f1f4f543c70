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
#include "absl/strings/str_replace.h"
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

namespace {

// Sequencer passes take at most this many events; retention removes at most this many a batch.
constexpr int kSequenceBatch = 500;
constexpr int kPurgeBatch = 500;

}  // namespace

int PartitionOf(std::string_view claim_id, int partitions) {
  // FNV-1a: stable across builds and platforms, unlike std::hash, and even over ULIDs.
  uint32_t hash = 2166136261u;
  for (char c : claim_id) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 16777619u;
  }
  return static_cast<int>(hash % static_cast<uint32_t>(partitions));
}

void SociRepository::AppendEvents(Conn& s, const Claim& after,
                                  const std::vector<workflow::Event>& events) {
  if (events.empty()) return;
  const auto count = static_cast<int64_t>(events.size());
  int64_t last = 0;
  if (dialect_.sequences_at_write) {
    Stmt bump(s);
    bump.Into(last).Use(count);
    bump.Run(kBumpEventCounterReturning);
  }
  struct Row {
    int64_t sequence;
    int64_t time;
    std::string attributes;
  };
  std::vector<Row> rows;
  rows.reserve(events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    const workflow::Event& ev = events[i];
    rows.push_back({last - count + static_cast<int64_t>(i) + 1,
                    EncodeTime(ev.time == absl::InfinitePast() ? after.update_time : ev.time),
                    EncodeAttributes(ev.attributes)});
  }
  Stmt ins(s);
  for (size_t i = 0; i < events.size(); ++i) {
    const workflow::Event& ev = events[i];
    const Row& r = rows[i];
    if (dialect_.sequences_at_write) ins.Use(r.sequence);
    ins.Use(after.id).Use(ev.type).Use(ev.claim_id.empty() ? after.id : ev.claim_id);
    ins.Use(ev.partner_id.empty() ? after.partner_id : ev.partner_id).Use(r.time);
    ins.Use(r.attributes);
  }
  ins.Run(RowsSql(kInsertEventPrefix, dialect_.event_row, events.size()));
}

absl::StatusOr<int> SociRepository::SequencePendingEvents() {
  bool pending = false;
  RETURN_IF_ERROR(Transact("SequencePendingEvents", TxMode::kNone, [&](Conn& s) -> absl::Status {
    int64_t id = 0;
    Stmt st(s);
    st.Into(id);
    pending = st.Run(kSelectPendingEvent);
    return absl::OkStatus();
  }));
  if (!pending) return 0;
  int sequenced = 0;
  // No CommitCheck: running the pass again after an ambiguous commit numbers only what is
  // still unnumbered.
  RETURN_IF_ERROR(Transact("SequencePendingEvents", TxMode::kWrite, [&](Conn& s) -> absl::Status {
    sequenced = 0;
    int64_t base = 0;
    {
      Stmt lock(s);
      lock.Into(base);
      if (!lock.Run(kLockEventCounter)) return absl::InternalError("event_counter has no row");
    }
    std::vector<int64_t> ids;
    {
      int64_t id = 0;
      const int limit = kSequenceBatch;
      Stmt st(s);
      st.Into(id).Use(limit);
      for (bool more = st.Run(kSelectPendingEvents); more; more = st.Fetch()) ids.push_back(id);
    }
    if (ids.empty()) return absl::OkStatus();
    std::vector<std::string> marks;
    marks.reserve(ids.size());
    for (size_t i = 0; i < ids.size(); ++i) marks.push_back(absl::StrCat(":i", i));
    const std::string list = absl::StrJoin(marks, ", ");
    {
      Stmt upd(s);
      upd.Use(base);
      for (const int64_t& id : ids) upd.Use(id);
      for (const int64_t& id : ids) upd.Use(id);
      upd.Run(absl::StrCat("UPDATE events SET sequence = :base + FIELD(id, ", list,
                           ") WHERE id IN (", absl::StrReplaceAll(list, {{":i", ":j"}}), ")"));
    }
    const int64_t last = base + static_cast<int64_t>(ids.size());
    Stmt set(s);
    set.Use(last);
    set.Run(kSetEventCounter);
    sequenced = static_cast<int>(ids.size());
    return absl::OkStatus();
  }));
  return sequenced;
}

absl::StatusOr<EventPage> SociRepository::ReadOutbox(const EventQuery& query) {
  if (query.max_events <= 0) return absl::InvalidArgumentError("max_events must be positive");
  if (query.after_sequence < 0) {
    return absl::InvalidArgumentError("after_sequence must not be negative");
  }
  if (query.partition.has_value() &&
      (*query.partition < 0 || *query.partition >= options_.event_partitions)) {
    return absl::InvalidArgumentError(
        absl::StrCat("partition must be in [0, ", options_.event_partitions, ")"));
  }
  if (!dialect_.sequences_at_write) {
    // Number what has committed, up to what this read can return.
    for (int numbered = 0; numbered < query.max_events;) {
      ASSIGN_OR_RETURN(int pass, SequencePendingEvents());
      numbered += pass;
      if (pass < kSequenceBatch) break;
    }
  }
  EventPage page;
  const std::string sql = SelectEventsSql(dialect_, query.partition.has_value());
  RETURN_IF_ERROR(Transact("ReadOutbox", TxMode::kNone, [&](Conn& s) -> absl::Status {
    page = EventPage();
    OutboxEvent e;
    int64_t time = 0;
    std::string attributes;
    Stmt st(s);
    st.Into(e.event.sequence).Into(e.partition).Into(e.event.type).Into(e.event.claim_id);
    st.Into(e.event.partner_id).Into(time).Into(attributes);
    if (query.partition.has_value()) st.Use(*query.partition);
    st.Use(query.after_sequence).Use(query.max_events);
    for (bool more = st.Run(sql); more; more = st.Fetch()) {
      e.event.time = DecodeTime(time);
      ASSIGN_OR_RETURN(e.event.attributes, DecodeAttributes(attributes));
      page.events.push_back(e);
    }
    // After the events: retention only moves it up, so a value read now covers what the read
    // above could have missed.
    Stmt purged(s);
    purged.Into(page.purged_through);
    purged.Run(kSelectPurgedThrough);
    return absl::OkStatus();
  }));
  return page;
}

int SociRepository::EventPartitions() const { return options_.event_partitions; }

absl::StatusOr<int64_t> SociRepository::PurgeOldEvents(absl::Time now) {
  if (options_.event_retention <= absl::ZeroDuration()) return 0;
  const int64_t cut = EncodeTime(now - options_.event_retention);
  int64_t purged = 0;
  for (int64_t batch = 0; purged < kPurgeLimitPerCall; ++batch) {
    int64_t removed = 0;
    bool more = false;
    RETURN_IF_ERROR(Transact("PurgeOldEvents", TxMode::kWrite, [&](Conn& s) -> absl::Status {
      removed = 0;
      more = false;
      int64_t after = 0;
      {
        Stmt lock(s);
        lock.Into(after);
        if (!lock.Run(dialect_.lock_purged_through)) {
          return absl::InternalError("event_counter has no row");
        }
      }
      // The oldest events in sequence order; the run of them older than the cut goes.
      int64_t through = after;
      int rows = 0;
      {
        int64_t sequence = 0, time = 0;
        const int limit = kPurgeBatch;
        bool older = true;
        Stmt st(s);
        st.Into(sequence).Into(time).Use(after).Use(limit);
        for (bool row = st.Run(kSelectOldestEvents); row; row = st.Fetch()) {
          ++rows;
          if (older && time < cut) {
            through = sequence;
          } else {
            older = false;
          }
        }
        more = older && rows == kPurgeBatch;
      }
      if (through == after) return absl::OkStatus();
      Stmt del(s);
      del.Use(after).Use(through);
      del.Run(kDeleteEventsThrough);
      removed = del.AffectedRows();
      Stmt set(s);
      set.Use(through);
      set.Run(kSetPurgedThrough);
      return absl::OkStatus();
    }));
    purged += removed;
    if (!more) break;
  }
  return purged;
}

}  // namespace claims::storage::internal
