#include "workflow/simulation.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdint>
#include <exception>
#include <map>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"

namespace claims::workflow {
namespace {

// Scripts are small; anything larger is a mistake or an attack.
constexpr std::size_t kMaxScriptBytes = 1 << 20;
// A script advancing by years over a claim whose timers keep re-arming must still end.
constexpr int kMaxFiringsPerAdvance = 10'000;

absl::string_view Abs(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// Script errors carry the YAML position; thrown inside the parser only and turned into a
// Status at its boundary.
struct ScriptError {
  YAML::Mark mark;
  std::string message;
};

// Thrown when the trace reaches SimulationLimits::max_trace_steps.
struct TraceTooLong {
  int step = 0;
};

[[noreturn]] void Fail(const YAML::Node& node, std::string message) {
  throw ScriptError{node.Mark(), std::move(message)};
}

void CheckKeys(const YAML::Node& map, std::string_view what,
               std::initializer_list<std::string_view> allowed) {
  if (!map.IsMap()) Fail(map, absl::StrCat(Abs(what), " must be a mapping"));
  for (const auto& entry : map) {
    const std::string key = entry.first.as<std::string>();
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string known;
      for (std::string_view k : allowed) absl::StrAppend(&known, known.empty() ? "" : ", ", Abs(k));
      Fail(entry.first,
           absl::StrCat("unknown key '", key, "' in ", Abs(what), " (known: ", known, ")"));
    }
  }
}

std::string Scalar(const YAML::Node& node, std::string_view what) {
  if (!node.IsScalar()) Fail(node, absl::StrCat(Abs(what), " must be a scalar"));
  return node.Scalar();
}

std::vector<std::string> StringList(const YAML::Node& node, std::string_view what) {
  if (!node.IsSequence()) Fail(node, absl::StrCat(Abs(what), " must be a list"));
  std::vector<std::string> out;
  for (const auto& item : node) out.push_back(Scalar(item, what));
  return out;
}

absl::Time Timestamp(const YAML::Node& node, std::string_view what) {
  const std::string text = Scalar(node, what);
  absl::Time t;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, text, &t, &error)) {
    Fail(node, absl::StrCat(Abs(what), ": '", text,
                            "' is not an RFC 3339 time such as 2026-11-23T09:00:00-08:00"));
  }
  return t;
}

struct Step {
  YAML::Node node;
  std::string kind;
  YAML::Node body;
};

struct Script {
  absl::Time start;
  std::string calendar;
  std::string claim_id = "CLAIM-1";
  std::string partner_id;
  std::map<std::string, Actor> actors;
  std::vector<Step> steps;
};

Contact ReadContact(const YAML::Node& node, std::string_view what) {
  CheckKeys(node, what, {"name", "email", "phone"});
  Contact contact;
  if (node["name"]) contact.name = Scalar(node["name"], "name");
  if (node["email"]) contact.email = Scalar(node["email"], "email");
  if (node["phone"]) contact.phone = Scalar(node["phone"], "phone");
  return contact;
}

// The fields given and, as a field mask, which ones.
std::pair<ClaimFields, std::vector<std::string>> ReadFields(const YAML::Node& node) {
  CheckKeys(node, "fields",
            {"mpn_id", "customer", "customer_contact", "partner_contact", "products", "activity"});
  ClaimFields fields;
  std::vector<std::string> mask;
  for (const auto& entry : node) {
    const std::string key = entry.first.as<std::string>();
    const YAML::Node& value = entry.second;
    mask.push_back(key);
    if (key == kFieldMpnId) fields.mpn_id = Scalar(value, key);
    if (key == kFieldActivity) fields.activity = Scalar(value, key);
    if (key == kFieldProducts) fields.products = StringList(value, key);
    if (key == kFieldCustomerContact) fields.customer_contact = ReadContact(value, key);
    if (key == kFieldPartnerContact) fields.partner_contact = ReadContact(value, key);
    if (key == kFieldCustomer) {
      CheckKeys(value, key, {"tenant_id", "name"});
      if (value["tenant_id"]) fields.customer.tenant_id = Scalar(value["tenant_id"], "tenant_id");
      if (value["name"]) fields.customer.name = Scalar(value["name"], "name");
    }
  }
  return {std::move(fields), std::move(mask)};
}

