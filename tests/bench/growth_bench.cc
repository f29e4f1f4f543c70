// How the cost of each read grows with the data: the database is filled with 100k, 1M and 10M
// claims (CLAIMS_GROWTH_LEVELS), and at each level the benchmark times, through the Repository
// claimsd uses, ListClaims under each filter (first page and a page deep into the listing),
// GetClaim, GetClaimHistory of a claim with 10,000 entries (first page and the last), the
// due-timer sweep and an outbox resume from an old sequence, then asks the database for each
// statement's plan. A read is flat when its median at the largest level is within 2x of the
// smallest; the figure of merit is that ratio, not the absolute times.
//
// The fill. Claims are made the way claimsd makes them (the engine decides, the repository
// writes) as templates, one per path through the CPOR workflow, and then copied in bulk inside
// the database (INSERT ... SELECT over MariaDB's sequence tables), every time column shifted by
// the copy's age, so each copy has its template's history, timers, evidence metadata, comments
// and events. Proportions: most claims are finished (sent for assessment, rejected, withdrawn,
// expired, upheld after a dispute), created 10 s apart over the years before "now"; 10,000 are in
// flight at every level (editing, submitted, under review, waiting for the partner, in the consent
// period, in dispute), created over the last 20 days, with armed timers, some of them due. One
// partner in a hundred claims is "partner-big"; the rest spread over 1,999 partners. Every claim
// has one outbox event (in-flight claims all of theirs), as if retention had trimmed the rest.
// Copies leave out evidence bytes (GetClaim and listings never read them) and keep their template's
// guard facts unshifted (no read here uses them).
//
// Reads go to a warm database (one pass first, then the timed ones); a cold cache is a
// deployment's start-up, not a property of the query. GetClaim of random archived claims warms
// all of its claims first, since each call reads a claim no other call reads. What a claim costs
// whose pages nobody has read since the fill is timed too, as a first read of claims not read
// before, with the pages the buffer pool had to read per call (Innodb_buffer_pool_reads); it
// measures the disk under the pool, so it is reported beside the reads and not held to the 2x
// rule. The database is fsync-light: nothing timed writes durably except the sweep, whose
// transaction commits nothing here.
//
// Environment: CLAIMS_BENCH_MYSQL_URL (server URL; required), CLAIMS_GROWTH_LEVELS (claims per
// level, ascending, comma-separated; default 100000,1000000,10000000), CLAIMS_SOURCE_DIR (the
// repository root, for config/workflows).

#include <soci/soci.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "storage/ids.h"
#include "storage/internal/session.h"
#include "storage/internal/url.h"
#include "storage/repository.h"
#include "storage/soci_repository.h"
#include "tests/testing/shipped_workflow.h"
#include "workflow/claim.h"
#include "workflow/decision.h"
#include "workflow/engine.h"

namespace claims::bench {
namespace {

using storage::ClaimFilter;
using storage::Repository;

constexpr int64_t kNever = 9223372036854775807;  // storage's encoding of InfiniteFuture
constexpr int64_t kSecond = 1000000;             // stored times are microseconds
constexpr int64_t kArchiveStep = 10 * kSecond;   // between two finished claims
constexpr int64_t kArchiveChunk = 50000;         // claims per bulk statement
// Claims in flight at every level: what intake and cycle time keep open, which the years of
// finished claims behind them do not change.
constexpr int64_t kInFlight = 10000;
constexpr int kLongHistory = 10000;
constexpr int kHistoryPage = 100;
constexpr int kPartitions = 8;
constexpr char kLongHistoryClaim[] = "H0000000000000000000000001";

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "growth_bench: %s\n", what.c_str());
  std::exit(1);
}

template <typename T>
T Must(absl::StatusOr<T> value, const std::string& what) {
  if (!value.ok()) Die(absl::StrCat(what, ": ", value.status().ToString()));
  return *std::move(value);
}

