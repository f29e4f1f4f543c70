#include "server/api/test_clock_api.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/api/proto_mapping.h"
#include "server/api/status_mapping.h"

namespace claims::server {
namespace {

// The scheduler's own thread may be sweeping the same timers (it is woken by every move);
// a timer it holds is skipped here, so wait for it to commit, within this bound.
constexpr absl::Duration kSettleWithin = absl::Seconds(5);
constexpr absl::Duration kSettlePoll = absl::Milliseconds(5);

absl::Time FromDuration(absl::Time from, const google::protobuf::Duration& by) {
  return from + absl::Seconds(by.seconds()) + absl::Nanoseconds(by.nanos());
}

}  // namespace

absl::StatusOr<v1::ClockTime> TestClockApi::GetTime(const Caller&, const v1::GetTimeRequest&) {
  v1::ClockTime out;
  ToProto(clock_.Now(), out.mutable_time());
  return out;
}

absl::StatusOr<v1::ClockTime> TestClockApi::SetTime(const Caller&, const v1::SetTimeRequest& req) {
  const absl::Time to = FromProto(req.time());
  if (to < clock_.Now()) {
    return InvalidArgument(
        "the test clock only moves forward",
        {{"time", absl::StrCat("before now (", absl::FormatTime(clock_.Now()), ")")}});
  }
  return MoveTo(to);
}

absl::StatusOr<v1::ClockTime> TestClockApi::AdvanceTime(const Caller&,
                                                        const v1::AdvanceTimeRequest& req) {
  if (req.by().seconds() < 0 || req.by().nanos() < 0) {
    return InvalidArgument("the test clock only moves forward", {{"by", "negative"}});
  }
  return MoveTo(FromDuration(clock_.Now(), req.by()));
}

absl::StatusOr<v1::ClockTime> TestClockApi::MoveTo(absl::Time to) {
  std::lock_guard lock(move_mu_);
  clock_.Set(to);
  absl::StatusOr<int> fired = scheduler_.RunOnce();
  if (!fired.ok()) return fired.status();
  int total = *fired;
  const absl::Time give_up = absl::Now() + kSettleWithin;
  for (;;) {
    absl::StatusOr<absl::Time> next = scheduler_.NextTimerDue();
    if (!next.ok()) return next.status();
    if (*next > to || absl::Now() >= give_up) break;
    absl::SleepFor(kSettlePoll);
    fired = scheduler_.RunOnce();
    if (!fired.ok()) return fired.status();
    total += *fired;
  }
  v1::ClockTime out;
  ToProto(clock_.Now(), out.mutable_time());
  out.set_timers_fired(total);
  return out;
}

}  // namespace claims::server