CommentVisibility ReadVisibility(const YAML::Node& node) {
  const std::string text = Scalar(node, "visibility");
  if (text == "public") return CommentVisibility::kPublic;
  if (text == "internal") return CommentVisibility::kInternal;
  Fail(node, absl::StrCat("visibility must be public or internal, not '", text, "'"));
}

Script ReadScript(const YAML::Node& root) {
  CheckKeys(root, "the script", {"start", "calendar", "claim", "actors", "steps"});
  Script script;
  if (!root["start"]) Fail(root, "the script needs a start time ('start')");
  script.start = Timestamp(root["start"], "start");
  if (root["calendar"]) script.calendar = Scalar(root["calendar"], "calendar");
  if (const YAML::Node claim = root["claim"]) {
    CheckKeys(claim, "claim", {"id", "partner_id"});
    if (claim["id"]) script.claim_id = Scalar(claim["id"], "id");
    if (claim["partner_id"]) script.partner_id = Scalar(claim["partner_id"], "partner_id");
  }
  const YAML::Node actors = root["actors"];
  if (!actors || !actors.IsMap()) Fail(root, "the script needs an 'actors' mapping");
  for (const auto& entry : actors) {
    Actor actor;
    actor.id = Scalar(entry.first, "actor name");
    CheckKeys(entry.second, actor.id, {"roles", "partner_id", "id"});
    if (!entry.second["roles"]) Fail(entry.second, absl::StrCat(actor.id, " needs roles"));
    actor.roles = StringList(entry.second["roles"], "roles");
    if (entry.second["partner_id"]) {
      actor.partner_id = Scalar(entry.second["partner_id"], "partner_id");
    }
    const std::string name = actor.id;
    if (entry.second["id"]) actor.id = Scalar(entry.second["id"], "id");
    script.actors.emplace(name, std::move(actor));
  }
  const YAML::Node steps = root["steps"];
  if (!steps || !steps.IsSequence()) Fail(root, "the script needs a 'steps' list");
  for (const auto& step : steps) {
    if (!step.IsMap() || step.size() != 1) {
      Fail(step,
           "each step is a mapping with one key: create, act, edit, comment, evidence, "
           "advance or expect");
    }
    const auto entry = *step.begin();
    const std::string kind = entry.first.as<std::string>();
    static const std::set<std::string> kKinds = {"create",   "act",     "edit",  "comment",
                                                 "evidence", "advance", "expect"};
    if (kKinds.count(kind) == 0) {
      Fail(entry.first, absl::StrCat("unknown step '", kind,
                                     "' (known: create, act, edit, comment, evidence, advance, "
                                     "expect)"));
    }
    script.steps.push_back(Step{step, kind, entry.second});
  }
  return script;
}

class Simulator {
 public:
  Simulator(const Engine& engine, Script script, std::size_t max_trace_steps)
      : engine_(engine),
        script_(std::move(script)),
        max_trace_steps_(max_trace_steps),
        now_(script_.start) {
    // Business days advance on the calendar the script names, else the workflow's first.
    for (const CalendarDef& calendar : engine_.definition().calendars) {
      if (script_.calendar.empty() ? calendar_ == nullptr : calendar.id == script_.calendar) {
        calendar_ = &calendar.calendar;
      }
    }
  }