void Must(const absl::Status& status, const std::string& what) {
  if (!status.ok()) Die(absl::StrCat(what, ": ", status.ToString()));
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// One path through the workflow, recorded as a template claim.
struct Template {
  std::string name;
  bool in_flight = false;
  int weight = 0;  // of 100, within its population
  std::string id;  // the template claim, once made
};

// Makes the templates the way claimsd would: the engine decides, the repository writes.
class TemplateMaker {
 public:
  TemplateMaker(std::shared_ptr<const workflow::Definition> definition, Repository& repository)
      : engine_(std::move(definition)), repository_(repository) {}

  // Runs `path` ("create", then actions, "evidence", "comment" or "timer:NAME") from `start`,
  // an hour apart, and returns the claim's id.
  std::string Make(const std::vector<std::string>& path, absl::Time start) {
    absl::Time now = start;
    workflow::Claim draft;
    draft.id = storage::NewId(now);
    draft.partner_id = "partner-template";
    draft.fields.mpn_id = "4412345";
    draft.fields.customer = {"6f1c2a9e-0000-4000-8000-000000000001", "Fabrikam"};
    draft.fields.customer_contact = {"Fay", "fay@fabrikam.example", ""};
    draft.fields.partner_contact = {"Pat", "pat@contoso.example", ""};
    draft.fields.products = {"dynamics_365_sales", "power_bi"};
    draft.fields.activity = "revenue_association";
    draft.workflow_name = engine_.definition().name;
    draft.workflow_version = engine_.definition().version;
    draft.create_time = now;
    draft.created_by = partner_.id;
    workflow::Claim claim = Write(draft, engine_.Create(draft, partner_, now), now, true);
    for (const std::string& step : path) {
      now += absl::Hours(1);
      if (step == "evidence") {
        workflow::Evidence e;
        e.id = storage::NewId(now);
        e.file_name = "poe.pdf";
        e.content_type = "application/pdf";
        e.content = "%PDF-1.7\n" + std::string(2048, 'p');
        e.size_bytes = static_cast<int64_t>(e.content.size());
        e.sha256_hex = std::string(64, 'a');
        e.uploaded_by = partner_.id;
        e.upload_time = now;
        claim = Write(claim, engine_.AddEvidence(claim, e, partner_, now), now, false);
      } else if (step == "comment") {
        workflow::Comment c;
        c.id = storage::NewId(now);
        c.author_id = reviewer_.id;
        c.perspective = workflow::Perspective::kReviewer;
        c.text = "The countersigned SOW matches the claim.";
        c.create_time = now;
        claim = Write(claim, engine_.AddComment(claim, c, reviewer_, now), now, false);
      } else if (step.rfind("timer:", 0) == 0) {
        const std::string timer = step.substr(6);
        auto it = std::find_if(claim.timers.begin(), claim.timers.end(),
                               [&](const workflow::TimerInstance& t) { return t.name == timer; });
        if (it == claim.timers.end()) Die("template: no timer " + timer);
        now = it->due_at;
        std::optional<workflow::Decision> fired = engine_.FireTimer(claim, timer, now);
        if (!fired) Die("template: timer " + timer + " did not fire");
        claim = Write(claim, workflow::Outcome(*std::move(fired)), now, false);
      } else {
        workflow::ActionRequest request{step, {}, "", workflow::CommentVisibility::kPublic};
        const workflow::Actor* actor = &partner_;
        if (step == "request_info") {
          request.reasons = {"missing_all_poe"};
          request.comment = "Please upload the countersigned SOW.";
        }
        if (step == "reject") request.reasons = {"insufficient_poe"};
        if (step == "uphold") request.comment = "The SOW is still not countersigned.";
        if (step == "dispute") request.comment = "The SOW was countersigned on the 3rd.";
        if (step == "start_review" || step == "request_info" || step == "approve" ||
            step == "reject" || step == "uphold" || step == "overturn") {
          actor = &reviewer_;
        }
        claim = Write(claim, engine_.Decide(claim, request, *actor, now), now, false);
      }
    }
    return claim.id;
  }

 private:
  workflow::Claim Write(const workflow::Claim& before, workflow::Outcome outcome, absl::Time now,
                        bool create) {
    if (const auto* refused = std::get_if<workflow::Rejection>(&outcome)) {
      Die(absl::StrCat("template: refused in ", before.state, ": ", refused->reason, ": ",
                       refused->message));
    }
    const workflow::Decision& decision = std::get<workflow::Decision>(outcome);
    workflow::Claim after = workflow::ApplyDecision(before, decision, now);
    if (create) {
      after.version = 1;
      Must(repository_.CreateClaim(after, decision, {}), "template CreateClaim");
    } else {
      Must(repository_.ApplyDecision(after, decision, {}), "template ApplyDecision");
    }
    return after;
  }

  const workflow::Engine engine_;
  Repository& repository_;
  const workflow::Actor partner_{"pat", {"billing_admin"}, "partner-template"};
  const workflow::Actor reviewer_{"rita", {"reviewer"}, ""};
};

// Bulk copies inside the database, on a session of its own.
class Filler {
 public:
  Filler(const std::string& url, std::vector<Template> templates)
      : templates_(std::move(templates)) {
    const storage::internal::ConnectionTarget target =
        Must(storage::internal::ParseStorageUrl(url, true), "database URL");
    // Counting 70 million history rows at 10M claims takes longer than the I/O timeout claimsd
    // uses, after which the client drops the connection mid-query.
    storage::internal::OpenSession(session_, target, absl::Minutes(30), absl::Hours(2));
    for (const char* table : {"claims", "history", "timers", "evidence", "comments", "events"}) {
      std::vector<std::string> columns(64);
      soci::rowset<std::string> rows = session_.prepare
                                       << "SELECT column_name FROM information_schema.columns "
                                          "WHERE table_schema = DATABASE() AND table_name = '"
                                       << table << "' ORDER BY ordinal_position";
      for (const std::string& c : rows) columns_[table].push_back(c);
    }
    // Which template a copy follows: bucket = number % 100, per population.
    session_ << "CREATE TABLE IF NOT EXISTS growth_templates (in_flight INT NOT NULL, bucket INT "
                "NOT NULL, claim_id CHAR(26) NOT NULL, create_time BIGINT NOT NULL, PRIMARY KEY "
                "(in_flight, bucket))";
    session_ << "DELETE FROM growth_templates";
    for (int population = 0; population < 2; ++population) {
      int bucket = 0;
      for (const Template& t : templates_) {
        if (t.in_flight != (population == 1)) continue;
        for (int i = 0; i < t.weight; ++i, ++bucket) {
          session_ << "INSERT INTO growth_templates SELECT " << population << ", " << bucket
                   << ", id, create_time FROM claims WHERE id = '" << t.id << "'";
        }
      }
      if (bucket != 100) Die("template weights of a population must add up to 100");
    }
    // The templates' events, numbered per claim, in a table of their own: the outbox has no
    // index by claim, and a copy must not scan it.
    session_ << "CREATE TABLE growth_template_events AS SELECT e.*, ROW_NUMBER() OVER "
                "(PARTITION BY e.claim_id ORDER BY e.sequence) AS ordinal, COUNT(*) OVER "
                "(PARTITION BY e.claim_id) AS total FROM events e WHERE e.claim_id IN (SELECT "
                "claim_id FROM growth_templates)";
    session_ << "ALTER TABLE growth_template_events ADD KEY (claim_id, ordinal)";
    int64_t most = 0;
    session_ << "SELECT MAX(total) FROM growth_template_events", soci::into(most);
    if (most > 16) Die("a template has more than 16 events; copies number 16 per claim");
  }

  soci::session& session() { return session_; }

  // Finished claims number `from`..`to` (inclusive), created kArchiveStep apart from `origin`.
  void AddArchive(int64_t from, int64_t to, int64_t origin) {
    for (int64_t a = from; a <= to; a += kArchiveChunk) {
      const int64_t b = std::min(to, a + kArchiveChunk - 1);
      Copy("A", 0, a, b, absl::StrCat(origin, " + s.seq * ", kArchiveStep), /*all_events=*/false);
    }
  }

  // Replaces the claims in flight with `count` new ones created over the 20 days before `now`.
  void ReplaceInFlight(int64_t count, int64_t now) {
    for (const char* table : {"history", "timers", "evidence", "comments", "events"}) {
      session_ << "DELETE FROM " << table << " WHERE claim_id LIKE 'F%'";
    }
    session_ << "DELETE FROM claims WHERE id LIKE 'F%'";
    for (int64_t a = 1; a <= count; a += kArchiveChunk) {
      const int64_t b = std::min(count, a + kArchiveChunk - 1);
      // Spread over 20 days by a multiplicative hash, so neighbours are not neighbours in time.
      Copy("F", 1, a, b, absl::StrCat(now, " - (s.seq * 7919 % ", 20 * 86400, ") * ", kSecond),
           /*all_events=*/true);
    }
  }

  // A claim under review whose history has kLongHistory entries.
  void AddLongHistoryClaim(const std::string& template_id, int64_t now) {
    const std::string shift = absl::StrCat(now, " - 86400000000 * 30 - t.create_time");
    InsertCopy("claims",
               {{"id", absl::StrCat("'", kLongHistoryClaim, "'")},
                {"partner_id", "'partner-big'"},
                {"history_count", std::to_string(kLongHistory)}},
               shift,
               absl::StrCat("FROM claims c JOIN (SELECT create_time FROM claims WHERE id = '",
                            template_id, "') t WHERE c.id = '", template_id, "'"));
    session_ << "INSERT INTO history SELECT '" << kLongHistoryClaim
             << "', s.seq, h.kind, h.name, h.actor_id, h.perspective, h.time + s.seq * " << kSecond
             << ", h.details FROM seq_1_to_" << kLongHistory
             << " s JOIN history h ON h.claim_id = '" << template_id << "' AND h.sequence = 1";
  }

  void Analyze() { session_ << "ANALYZE TABLE claims, history, timers, events"; }

  int64_t Count(const std::string& table) {
    int64_t n = 0;
    session_ << "SELECT COUNT(*) FROM " << table, soci::into(n);
    return n;
  }

 private:
  // Copies of the templates of `population` for numbers a..b: claim ids `prefix` + number,
  // created at `create_expr` (in terms of s.seq), every time column shifted alike.
  void Copy(const std::string& prefix, int population, int64_t a, int64_t b,
            const std::string& create_expr, bool all_events) {
    const std::string id = absl::StrCat("CONCAT('", prefix, "', LPAD(s.seq, 25, '0'))");
    auto from = [&](const std::string& table, const std::string& key) {
      return absl::StrCat(
          "FROM seq_", a, "_to_", b, " s JOIN growth_templates g ON g.in_flight = ", population,
          " AND g.bucket = s.seq % 100 JOIN ", table, " c ON c.", key, " = g.claim_id");
    };
    const std::string shift = absl::StrCat("(", create_expr, ") - g.create_time");
    const std::string partner =
        "IF(s.seq % 100 = 0, 'partner-big', CONCAT('partner-', s.seq % 1999))";
    session_.begin();
    InsertCopy("claims",
               {{"id", id},
                {"partner_id", partner},
                {"partition_id", absl::StrCat("s.seq % ", kPartitions)}},
               shift, from("claims", "id"));
    for (const char* table : {"history", "timers", "evidence", "comments"}) {
      InsertCopy(table, {{"claim_id", id}}, shift, from(table, "claim_id"));
    }
    // Outbox rows carry their sequence here (the fill is the only writer) and the claim's
    // partition; the counter follows.
    int64_t base = 0;
    session_ << "SELECT last_sequence FROM event_counter WHERE id = 1", soci::into(base);
    std::string events_from = from("growth_template_events", "claim_id");
    if (!all_events) absl::StrAppend(&events_from, " AND c.ordinal = c.total");
    InsertCopy("events",
               {{"id", "NULL"},
                {"sequence", absl::StrCat(base, " + (s.seq - ", a, ") * 16 + c.ordinal")},
                {"partition_id", absl::StrCat("s.seq % ", kPartitions)},
                {"partner_id", partner},
                {"claim_id", id}},
               shift, events_from);
    session_ << "UPDATE event_counter SET last_sequence = (SELECT COALESCE(MAX(sequence), 0) FROM "
                "events) "
                "WHERE id = 1";
    session_.commit();
  }

  // INSERT INTO table SELECT: `overrides` by column name, time columns shifted by `shift`
  // (never stays never), the rest as the template row has them.
  void InsertCopy(const std::string& table, const std::map<std::string, std::string>& overrides,
                  const std::string& shift, const std::string& from) {
    static const std::set<std::string> kTimeColumns = {
        "state_entered_at", "next_deadline", "create_time", "update_time",  "time",
        "started_at",       "due_at",        "warn_at",     "next_fire_at", "upload_time"};
    std::vector<std::string> exprs;
    for (const std::string& column : columns_[table]) {
      if (auto it = overrides.find(column); it != overrides.end()) {
        exprs.push_back(it->second);
      } else if (kTimeColumns.contains(column)) {
        exprs.push_back(absl::StrCat("IF(c.", column, " = ", kNever, ", c.", column, ", c.", column,
                                     " + ", shift, ")"));
      } else if (table == "evidence" && column == "content") {
        exprs.push_back("NULL");
      } else {
        exprs.push_back("c." + column);
      }
    }
    session_ << "INSERT INTO " << table << " (" << absl::StrJoin(columns_[table], ", ")
             << ") SELECT " << absl::StrJoin(exprs, ", ") << " " << from;
  }

  soci::session session_;
  std::vector<Template> templates_;
  std::map<std::string, std::vector<std::string>> columns_;
};

struct Timing {
  double median_ms = 0;
  double p99_ms = 0;
};

// Median and p99 of per-call times in milliseconds.
Timing Percentiles(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms[std::min(ms.size() - 1, ms.size() * 99 / 100)]};
}

