// decide() throughput on the shipped CPOR workflow: a mix of the process's actions, timer
// firings and refused actions, each applied to a claim snapshot in the right state, one core.
// scripts/bench/engine.sh builds and runs it and prints the figure as JSON.

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/time/time.h"
#include "tests/testing/shipped_workflow.h"
#include "workflow/decision.h"
#include "workflow/engine.h"
#include "workflow/loader.h"

namespace claims::workflow {
namespace {

// The shipped workflow, from CLAIMS_SOURCE_DIR (or the current directory, the repository root
// when run by scripts/bench.sh). Exits if it does not load: a figure on anything else is moot.
std::shared_ptr<const Definition> LoadCpor() {
  const LoadResult result = testing::LoadWorkflowFile();
  for (const Diagnostic& d : result.diagnostics) {
    std::fprintf(stderr, "%s\n", d.ToString().c_str());
  }
  if (!result.ok()) std::exit(2);
  return result.definition;
}

const Actor kPartner{"bill", {"billing_admin"}, "partner-1"};
const Actor kReviewer{"rita", {"reviewer"}, ""};
const Actor kCustomer{"cora", {"customer"}, ""};

Claim MustApply(const Claim& claim, const Outcome& outcome, absl::Time now) {
  if (const auto* r = std::get_if<Rejection>(&outcome)) {
    std::fprintf(stderr, "setup refused: %s: %s\n", r->reason.c_str(), r->message.c_str());
    std::exit(2);
  }
  return ApplyDecision(claim, std::get<Decision>(outcome), now);
}

// One operation of the mix: what a server would ask the engine, on a claim read from storage.
struct Operation {
  std::string label;
  Claim claim;                                           // the snapshot it is decided on
  std::function<bool(const Engine&, const Claim&)> run;  // true when it produced a decision
};

struct Mix {
  std::vector<Operation> accepted;
  std::vector<Operation> timers;
  std::vector<Operation> refused;
};

Mix BuildMix(const Engine& engine) {
  const absl::Time t0 = absl::FromUnixSeconds(1795420800);  // Monday 23 November 2026, 08:00 UTC
  Claim draft;
  draft.id = "01JBENCHCLAIM0000000000000";
  draft.partner_id = "partner-1";
  draft.fields.mpn_id = "4412345";
  draft.fields.customer = {"8c1d6f0e-1111-2222-3333-444455556666", "Contoso"};
  draft.fields.products = {"dynamics_365_sales", "power_bi"};
  draft.fields.activity = "revenue_association";
  absl::Time now = t0;
  auto step = [&](const Claim& c, const ActionRequest& r, const Actor& a) {
    now += absl::Hours(1);
    return MustApply(c, engine.Decide(c, r, a, now), now);
  };
  const Claim editing0 = MustApply(draft, engine.Create(draft, kPartner, now), now);
  Evidence poe;
  poe.file_name = "poe.pdf";
  poe.size_bytes = 4096;
  const Claim editing = MustApply(editing0, engine.AddEvidence(editing0, poe, kPartner, now), now);
  const Claim submitted = step(editing, {"submit", {}, "", {}}, kPartner);
  const Claim reviewing = step(submitted, {"start_review", {}, "", {}}, kReviewer);
  const Claim waiting =
      step(reviewing, {"request_info", {"missing_all_poe"}, "Wrong file uploaded.", {}}, kReviewer);
  const Claim approved = step(reviewing, {"approve", {}, "", {}}, kReviewer);
  const Claim rejected = step(reviewing, {"reject", {"insufficient_poe"}, "", {}}, kReviewer);
  const Claim disputed = step(rejected, {"dispute", {}, "Signed SOW attached.", {}}, kPartner);
  const Claim upheld = step(disputed, {"uphold", {}, "Still unsigned.", {}}, kReviewer);
  const absl::Time later = now + absl::Hours(1);

  auto find_due = [](const Claim& c, const std::string& name) {
    for (const TimerInstance& t : c.timers) {
      if (t.name == name) return t.NextFireAt();
    }
    std::fprintf(stderr, "no timer %s\n", name.c_str());
    std::exit(2);
  };
  const absl::Time partner_due = find_due(waiting, "partner_response");
  const absl::Time consent_due = find_due(approved, "consent_period");
  const absl::Time review_start_warn = find_due(submitted, "review_start");
  const absl::Time review_due = find_due(reviewing, "review_decision");

  auto decide = [later](std::string label, Claim snapshot, ActionRequest r, Actor a) {
    return Operation{std::move(label), std::move(snapshot),
                     [r = std::move(r), a = std::move(a), later](const Engine& e, const Claim& c) {
                       const Outcome o = e.Decide(c, r, a, later);
                       benchmark::DoNotOptimize(o);
                       return std::holds_alternative<Decision>(o);
                     }};
  };
  auto fire = [](std::string label, Claim snapshot, std::string timer, absl::Time at) {
    return Operation{std::move(label), std::move(snapshot),
                     [timer = std::move(timer), at](const Engine& e, const Claim& c) {
                       const std::optional<Decision> d = e.FireTimer(c, timer, at);
                       benchmark::DoNotOptimize(d);
                       return d.has_value();
                     }};
  };

  Mix mix;
  mix.accepted = {
      decide("submit", editing, {"submit", {}, "", {}}, kPartner),
      decide("start_review", submitted, {"start_review", {}, "", {}}, kReviewer),
      decide("request_info", reviewing, {"request_info", {"missing_products"}, "Which SKUs?", {}},
             kReviewer),
      decide("resubmit", waiting, {"resubmit", {}, "", {}}, kPartner),
      decide("approve", reviewing, {"approve", {}, "", {}}, kReviewer),
      decide("reject", reviewing, {"reject", {"insufficient_poe"}, "", {}}, kReviewer),
      decide("deny_consent", approved, {"deny_consent", {}, "", {}}, kCustomer),
      decide("dispute", rejected, {"dispute", {}, "Signed SOW attached.", {}}, kPartner),
      decide("overturn", disputed, {"overturn", {}, "", {}}, kReviewer),
      decide("withdraw", submitted, {"withdraw", {}, "", {}}, kPartner),
  };
  mix.timers = {
      fire("partner_response deadline", waiting, "partner_response", partner_due),
      fire("consent_period deadline", approved, "consent_period", consent_due),
      fire("review_start warning", submitted, "review_start", review_start_warn),
      fire("review_decision breach", reviewing, "review_decision", review_due),
  };
  mix.refused = {
      decide("unknown action", reviewing, {"escalate", {}, "", {}}, kReviewer),
      decide("not from this state", editing, {"approve", {}, "", {}}, kReviewer),
      decide("role not allowed", reviewing, {"approve", {}, "", {}}, kPartner),
      decide("missing reason", reviewing, {"reject", {}, "", {}}, kReviewer),
      decide("submit without PoE", editing0, {"submit", {}, "", {}}, kPartner),
      decide("second dispute", upheld, {"dispute", {}, "Again.", {}}, kPartner),
  };
  // Sanity: every operation does what its group says, or the figure measures something else.
  for (const auto* group : {&mix.accepted, &mix.timers}) {
    for (const Operation& op : *group) {
      if (!op.run(engine, op.claim)) {
        std::fprintf(stderr, "expected a decision: %s\n", op.label.c_str());
        std::exit(2);
      }
    }
  }
  for (const Operation& op : mix.refused) {
    if (op.run(engine, op.claim)) {
      std::fprintf(stderr, "expected a refusal: %s\n", op.label.c_str());
      std::exit(2);
    }
  }
  return mix;
}

const Engine& SharedEngine() {
  static const Engine* engine = new Engine(LoadCpor());
  return *engine;
}

const Mix& SharedMix() {
  static const Mix* mix = new Mix(BuildMix(SharedEngine()));
  return *mix;
}

void RunAll(benchmark::State& state, const std::vector<const std::vector<Operation>*>& groups) {
  const Engine& engine = SharedEngine();
  int64_t per_iteration = 0;
  for (const auto* group : groups) per_iteration += static_cast<int64_t>(group->size());
  for (auto _ : state) {
    for (const auto* group : groups) {
      for (const Operation& op : *group) benchmark::DoNotOptimize(op.run(engine, op.claim));
    }
  }
  state.SetItemsProcessed(state.iterations() * per_iteration);
  state.counters["ops_per_iteration"] = static_cast<double>(per_iteration);
}

// The headline figure: 10 accepted actions, 4 timer firings, 6 refusals per round.
void BM_DecideMix(benchmark::State& state) {
  const Mix& mix = SharedMix();
  RunAll(state, {&mix.accepted, &mix.timers, &mix.refused});
}
BENCHMARK(BM_DecideMix);

void BM_DecideAccepted(benchmark::State& state) { RunAll(state, {&SharedMix().accepted}); }
BENCHMARK(BM_DecideAccepted);

void BM_FireTimer(benchmark::State& state) { RunAll(state, {&SharedMix().timers}); }
BENCHMARK(BM_FireTimer);

void BM_DecideRefused(benchmark::State& state) { RunAll(state, {&SharedMix().refused}); }
BENCHMARK(BM_DecideRefused);

// The yardstick, measured in the same run: copying each snapshot of the mix once, which is
// what reading the claim costs a caller before it asks anything. Decisions per second over
// copies per second is a figure of the engine's own cost that does not depend on the core.
void BM_CopyClaim(benchmark::State& state) {
  const Mix& mix = SharedMix();
  int64_t per_iteration = 0;
  for (const auto* group : {&mix.accepted, &mix.timers, &mix.refused}) {
    per_iteration += static_cast<int64_t>(group->size());
  }
  for (auto _ : state) {
    for (const auto* group : {&mix.accepted, &mix.timers, &mix.refused}) {
      for (const Operation& op : *group) {
        Claim copy = op.claim;
        benchmark::DoNotOptimize(copy);
      }
    }
  }
  state.SetItemsProcessed(state.iterations() * per_iteration);
}
BENCHMARK(BM_CopyClaim);

}  // namespace
}  // namespace claims::workflow

BENCHMARK_MAIN();