  SimulationTrace Run() {
    trace_.workflow = engine_.definition().name;
    if (!script_.calendar.empty() && calendar_ == nullptr) {
      throw ScriptError{YAML::Mark::null_mark(),
                        absl::StrCat("the workflow has no calendar '", script_.calendar, "'")};
    }
    trace_.zone = calendar_ != nullptr ? calendar_->zone() : absl::UTCTimeZone();
    for (std::size_t i = 0; i < script_.steps.size(); ++i) {
      step_ = static_cast<int>(i) + 1;
      RunStep(script_.steps[i]);
    }
    return std::move(trace_);
  }

 private:
  const Actor& ActorOf(const YAML::Node& body) {
    const YAML::Node as = body["as"];
    if (!as) Fail(body, "say who performs the step with 'as: <actor>'");
    const std::string name = Scalar(as, "as");
    auto it = script_.actors.find(name);
    if (it == script_.actors.end()) Fail(as, absl::StrCat("no actor '", name, "' in actors"));
    return it->second;
  }

  void NeedClaim(const Step& step) {
    if (!created_) Fail(step.node, "there is no claim yet: start with a create step");
  }

  TraceStep& Record(std::string kind, std::string description) {
    if (trace_.steps.size() >= max_trace_steps_) throw TraceTooLong{step_};
    TraceStep& t = trace_.steps.emplace_back();
    t.step = step_;
    t.kind = std::move(kind);
    t.description = std::move(description);
    t.time = now_;
    t.state = claim_.state;
    t.sla_status = claim_.sla_status;
    for (const TimerInstance& timer : claim_.timers) {
      if (timer.status == TimerStatus::kArmed) {
        t.deadlines.push_back({timer.name, timer.due_at, timer.NextFireAt()});
      }
    }
    std::sort(t.deadlines.begin(), t.deadlines.end(),
              [](const TraceStep::Deadline& a, const TraceStep::Deadline& b) {
                return std::tie(a.next_fire_at, a.timer) < std::tie(b.next_fire_at, b.timer);
              });
    return t;
  }

  // Applies an engine outcome and records it as the step's result.
  void Apply(const Outcome& outcome, std::string kind, std::string description) {
    if (const auto* rejection = std::get_if<Rejection>(&outcome)) {
      last_error_ = *rejection;
      Record(std::move(kind), std::move(description)).error = *rejection;
      return;
    }
    const Decision& decision = std::get<Decision>(outcome);
    claim_ = ApplyDecision(claim_, decision, now_);
    last_error_.reset();
    Record(std::move(kind), std::move(description)).events = decision.events;
  }

  void RunStep(const Step& step) {
    const YAML::Node& body = step.body;
    if (step.kind == "create") return Create(step, body);
    if (step.kind == "advance") return Advance(body);
    if (step.kind == "expect") return Expect(body);
    NeedClaim(step);
    if (step.kind == "act") return Act(body);
    if (step.kind == "edit") return EditStep(body);
    if (step.kind == "comment") return CommentStep(body);
    if (step.kind == "evidence") return EvidenceStep(body);
  }

  void Create(const Step& step, const YAML::Node& body) {
    if (created_) Fail(step.node, "the script already created its claim");
    CheckKeys(body, "create", {"as", "fields"});
    const Actor& actor = ActorOf(body);
    Claim draft;
    draft.id = script_.claim_id;
    draft.partner_id = script_.partner_id.empty() ? actor.partner_id : script_.partner_id;
    if (body["fields"]) draft.fields = ReadFields(body["fields"]).first;
    draft.workflow_name = engine_.definition().name;
    draft.workflow_version = engine_.definition().version;
    draft.created_by = actor.id;
    draft.create_time = now_;
    const Outcome outcome = engine_.Create(draft, actor, now_);
    if (std::holds_alternative<Decision>(outcome)) {
      claim_ = draft;
      created_ = true;
    }
    Apply(outcome, "create", absl::StrCat("create as ", actor.id));
  }