// Each of `repeats` calls of `op`, in milliseconds.
std::vector<double> TimedCalls(int repeats, const std::function<void(int)>& op) {
  std::vector<double> ms;
  for (int i = 0; i < repeats; ++i) {
    const auto begin = std::chrono::steady_clock::now();
    op(i);
    ms.push_back(Seconds(begin) * 1000);
  }
  return ms;
}

Timing Time(int repeats, const std::function<void(int)>& op) {
  op(0);  // warm
  return Percentiles(TimedCalls(repeats, op));
}

// Every call of `op` timed after one pass over all of them: for reads of a different row each
// call, where Time's single warming call would leave the others cold.
Timing TimeAllWarm(int repeats, const std::function<void(int)>& op) {
  for (int i = 0; i < repeats; ++i) op(i);
  return Percentiles(TimedCalls(repeats, op));
}

struct Measured {
  std::string name;
  std::map<int64_t, Timing> by_level;
  int64_t rows = 0;  // what the last call returned, at the largest level
  // A figure of the disk, not of the query: shown, not held to the 2x rule.
  bool informational = false;
  std::map<int64_t, double> page_reads_per_call;  // buffer pool misses, where counted
};

int64_t ParseCount(absl::string_view text) {
  int64_t n = 0;
  if (!absl::SimpleAtoi(text, &n) || n < 1000) Die(absl::StrCat("bad level ", text));
  return n;
}