  void Act(const YAML::Node& body) {
    CheckKeys(body, "act", {"action", "as", "reasons", "comment", "visibility"});
    const Actor& actor = ActorOf(body);
    if (!body["action"]) Fail(body, "act needs an 'action'");
    ActionRequest request;
    request.action = Scalar(body["action"], "action");
    if (body["reasons"]) request.reasons = StringList(body["reasons"], "reasons");
    if (body["comment"]) request.comment = Scalar(body["comment"], "comment");
    if (body["visibility"]) request.comment_visibility = ReadVisibility(body["visibility"]);
    std::string description = absl::StrCat(request.action, " as ", actor.id);
    if (!request.reasons.empty()) {
      absl::StrAppend(&description, " (", absl::StrJoin(request.reasons, ", "), ")");
    }
    Apply(engine_.Decide(claim_, request, actor, now_), "act", std::move(description));
  }

  void EditStep(const YAML::Node& body) {
    CheckKeys(body, "edit", {"as", "fields"});
    const Actor& actor = ActorOf(body);
    if (!body["fields"]) Fail(body, "edit needs 'fields'");
    EditRequest request;
    auto [fields, mask] = ReadFields(body["fields"]);
    request.fields = std::move(fields);
    request.field_mask = std::move(mask);
    std::string description =
        absl::StrCat("edit ", absl::StrJoin(request.field_mask, ", "), " as ", actor.id);
    Apply(engine_.Edit(claim_, request, actor, now_), "edit", std::move(description));
  }

  void CommentStep(const YAML::Node& body) {
    CheckKeys(body, "comment", {"as", "text", "visibility"});
    const Actor& actor = ActorOf(body);
    Comment comment;
    if (body["text"]) comment.text = Scalar(body["text"], "text");
    if (body["visibility"]) comment.visibility = ReadVisibility(body["visibility"]);
    std::string description =
        absl::StrCat(comment.visibility == CommentVisibility::kInternal ? "internal " : "",
                     "comment as ", actor.id);
    Apply(engine_.AddComment(claim_, comment, actor, now_), "comment", std::move(description));
  }

  void EvidenceStep(const YAML::Node& body) {
    CheckKeys(body, "evidence", {"as", "file_name", "content_type", "size_bytes", "sha256"});
    const Actor& actor = ActorOf(body);
    Evidence evidence;
    if (body["file_name"]) evidence.file_name = Scalar(body["file_name"], "file_name");
    if (body["content_type"]) evidence.content_type = Scalar(body["content_type"], "content_type");
    if (body["sha256"]) evidence.sha256_hex = Scalar(body["sha256"], "sha256");
    if (body["size_bytes"]) {
      const std::string size = Scalar(body["size_bytes"], "size_bytes");
      if (!absl::SimpleAtoi(size, &evidence.size_bytes)) {
        Fail(body["size_bytes"], absl::StrCat("size_bytes: '", size, "' is not a number"));
      }
    }
    std::string description = absl::StrCat("evidence ", evidence.file_name, " as ", actor.id);
    Apply(engine_.AddEvidence(claim_, evidence, actor, now_), "evidence", std::move(description));
  }