int Main() {
  const char* url_env = std::getenv("CLAIMS_BENCH_MYSQL_URL");
  if (url_env == nullptr || *url_env == '\0') Die("CLAIMS_BENCH_MYSQL_URL is required");
  std::string server = url_env;
  if (server.back() != '/') server += '/';
  std::vector<int64_t> levels;
  const char* levels_env = std::getenv("CLAIMS_GROWTH_LEVELS");
  for (absl::string_view l :
       absl::StrSplit(levels_env != nullptr ? levels_env : "100000,1000000,10000000", ',')) {
    levels.push_back(ParseCount(l));
  }
  if (!std::is_sorted(levels.begin(), levels.end())) Die("levels must ascend");
  const char* root = std::getenv("CLAIMS_SOURCE_DIR");
  const workflow::LoadResult loaded =
      testing::LoadWorkflowFile(std::string(root == nullptr ? "." : root) + "/config/workflows");
  if (!loaded.ok()) Die("the CPOR workflow does not load");

  absl::BitGen gen;
  storage::StorageOptions options;
  options.url =
      absl::StrCat(server, "claims_growth_", absl::StrFormat("%08x", absl::Uniform<uint32_t>(gen)));
  options.pool_size = 2;
  options.event_partitions = kPartitions;
  options.event_retention = absl::ZeroDuration();
  Must(storage::CreateDatabaseIfMissing(options), "creating the database");
  std::unique_ptr<Repository> repository =
      Must(storage::OpenSociRepository(options), "opening the repository");

  // Paths through the workflow; weights are percentages within each population.
  std::vector<Template> templates = {{"assessed", false, 57, ""},      {"late", false, 5, ""},
                                     {"rejected", false, 18, ""},      {"withdrawn", false, 5, ""},
                                     {"expired", false, 7, ""},        {"upheld", false, 8, ""},
                                     {"editing", true, 15, ""},        {"submitted", true, 20, ""},
                                     {"under_review", true, 20, ""},   {"review_late", true, 5, ""},
                                     {"partner_action", true, 15, ""}, {"consent", true, 15, ""},
                                     {"dispute", true, 10, ""}};
  const std::map<std::string, std::vector<std::string>> paths = {
      {"assessed",
       {"evidence", "submit", "start_review", "comment", "approve", "timer:consent_period"}},
      {"late",
       {"evidence", "submit", "start_review", "timer:review_decision", "approve",
        "timer:consent_period"}},
      {"review_late", {"evidence", "submit", "start_review", "timer:review_decision"}},
      {"rejected", {"evidence", "submit", "start_review", "reject"}},
      {"withdrawn", {"withdraw"}},
      {"expired", {"evidence", "submit", "start_review", "request_info", "timer:partner_response"}},
      {"upheld", {"evidence", "submit", "start_review", "reject", "dispute", "uphold"}},
      {"editing", {}},
      {"submitted", {"evidence", "submit"}},
      {"under_review", {"evidence", "submit", "start_review"}},
      {"partner_action", {"evidence", "submit", "start_review", "request_info"}},
      {"consent", {"evidence", "submit", "start_review", "comment", "approve"}},
      {"dispute", {"evidence", "submit", "start_review", "reject", "dispute"}}};
  TemplateMaker maker(loaded.definition, *repository);
  // A Monday morning, so the templates' business-day timers look as most claims' do.
  const absl::Time template_start =
      absl::FromCivil(absl::CivilHour(2026, 1, 5, 9), absl::UTCTimeZone());
  std::string under_review_template;
  for (Template& t : templates) {
    t.id = maker.Make(paths.at(t.name), template_start);
    if (t.name == "under_review") under_review_template = t.id;
  }
  // Readers number the outbox (a sequencer after commit); the copies take their numbers from
  // the templates' events, so the templates' must be numbered first.
  Must(repository->ReadOutbox({0, std::nullopt, 1000}), "numbering the templates' events");
  Filler filler(options.url, templates);

  const int64_t origin =
      absl::ToUnixMicros(absl::FromCivil(absl::CivilDay(2023, 1, 2), absl::UTCTimeZone()));
  std::map<int64_t, std::map<std::string, int64_t>> rows_by_level;
  std::map<int64_t, double> fill_seconds;
  std::vector<Measured> measured;
  // `rows` by reference: read after the timed calls have run.
  auto record = [&](const std::string& name, int64_t level, Timing t, const size_t& rows) {
    auto it = std::find_if(measured.begin(), measured.end(),
                           [&](const Measured& m) { return m.name == name; });
    if (it == measured.end()) {
      measured.emplace_back();
      measured.back().name = name;
      it = measured.end() - 1;
    }
    it->by_level[level] = t;
    it->rows = static_cast<int64_t>(rows);
    return &*it;
  };
  std::vector<storage::QueryPlan> plans;

  int64_t archived = 0;
  for (const int64_t level : levels) {
    const auto fill_start = std::chrono::steady_clock::now();
    const int64_t in_flight = std::min(kInFlight, level / 10);
    const int64_t archive = level - in_flight;
    filler.AddArchive(archived + 1, archive, origin);
    archived = archive;
    const int64_t now = origin + archive * kArchiveStep + 40 * 86400 * kSecond;
    filler.ReplaceInFlight(in_flight, now);
    if (level == levels.front()) filler.AddLongHistoryClaim(under_review_template, now);
    filler.Analyze();
    fill_seconds[level] = Seconds(fill_start);
    for (const char* table : {"claims", "history", "timers", "events"}) {
      rows_by_level[level][table] = filler.Count(table);
    }
    std::fprintf(stderr, "growth_bench: %lld claims filled in %.0f s\n",
                 static_cast<long long>(level), fill_seconds[level]);

    const absl::Time at = absl::FromUnixMicros(now);
    auto archive_id = [&](int64_t n) { return absl::StrCat("A", absl::StrFormat("%025d", n)); };
    auto claim = [&](const std::string& id) {
      return Must(repository->GetClaim(id), "GetClaim " + id);
    };

    // Listings: each filter's first page, and the page after a claim 10% from the oldest end
    // of what the filter matches (so the deep page's offset grows with the data).
    struct Listing {
      std::string name;
      ClaimFilter filter;
      std::string deep_after;  // the claim whose page token starts the deep page
    };
    ClaimFilter partner_big;
    partner_big.partner_id = "partner-big";
    ClaimFilter partner_typical;
    partner_typical.partner_id = "partner-7";
    ClaimFilter partner_state = partner_big;
    partner_state.state = "under_review";
    ClaimFilter finished;
    finished.state = "incentive_assessment";
    ClaimFilter reviewing;
    reviewing.state = "under_review";
    ClaimFilter breached;
    breached.sla_breached = true;
    ClaimFilter partner_breached = partner_big;
    partner_breached.sla_breached = true;
    ClaimFilter due_soon;
    due_soon.deadline_before = at + absl::Hours(48);
    ClaimFilter created_window;  // the first day of the archive
    created_window.created_after = absl::FromUnixMicros(origin);
    created_window.created_before = absl::FromUnixMicros(origin + 86400 * kSecond);
    auto tenth_from_oldest = [&](const std::string& where) {
      int64_t matching = 0;
      soci::session& s = filler.session();
      s << "SELECT COUNT(*) FROM claims WHERE " << where, soci::into(matching);
      // At least a page older than the key, so a small level's deep page is as full as a large
      // one's and the two compare the same work.
      const int64_t offset = std::max(matching / 10, std::min<int64_t>(matching - 1, 60));
      std::string id;
      s << "SELECT id FROM claims WHERE " << where << " ORDER BY create_time, id LIMIT 1 OFFSET "
        << offset,
          soci::into(id);
      return id;
    };
    const std::vector<Listing> listings = {
        {"list_all", {}, archive_id(archive / 10)},
        {"list_partner_big", partner_big, archive_id(archive / 1000 * 100)},
        {"list_partner_typical", partner_typical, tenth_from_oldest("partner_id = 'partner-7'")},
        {"list_partner_state", partner_state,
         tenth_from_oldest("partner_id = 'partner-big' AND state = 'under_review'")},
        {"list_state_finished", finished, tenth_from_oldest("state = 'incentive_assessment'")},
        {"list_state_reviewing", reviewing, tenth_from_oldest("state = 'under_review'")},
        {"list_breached", breached, tenth_from_oldest("sla_status = 'breached'")},
        {"list_partner_breached", partner_breached,
         tenth_from_oldest("partner_id = 'partner-big' AND sla_status = 'breached'")},
        {"list_deadline_before", due_soon,
         tenth_from_oldest(
             absl::StrCat("next_deadline < ", absl::ToUnixMicros(at) + 48 * 3600 * kSecond))},
        {"list_created_window", created_window,
         tenth_from_oldest(absl::StrCat("create_time >= ", origin, " AND create_time < ",
                                        origin + 86400 * kSecond))},
    };
    for (const Listing& l : listings) {
      size_t rows = 0;
      record(l.name + " first", level,
             Time(30,
                  [&](int) {
                    rows = Must(repository->ListClaims(l.filter, 50, ""), l.name).claims.size();
                  }),
             rows);
      if (l.deep_after.empty()) continue;
      const std::string token = repository->PageTokenAfter(claim(l.deep_after));
      record(l.name + " deep", level,
             Time(30,
                  [&](int) {
                    rows = Must(repository->ListClaims(l.filter, 50, token), l.name).claims.size();
                  }),
             rows);
    }

    // GetClaim of random in-flight claims (the ones reviewers and partners act on) and of random
    // archived ones, timed apart: a median over both would sit on the seam between the two.
    std::vector<std::string> in_flight_ids, archived_ids;
    for (int i = 0; i < 300; ++i) {
      in_flight_ids.push_back(absl::StrCat(
          "F", absl::StrFormat("%025d", absl::Uniform<int64_t>(gen, 1, in_flight + 1))));
      archived_ids.push_back(archive_id(absl::Uniform<int64_t>(gen, 1, archive + 1)));
    }
    std::vector<std::string> cold_ids;
    std::set<std::string> warmed(archived_ids.begin(), archived_ids.end());
    while (cold_ids.size() < 300) {
      std::string id = archive_id(absl::Uniform<int64_t>(gen, 1, archive + 1));
      if (warmed.insert(id).second) cold_ids.push_back(std::move(id));
    }
    record("get_claim in flight", level,
           Time(300, [&](int i) { claim(in_flight_ids[static_cast<size_t>(i)]); }), 1u);
    record("get_claim archived", level,
           TimeAllWarm(300, [&](int i) { claim(archived_ids[static_cast<size_t>(i)]); }), 1u);
    // Each of these claims read once, first, with the pool's misses counted around the calls.
    auto pool_reads = [&] {
      std::string name;
      int64_t reads = 0;
      filler.session() << "SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_reads'", soci::into(name),
          soci::into(reads);
      return reads;
    };
    const int64_t reads_before = pool_reads();
    const std::vector<double> first_ms = TimedCalls(
        static_cast<int>(cold_ids.size()), [&](int i) { claim(cold_ids[static_cast<size_t>(i)]); });
    const int64_t reads_after = pool_reads();
    Measured* first_read =
        record("get_claim archived, first read", level, Percentiles(first_ms), 1u);
    first_read->informational = true;
    first_read->page_reads_per_call[level] =
        static_cast<double>(reads_after - reads_before) / static_cast<double>(cold_ids.size());

    // The long history, first page with the claim's evidence and comments, and the last.
    size_t entries = 0;
    record("history first page", level,
           Time(50,
                [&](int) {
                  entries = Must(repository->GetClaimDetails(kLongHistoryClaim,
                                                             workflow::Perspective::kReviewer,
                                                             {0, kHistoryPage, false}),
                                 "history")
                                .history.size();
                }),
           entries);
    record("history last page", level,
           Time(50,
                [&](int) {
                  entries = Must(repository->GetClaimDetails(
                                     kLongHistoryClaim, workflow::Perspective::kReviewer,
                                     {kLongHistory - kHistoryPage, kHistoryPage, true}),
                                 "history")
                                .history.size();
                }),
           entries);

    // The sweep at `now`, leaving every due timer as it is (the firer declines), so each pass
    // finds the same ones: what claiming a batch of due timers costs.
    size_t due = 0;
    record("due_timer_sweep", level,
           Time(30,
                [&](int) {
                  due = 0;
                  Must(repository->FireDueTimers(
                           at, 100,
                           [&](const workflow::Claim&, const workflow::TimerInstance&) {
                             ++due;
                             return std::optional<storage::AppliedDecision>();
                           }),
                       "FireDueTimers");
                }),
           due);
    record("next_timer_due", level,
           Time(50, [&](int) { Must(repository->NextTimerDue(), "next"); }), 1);

    // A consumer resuming 10% of the way into the outbox, on every partition and on one.
    int64_t last = 0;
    filler.session() << "SELECT last_sequence FROM event_counter WHERE id = 1", soci::into(last);
    size_t events = 0;
    record("events resume", level,
           Time(50,
                [&](int) {
                  events = Must(repository->ReadOutbox({last / 10, std::nullopt, 100}), "outbox")
                               .events.size();
                }),
           events);
    record(
        "events resume partition", level,
        Time(50,
             [&](int) {
               events = Must(repository->ReadOutbox({last / 10, 3, 100}), "outbox").events.size();
             }),
        events);
    std::fprintf(stderr, "growth_bench: %lld claims measured\n", static_cast<long long>(level));
  }
  plans = Must(storage::ExplainQueries(options), "explaining the queries");

  // The table: medians per level, the ratio largest/smallest, and whether that is within 2x.
  std::printf("database rows per level (claims, history, timers, events) and fill time:\n");
  for (const auto& [level, rows] : rows_by_level) {
    std::printf("  %9lld claims: %lld history, %lld timers, %lld events; filled in %.0f s\n",
                static_cast<long long>(rows.at("claims")),
                static_cast<long long>(rows.at("history")),
                static_cast<long long>(rows.at("timers")),
                static_cast<long long>(rows.at("events")), fill_seconds[level]);
  }
  std::printf("\nmedian ms per call (p99 in brackets); growth = median at %lld / at %lld\n",
              static_cast<long long>(levels.back()), static_cast<long long>(levels.front()));
  std::printf("%-30s", "read");
  for (int64_t level : levels) std::printf(" %20lld", static_cast<long long>(level));
  std::printf(" %7s %5s %5s\n", "growth", "flat", "rows");
  std::string json_reads;
  bool all_flat = true;
  for (const Measured& m : measured) {
    std::printf("%-30s", m.name.c_str());
    std::string per_level;
    for (int64_t level : levels) {
      const Timing& t = m.by_level.at(level);
      std::printf(" %9.3f [%8.3f]", t.median_ms, t.p99_ms);
      absl::StrAppend(&per_level, per_level.empty() ? "" : ",",
                      absl::StrFormat("\"%d\":{\"median_ms\":%.4f,\"p99_ms\":%.4f}", level,
                                      t.median_ms, t.p99_ms));
    }
    const double first = m.by_level.at(levels.front()).median_ms;
    const double growth = first > 0 ? m.by_level.at(levels.back()).median_ms / first : 0;
    const bool flat = growth <= 2.0;
    if (!m.informational) all_flat = all_flat && flat;
    std::printf(" %7.2f %5s %5lld\n", growth,
                m.informational ? "-"
                : flat          ? "yes"
                                : "NO",
                static_cast<long long>(m.rows));
    std::string page_reads;
    for (const auto& [level, reads] : m.page_reads_per_call) {
      absl::StrAppend(&page_reads, page_reads.empty() ? "" : ",",
                      absl::StrFormat("\"%d\":%.2f", level, reads));
    }
    if (!page_reads.empty()) {
      std::printf("%-30s", "  buffer pool reads per call");
      for (int64_t level : levels) std::printf(" %20.2f", m.page_reads_per_call.at(level));
      std::printf("\n");
    }
    absl::StrAppend(
        &json_reads, json_reads.empty() ? "" : ",",
        absl::StrFormat("{\"read\":\"%s\",\"levels\":{%s},\"growth\":%.3f,\"flat\":%s%s}", m.name,
                        per_level, growth,
                        m.informational ? "null"
                        : flat          ? "true"
                                        : "false",
                        page_reads.empty()
                            ? ""
                            : absl::StrCat(",\"informational\":true,\"page_reads_per_call\":{",
                                           page_reads, "}")));
  }
  std::printf("\nplans at %lld claims (index used; filesort or a full scan would show here):\n",
              static_cast<long long>(levels.back()));
  std::string json_plans;
  bool all_indexed = true;
  for (const storage::QueryPlan& p : plans) {
    bool full_scan = false, filesort = false;
    for (const std::string& line : p.plan) {
      full_scan = full_scan || line.find("access=ALL") != std::string::npos;
      filesort = filesort || line == "filesort";
    }
    // A lookup by a unique key the optimizer resolves while planning (no such row, or MIN over
    // an index) shows as a message instead of a table access.
    bool resolved = false;
    for (const std::string& line : p.plan) {
      resolved =
          resolved || line.find("optimized away") != std::string::npos ||
          line.find("Impossible WHERE noticed after reading const tables") != std::string::npos;
    }
    const bool indexed = (resolved || !p.indexes.empty()) && !full_scan;
    all_indexed = all_indexed && indexed;
    std::printf("  %-28s %-40s %s%s\n", p.name.c_str(),
                resolved ? "(resolved by the optimizer on a unique key)"
                         : absl::StrJoin(p.indexes, ",").c_str(),
                full_scan ? "FULL SCAN " : "", filesort ? "filesort" : "");
    absl::StrAppend(&json_plans, json_plans.empty() ? "" : ",",
                    absl::StrFormat("{\"query\":\"%s\",\"indexes\":\"%s\",\"full_scan\":%s,"
                                    "\"filesort\":%s}",
                                    p.name, absl::StrJoin(p.indexes, ","),
                                    full_scan ? "true" : "false", filesort ? "true" : "false"));
  }
  absl::PrintF(
      "{\"bench\":\"growth\",\"levels\":[%s],\"reads\":[%s],\"plans\":[%s],"
      "\"all_flat\":%s,\"all_indexed\":%s}\n",
      absl::StrJoin(levels, ","), json_reads, json_plans, all_flat ? "true" : "false",
      all_indexed ? "true" : "false");
  return all_flat && all_indexed ? 0 : 1;
}

}  // namespace
}  // namespace claims::bench

int main() {
  // The fill talks to SOCI directly, which reports failures by throwing: say what failed rather
  // than abort with a bare "terminate called".
  try {
    return claims::bench::Main();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "growth_bench: %s\n", e.what());
    return 1;
  }
}