  // `advance: 3 business_days`, `2d`, `5 hours`, `30m`, `10s`, or `advance: {until: <time>}`.
  absl::Time AdvanceTarget(const YAML::Node& body, std::string& description) {
    if (body.IsMap()) {
      CheckKeys(body, "advance", {"until"});
      if (!body["until"]) Fail(body, "advance takes a duration or 'until: <time>'");
      const absl::Time until = Timestamp(body["until"], "until");
      if (until < now_) Fail(body["until"], "advance cannot go back in time");
      description = absl::StrCat("advance until ", Scalar(body["until"], "until"));
      return until;
    }
    const std::string text = std::string(absl::StripAsciiWhitespace(Scalar(body, "advance")));
    std::size_t digits = 0;
    while (digits < text.size() && absl::ascii_isdigit(static_cast<unsigned char>(text[digits]))) {
      ++digits;
    }
    int64_t amount = 0;
    const std::string unit =
        std::string(absl::StripAsciiWhitespace(absl::string_view(text).substr(digits)));
    if (digits == 0 || !absl::SimpleAtoi(absl::string_view(text).substr(0, digits), &amount)) {
      Fail(body, absl::StrCat("advance: '", text,
                              "' is not a duration such as 3 business_days, "
                              "2d, 5h, 30m or 10s"));
    }
    description = absl::StrCat("advance ", text);
    if (unit == "business_days" || unit == "business_day" || unit == "bd") {
      if (calendar_ == nullptr) Fail(body, "the workflow has no calendar for business days");
      return calendar_->Add(now_, {amount, DurationUnit::kBusinessDays});
    }
    if (unit == "days" || unit == "day" || unit == "d") {
      if (calendar_ == nullptr) return now_ + absl::Hours(24 * amount);
      return calendar_->Add(now_, {amount, DurationUnit::kDays});
    }
    if (unit == "hours" || unit == "hour" || unit == "h") return now_ + absl::Hours(amount);
    if (unit == "minutes" || unit == "minute" || unit == "m") return now_ + absl::Minutes(amount);
    if (unit == "seconds" || unit == "second" || unit == "s") return now_ + absl::Seconds(amount);
    Fail(body, absl::StrCat("advance: unknown unit '", unit,
                            "' (business_days, days, hours, minutes, seconds; or d, h, m, s)"));
  }

  void Advance(const YAML::Node& body) {
    std::string description;
    const absl::Time target = AdvanceTarget(body, description);
    for (int fired = 0; created_ && fired < kMaxFiringsPerAdvance; ++fired) {
      // The timer a sweeper would pick next: the earliest due, then by name, for determinism.
      const TimerInstance* next = nullptr;
      for (const TimerInstance& timer : claim_.timers) {
        const absl::Time at = timer.NextFireAt();
        if (at > target) continue;
        if (next == nullptr || at < next->NextFireAt() ||
            (at == next->NextFireAt() && timer.name < next->name)) {
          next = &timer;
        }
      }
      if (next == nullptr) break;
      const std::string name = next->name;
      const bool warning = next->NextFireAt() < next->due_at;
      now_ = std::max(now_, next->NextFireAt());
      const std::optional<Decision> decision = engine_.FireTimer(claim_, name, now_);
      if (!decision.has_value()) break;
      claim_ = ApplyDecision(claim_, *decision, now_);
      std::string what = absl::StrCat("timer ", name, warning ? " (warning)" : " (deadline)");
      for (const HistoryEntry& entry : decision->history) {
        if (entry.kind == HistoryKind::kAction) absl::StrAppend(&what, ": ", entry.name);
      }
      Record("timer", std::move(what)).events = decision->events;
    }
    now_ = target;
    Record("advance", std::move(description));
  }

  void Expect(const YAML::Node& body) {
    CheckKeys(body, "expect",
              {"state", "sla_status", "error", "guard", "message_contains", "available_actions",
               "timers", "due"});
    std::vector<std::string> failures;
    if (body["state"]) {
      const std::string want = Scalar(body["state"], "state");
      if (claim_.state != want) {
        failures.push_back(absl::StrCat("state is ", claim_.state, ", expected ", want));
      }
    }
    if (body["sla_status"]) {
      const std::string want = Scalar(body["sla_status"], "sla_status");
      if (SlaStatusName(claim_.sla_status) != want) {
        failures.push_back(absl::StrCat("sla_status is ", Abs(SlaStatusName(claim_.sla_status)),
                                        ", expected ", want));
      }
    }
    if (body["error"]) {
      const std::string want = Scalar(body["error"], "error");
      const std::string got = last_error_.has_value() ? last_error_->reason : "none";
      if (got != want) {
        failures.push_back(absl::StrCat("last step's error is ", got, ", expected ", want,
                                        last_error_.has_value()
                                            ? absl::StrCat(" (", last_error_->message, ")")
                                            : std::string()));
      }
    }
    if (body["guard"]) {
      const std::string want = Scalar(body["guard"], "guard");
      const std::string got = last_error_.has_value() ? last_error_->guard : "";
      if (got != want) {
        failures.push_back(absl::StrCat("failed guard is '", got, "', expected '", want, "'"));
      }
    }
    if (body["message_contains"]) {
      const std::string want = Scalar(body["message_contains"], "message_contains");
      const std::string got = last_error_.has_value() ? last_error_->message : "";
      if (got.find(want) == std::string::npos) {
        failures.push_back(absl::StrCat("last message '", got, "' does not contain '", want, "'"));
      }
    }
    if (const YAML::Node available = body["available_actions"]) {
      CheckKeys(available, "available_actions", {"as", "actions"});
      const Actor& actor = ActorOf(available);
      std::vector<std::string> want = available["actions"]
                                          ? StringList(available["actions"], "actions")
                                          : std::vector<std::string>();
      std::sort(want.begin(), want.end());
      const std::vector<std::string> got = engine_.AvailableActions(claim_, actor, now_);
      if (got != want) {
        failures.push_back(absl::StrCat("available actions for ", actor.id, " are [",
                                        absl::StrJoin(got, ", "), "], expected [",
                                        absl::StrJoin(want, ", "), "]"));
      }
    }
    if (const YAML::Node timers = body["timers"]) {
      if (!timers.IsMap()) Fail(timers, "timers must map timer names to statuses");
      for (const auto& entry : timers) {
        const std::string name = Scalar(entry.first, "timer");
        const std::string want = Scalar(entry.second, "status");
        std::string got = "not started";
        for (const TimerInstance& t : claim_.timers) {
          if (t.name == name) got = std::string(TimerStatusName(t.status));
        }
        if (got != want) {
          failures.push_back(absl::StrCat("timer ", name, " is ", got, ", expected ", want));
        }
      }
    }
    if (const YAML::Node due = body["due"]) {
      if (!due.IsMap()) Fail(due, "due must map timer names to times");
      for (const auto& entry : due) {
        const std::string name = Scalar(entry.first, "timer");
        const absl::Time want = Timestamp(entry.second, name);
        const TimerInstance* found = nullptr;
        for (const TimerInstance& t : claim_.timers) {
          if (t.name == name) found = &t;
        }
        if (found == nullptr || found->due_at != want) {
          failures.push_back(absl::StrCat(
              "timer ", name, " is due ",
              found == nullptr ? std::string("never")
                               : absl::FormatTime(absl::RFC3339_sec, found->due_at, trace_.zone),
              ", expected ", absl::FormatTime(absl::RFC3339_sec, want, trace_.zone)));
        }
      }
    }
    std::vector<std::string> checked;
    for (const auto& entry : body) checked.push_back(entry.first.as<std::string>());
    TraceStep& t = Record("expect", absl::StrCat("expect ", absl::StrJoin(checked, ", ")));
    trace_.failed_expectations += static_cast<int>(failures.size());
    t.failures = std::move(failures);
  }

  const Engine& engine_;
  Script script_;
  const std::size_t max_trace_steps_;
  const BusinessCalendar* calendar_ = nullptr;
  absl::Time now_;
  Claim claim_;
  bool created_ = false;
  std::optional<Rejection> last_error_;
  int step_ = 0;
  SimulationTrace trace_;
};

std::string Where(const YAML::Mark& mark) {
  if (mark.line < 0) return "script";
  return absl::StrCat(mark.line + 1, ":", mark.column + 1);
}

std::string TimeInZone(absl::Time t, absl::TimeZone zone) {
  if (t == absl::InfiniteFuture()) return "never";
  return absl::FormatTime("%Y-%m-%d %H:%M:%S %Z", t, zone);
}

}  // namespace

std::string_view SlaStatusName(SlaStatus status) {
  switch (status) {
    case SlaStatus::kOnTrack:
      return "on_track";
    case SlaStatus::kAtRisk:
      return "at_risk";
    case SlaStatus::kBreached:
      return "breached";
  }
  return "on_track";
}

std::string_view TimerStatusName(TimerStatus status) {
  switch (status) {
    case TimerStatus::kArmed:
      return "armed";
    case TimerStatus::kPaused:
      return "paused";
    case TimerStatus::kBreached:
      return "breached";
    case TimerStatus::kFired:
      return "fired";
    case TimerStatus::kCancelled:
      return "cancelled";
  }
  return "armed";
}

absl::StatusOr<SimulationTrace> RunSimulation(const Engine& engine, std::string_view script,
                                              const SimulationLimits& limits) {
  if (script.size() > kMaxScriptBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("script: larger than ", kMaxScriptBytes, " bytes"));
  }
  try {
    const YAML::Node root = YAML::Load(std::string(script));
    return Simulator(engine, ReadScript(root), limits.max_trace_steps).Run();
  } catch (const TraceTooLong& e) {
    return absl::ResourceExhaustedError(
        absl::StrCat("script: step ", e.step, " takes the trace past ", limits.max_trace_steps,
                     " steps (timer firings count as steps)"));
  } catch (const ScriptError& e) {
    return absl::InvalidArgumentError(absl::StrCat(Where(e.mark), ": ", e.message));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(Where(e.mark), ": ", e.msg));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("script: ", e.what()));
  }
}

std::string FormatTraceText(const SimulationTrace& trace) {
  std::string out = absl::StrCat("simulation of ", trace.workflow, "\n");
  for (const TraceStep& step : trace.steps) {
    std::string head = absl::StrCat(step.kind == "timer" ? "   " : absl::StrCat("#", step.step),
                                    " ", TimeInZone(step.time, trace.zone), "  ", step.description);
    if (head.size() < 72) head.resize(72, ' ');
    absl::StrAppend(&out, head, "  ", step.state.empty() ? "-" : step.state, " [",
                    Abs(SlaStatusName(step.sla_status)), "]\n");
    if (step.error.has_value()) {
      const Rejection& r = *step.error;
      absl::StrAppend(&out, "      refused: ", r.reason, ": ", r.message,
                      r.guard.empty() ? "" : absl::StrCat(" (guard ", r.guard, ")"), "\n");
      for (const FieldViolation& v : r.violations) {
        absl::StrAppend(&out, "        ", v.field, ": ", v.description, "\n");
      }
      absl::StrAppend(
          &out, "      available: ",
          r.available_actions.empty() ? "none" : absl::StrJoin(r.available_actions, ", "), "\n");
    }
    for (const Event& event : step.events) {
      absl::StrAppend(&out, "      event ", event.type);
      std::string attributes;
      for (const auto& [key, value] : event.attributes) {
        absl::StrAppend(&attributes, attributes.empty() ? "" : " ", key, "=", value);
      }
      if (!attributes.empty()) absl::StrAppend(&out, " {", attributes, "}");
      absl::StrAppend(&out, "\n");
    }
    if (step.kind != "expect" && !step.deadlines.empty()) {
      std::vector<std::string> deadlines;
      for (const TraceStep::Deadline& d : step.deadlines) {
        std::string text = absl::StrCat(d.timer, " due ", TimeInZone(d.due_at, trace.zone));
        if (d.next_fire_at < d.due_at) {
          absl::StrAppend(&text, " (warning ", TimeInZone(d.next_fire_at, trace.zone), ")");
        }
        deadlines.push_back(std::move(text));
      }
      absl::StrAppend(&out, "      deadlines: ", absl::StrJoin(deadlines, "; "), "\n");
    }
    for (const std::string& failure : step.failures) {
      absl::StrAppend(&out, "      FAILED: ", failure, "\n");
    }
  }
  absl::StrAppend(&out, trace.ok()
                            ? "all expectations held\n"
                            : absl::StrCat(trace.failed_expectations, " expectation(s) failed\n"));
  return out;
}

}  // namespace claims::workflow
