// Repository::ApplyDecision against the limit, the same decision-shaped SQL (claim UPDATE, timer
// upsert, history, idempotency and outbox INSERTs, no shared row) issued directly through SOCI,
// at 1, 4, 16 and 64 concurrent writers, on each MariaDB given and on SQLite, measured in one
// run. Each writer owns its claims (no version conflicts). The ratio repository/limit is the
// figure of merit, not the absolute rates; statements per call and the repository's latency
// percentiles come with each cell. SQLite goes first, with its tail: one writer over 10,000
// calls with checkpoints on the background thread and with SQLite's automatic checkpoint on the
// committing connection.
//
// Environment: CLAIMS_BENCH_MYSQL_URLS (label=url pairs separated by spaces, e.g.
// "mariadb_durable=mysql://claims:claims@127.0.0.1:PORT/"; without it only SQLite runs),
// CLAIMS_BENCH_DIR (where the SQLite file goes; default /tmp), CLAIMS_BENCH_SECONDS (per
// measurement, default 1.5; each cell is measured twice per mode, alternating),
// CLAIMS_BENCH_TAIL_CALLS (calls of each SQLite tail run, default 10,000).

#include <soci/soci.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "storage/ids.h"
#include "storage/internal/codec.h"
#include "storage/internal/dialect.h"
#include "storage/internal/session.h"
#include "storage/internal/statement.h"
#include "storage/internal/url.h"
#include "storage/repository.h"
#include "storage/soci_repository.h"
#include "workflow/claim.h"
#include "workflow/decision.h"

namespace claims::storage {
namespace {

namespace in = internal;

constexpr int kClaimsPerWriter = 4;
constexpr int kWriterCounts[] = {1, 4, 16, 64};

struct Cell {
  std::string backend;
  int writers = 0;
  double repository_tps = 0;
  double direct_tps = 0;
  double repository_statements = 0;  // per call
  double direct_statements = 0;
  double p50_ms = 0, p99_ms = 0, max_ms = 0;  // repository calls
};

struct Latencies {
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
};

Latencies Summarize(std::vector<absl::Duration> all) {
  Latencies out;
  if (all.empty()) return out;
  std::sort(all.begin(), all.end());
  auto at = [&](double q) {
    size_t i = std::min(all.size() - 1, static_cast<size_t>(q * static_cast<double>(all.size())));
    return absl::ToDoubleMilliseconds(all[i]);
  };
  out.p50_ms = at(0.50);
  out.p99_ms = at(0.99);
  out.max_ms = absl::ToDoubleMilliseconds(all.back());
  return out;
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return absl::StrCat(a, " ", b, " ", c);
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "storage_bench: %s\n", what.c_str());
  std::exit(1);
}

workflow::Claim NewClaim(int writer, absl::Time now) {
  workflow::Claim c;
  c.id = NewId(now);
  c.partner_id = absl::StrCat("partner-", writer);
  c.fields.mpn_id = "mpn";
  c.fields.products = {"azure"};
  c.workflow_name = "cpor-association";
  c.workflow_version = 1;
  c.state = "under_review";
  c.state_entered_at = now;
  c.next_deadline = now + absl::Hours(120);
  workflow::TimerInstance t;
  t.name = "decision";
  t.started_at = now;
  t.due_at = now + absl::Hours(120);
  c.timers.push_back(t);
  c.version = 1;
  c.create_time = now;
  c.update_time = now;
  c.created_by = "bench";
  return c;
}

// The decision every write applies: a field edit that re-arms the timer, with one history entry,
// one outbox event and an idempotency record, as a typical API call does.
workflow::Decision EditDecision(const workflow::Claim& c, absl::Time now) {
  workflow::Decision d;
  d.name = "edit";
  d.from_state = c.state;
  d.to_state = c.state;
  d.state_entered_at = c.state_entered_at;
  d.next_deadline = now + absl::Hours(120);
  d.facts = c.facts;
  workflow::TimerInstance t = c.timers[0];
  t.due_at = now + absl::Hours(120);
  d.timers.push_back(t);
  workflow::HistoryEntry h;
  h.kind = workflow::HistoryKind::kEdit;
  h.name = "edit";
  h.actor_id = "bench";
  h.time = now;
  d.history.push_back(h);
  workflow::Event e;
  e.type = "claim_edited";
  e.claim_id = c.id;
  e.partner_id = c.partner_id;
  e.time = now;
  d.events.push_back(e);
  return d;
}

IdempotencyRecord Record(int writer, int64_t n, absl::Time now) {
  return {absl::StrCat("bench/", writer), absl::StrCat(NewId(now), "-", n), "hash", "response",
          now + absl::Hours(1)};
}

// Runs `writers` threads calling `op(writer, i)` for `seconds`; returns operations per second.
// Each call's duration is appended to `latencies` when given.
template <typename Op>
double Measure(int writers, absl::Duration duration, const Op& op,
               std::vector<absl::Duration>* latencies = nullptr) {
  std::atomic<bool> stop{false};
  std::atomic<int64_t> total{0};
  std::vector<std::thread> threads;
  std::vector<std::vector<absl::Duration>> per_writer(static_cast<size_t>(writers));
  absl::Time start = absl::Now();
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      int64_t n = 0;
      std::vector<absl::Duration>& mine = per_writer[static_cast<size_t>(w)];
      while (!stop.load(std::memory_order_relaxed)) {
        absl::Time begin = absl::Now();
        op(w, n);
        if (latencies != nullptr) mine.push_back(absl::Now() - begin);
        ++n;
      }
      total += n;
    });
  }
  absl::SleepFor(duration);
  stop = true;
  for (std::thread& t : threads) t.join();
  if (latencies != nullptr) {
    for (const auto& mine : per_writer)
      latencies->insert(latencies->end(), mine.begin(), mine.end());
  }
  return static_cast<double>(total.load()) / absl::ToDoubleSeconds(absl::Now() - start);
}

class Bench {
 public:
  Bench(std::string backend, std::string url, absl::Duration duration)
      : backend_(std::move(backend)), url_(std::move(url)), duration_(duration) {}

  // SQLite's tail: `calls` repository calls at one writer, each timed.
  Latencies Tail(int calls, absl::Duration checkpoint_interval) {
    StorageOptions options;
    options.url = url_;
    options.sqlite_checkpoint_interval = checkpoint_interval;
    Open(options);
    Prepare(1);
    std::vector<absl::Duration> all;
    all.reserve(static_cast<size_t>(calls));
    for (int64_t n = 0; n < calls; ++n) {
      absl::Time begin = absl::Now();
      ViaRepository(0, n);
      all.push_back(absl::Now() - begin);
    }
    repo_.reset();
    return Summarize(std::move(all));
  }

  std::vector<Cell> Run() {
    StorageOptions options;
    options.url = url_;
    options.pool_size = kWriterCounts[std::size(kWriterCounts) - 1];
    Open(options);

    std::vector<Cell> cells;
    for (int writers : kWriterCounts) {
      Prepare(writers);
      Cell cell;
      cell.backend = backend_;
      cell.writers = writers;
      double repo_sum = 0, direct_sum = 0;
      int64_t repo_calls = 0, repo_statements = 0;
      std::vector<absl::Duration> latencies;
      // Alternating rounds, so drift in the machine's load hits both modes alike.
      for (int round = 0; round < 2; ++round) {
        const int64_t statements_before = repo_->Stats().statements;
        const int64_t calls_before = repo_calls_.load();
        repo_sum += Measure(
            writers, duration_, [&](int w, int64_t n) { ViaRepository(w, n); }, &latencies);
        repo_statements += repo_->Stats().statements - statements_before;
        repo_calls += repo_calls_.load() - calls_before;
        direct_sum += Measure(writers, duration_, [&](int w, int64_t n) { Direct(w, n); });
      }
      cell.repository_tps = repo_sum / 2;
      cell.direct_tps = direct_sum / 2;
      cell.repository_statements =
          repo_calls > 0 ? static_cast<double>(repo_statements) / static_cast<double>(repo_calls)
                         : 0;
      cell.direct_statements = DirectStatementsPerCall();
      Latencies l = Summarize(std::move(latencies));
      cell.p50_ms = l.p50_ms;
      cell.p99_ms = l.p99_ms;
      cell.max_ms = l.max_ms;
      cells.push_back(cell);
      std::fprintf(stderr, "  %s writers=%d done\n", backend_.c_str(), writers);
    }
    repo_.reset();
    return cells;
  }

 private:
  void Open(const StorageOptions& options) {
    absl::StatusOr<std::unique_ptr<Repository>> repo = OpenSociRepository(options);
    if (!repo.ok()) Die(repo.status().ToString());
    repo_ = std::move(*repo);
    absl::StatusOr<in::ConnectionTarget> target = in::ParseStorageUrl(url_, true);
    if (!target.ok()) Die(target.status().ToString());
    target_ = *target;
  }

  // BEGIN, the idempotency INSERT, the claim UPDATE, the timer upsert, the history and outbox
  // INSERTs (with the counter bump before them on SQLite, which sequences at write), COMMIT.
  double DirectStatementsPerCall() const {
    return in::DialectFor(target_.backend).sequences_at_write ? 8 : 7;
  }

  // Per-writer claims for each mode, and one direct session per writer.
  void Prepare(int writers) {
    absl::Time now = absl::Now();
    repo_claims_.assign(static_cast<size_t>(writers), {});
    direct_claims_.assign(static_cast<size_t>(writers), {});
    sessions_.clear();
    for (int w = 0; w < writers; ++w) {
      for (int k = 0; k < kClaimsPerWriter; ++k) {
        for (auto* list : {&repo_claims_, &direct_claims_}) {
          workflow::Claim c = NewClaim(w, now);
          workflow::Decision create;
          create.timers = c.timers;
          if (absl::Status s = repo_->CreateClaim(c, create, WriteOptions()); !s.ok()) {
            Die(s.ToString());
          }
          (*list)[static_cast<size_t>(w)].push_back(c);
        }
      }
      auto session = std::make_unique<soci::session>();
      in::OpenSession(*session, target_, absl::Seconds(5));
      sessions_.push_back(std::move(session));
    }
  }

  void ViaRepository(int w, int64_t n) {
    workflow::Claim& c =
        repo_claims_[static_cast<size_t>(w)][static_cast<size_t>(n % kClaimsPerWriter)];
    absl::Time now = absl::Now();
    workflow::Decision d = EditDecision(c, now);
    workflow::Claim after = workflow::ApplyDecision(c, d, now);
    WriteOptions options;
    options.idempotency = Record(w, n, now);
    if (absl::Status s = repo_->ApplyDecision(after, d, options); !s.ok()) Die(s.ToString());
    c = std::move(after);
    ++repo_calls_;
  }

  // The statements WriteDecision issues for EditDecision, with values prepared up front: the
  // floor the repository's own work (encoding, pooling, retries, checks) is measured against.
  void Direct(int w, int64_t n) {
    workflow::Claim& c =
        direct_claims_[static_cast<size_t>(w)][static_cast<size_t>(n % kClaimsPerWriter)];
    soci::session& s = *sessions_[static_cast<size_t>(w)];
    const in::Dialect& dialect = in::DialectFor(target_.backend);
    absl::Time now = absl::Now();
    const int64_t now_us = in::EncodeTime(now);
    const int64_t due = in::EncodeTime(now + absl::Hours(120));
    const int64_t never = in::kTimeNever, started = in::EncodeTime(c.timers[0].started_at);
    const IdempotencyRecord rec = Record(w, n, now);
    const int64_t expire = in::EncodeTime(rec.expire_time);
    const int64_t version = c.version + 1, expected = c.version, zero = 0, one = 1;
    const int evidence = 0, position = 0, warned = 0;
    const std::string token = NewId(now), products = "[\"azure\"]", empty, kind = "edit",
                      sla = "on_track", armed = "armed", perspective = "system",
                      facts = in::EncodeFacts(c.facts),
                      details = in::EncodeHistoryDetails(workflow::HistoryEntry()),
                      attributes = "{}", type = "claim_edited", actor = "bench";
    const int64_t state_entered = in::EncodeTime(c.state_entered_at);
    int64_t history_count = 0;
    try {
      s << dialect.begin_write;
      s << in::kInsertIdempotency, soci::use(rec.scope), soci::use(rec.request_id),
          soci::use(rec.request_hash), soci::use(rec.response), soci::use(expire);
      {
        // Scoped: SQLite's RETURNING statement must be finished before COMMIT.
        in::Conn conn(s, direct_statements_);
        in::Stmt upd(conn);
        if (dialect.update_claim_returns_history_count) upd.Into(history_count);
        upd.Use(c.fields.mpn_id).Use(empty).Use(empty).Use(empty).Use(empty).Use(empty).Use(empty);
        upd.Use(empty).Use(empty).Use(products).Use(empty).Use(c.workflow_version).Use(c.state);
        upd.Use(state_entered).Use(sla);
        upd.Use(due).Use(evidence).Use(facts).Use(version).Use(now_us).Use(token).Use(one);
        upd.Use(c.id).Use(expected);
        const bool returned = upd.Run(dialect.update_claim);
        if (!(dialect.update_claim_returns_history_count ? returned : upd.AffectedRows() == 1)) {
          Die("direct: version conflict");
        }
      }
      s << in::RowsSql(in::kInsertTimersPrefix, in::kTimerRow, 1, dialect.upsert_timer_suffix),
          soci::use(c.id), soci::use(c.timers[0].name), soci::use(position), soci::use(armed),
          soci::use(started), soci::use(due), soci::use(never), soci::use(warned), soci::use(zero),
          soci::use(due);
      const int64_t history_number = dialect.update_claim_returns_history_count ? history_count : 0;
      s << in::RowsSql(in::kInsertHistoryPrefix, dialect.history_row_after_update, 1),
          soci::use(c.id), soci::use(history_number), soci::use(kind), soci::use(kind),
          soci::use(actor), soci::use(perspective), soci::use(now_us), soci::use(details);
      int64_t last = 0;
      if (dialect.sequences_at_write)
        s << in::kBumpEventCounterReturning, soci::use(one), soci::into(last);
      if (dialect.sequences_at_write) {
        s << in::RowsSql(in::kInsertEventPrefix, dialect.event_row, 1), soci::use(last),
            soci::use(c.id), soci::use(type), soci::use(c.id), soci::use(c.partner_id),
            soci::use(now_us), soci::use(attributes);
      } else {
        s << in::RowsSql(in::kInsertEventPrefix, dialect.event_row, 1), soci::use(c.id),
            soci::use(type), soci::use(c.id), soci::use(c.partner_id), soci::use(now_us),
            soci::use(attributes);
      }
      s << in::kCommit;
    } catch (const std::exception& e) {
      Die(absl::StrCat("direct: ", e.what()));
    }
    c.version = version;
  }

  const std::string backend_;
  const std::string url_;
  const absl::Duration duration_;
  std::unique_ptr<Repository> repo_;
  in::ConnectionTarget target_;
  std::vector<std::vector<workflow::Claim>> repo_claims_, direct_claims_;
  std::vector<std::unique_ptr<soci::session>> sessions_;
  std::atomic<int64_t> direct_statements_{0};
  std::atomic<int64_t> repo_calls_{0};
};

std::string RandomName(std::string_view prefix) {
  absl::BitGen gen;
  return absl::StrCat(std::string(prefix), absl::StrFormat("%08x", absl::Uniform<uint32_t>(gen)));
}

int Main() {
  const char* seconds_env = std::getenv("CLAIMS_BENCH_SECONDS");
  double seconds = seconds_env != nullptr ? std::atof(seconds_env) : 1.5;
  if (seconds <= 0) Die("CLAIMS_BENCH_SECONDS must be positive");
  absl::Duration duration = absl::Seconds(seconds);
  const std::string load_before = LoadAverage();

  // SQLite first, on a quiet disk: after its 64-writer cells the durable MariaDB keeps writing
  // dirty pages back for tens of seconds, and SQLite's checkpoints then wait behind that I/O
  // (the worst call at one writer: 17 to 22 ms measured alone, 53 to 87 ms after the servers'
  // cells), which is another database's load, not the embedded default's.
  const char* dir_env = std::getenv("CLAIMS_BENCH_DIR");
  std::filesystem::path dir = dir_env != nullptr ? dir_env : "/tmp";
  auto remove_database = [](const std::filesystem::path& file) {
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::error_code ignored;
      std::filesystem::remove(file.string() + suffix, ignored);
    }
  };
  std::filesystem::path file = dir / RandomName("claims_bench_").append(".db");
  const std::vector<Cell> sqlite_cells = Bench("sqlite", "sqlite:" + file.string(), duration).Run();
  remove_database(file);

  // The tail at one writer: checkpoints in the background (the default) against SQLite's
  // automatic checkpoint inside the COMMIT that crosses 1000 pages.
  const char* tail_env = std::getenv("CLAIMS_BENCH_TAIL_CALLS");
  const int tail_calls = tail_env != nullptr ? std::atoi(tail_env) : 10000;
  if (tail_calls < 100) Die("CLAIMS_BENCH_TAIL_CALLS must be at least 100");
  struct Tail {
    std::string mode;
    Latencies latencies;
  };
  std::vector<Tail> tails;
  for (auto [mode, interval] :
       {std::pair<std::string, absl::Duration>{"background_checkpoint", absl::Milliseconds(500)},
        {"autocheckpoint_on_commit", absl::ZeroDuration()}}) {
    std::filesystem::path tail_file = dir / RandomName("claims_tail_").append(".db");
    tails.push_back(
        {mode,
         Bench("sqlite", "sqlite:" + tail_file.string(), duration).Tail(tail_calls, interval)});
    remove_database(tail_file);
  }

  std::vector<Cell> cells;
  const char* mysql_env = std::getenv("CLAIMS_BENCH_MYSQL_URLS");
  if (mysql_env != nullptr && *mysql_env != '\0') {
    std::vector<std::string> pairs = absl::StrSplit(std::string(mysql_env), ' ', absl::SkipEmpty());
    for (const std::string& pair : pairs) {
      std::vector<std::string> parts = absl::StrSplit(pair, absl::MaxSplits('=', 1));
      if (parts.size() != 2) Die("CLAIMS_BENCH_MYSQL_URLS holds label=url pairs");
      std::string server = parts[1];
      if (server.back() != '/') server += '/';
      StorageOptions create;
      create.url = server + RandomName("claims_bench_");
      if (absl::Status s = CreateDatabaseIfMissing(create); !s.ok()) Die(s.ToString());
      for (const Cell& c : Bench(parts[0], create.url, duration).Run()) cells.push_back(c);
    }
  } else {
    std::fprintf(stderr, "storage_bench: CLAIMS_BENCH_MYSQL_URLS not set; SQLite only\n");
  }
  cells.insert(cells.end(), sqlite_cells.begin(), sqlite_cells.end());
  const std::string load_after = LoadAverage();

  std::printf("load average before %s, after %s (1, 5, 15 min; 2 cores)\n", load_before.c_str(),
              load_after.c_str());
  std::printf("%-16s %7s %11s %9s %6s %10s %10s %7s %7s %7s\n", "backend", "writers", "repo tx/s",
              "limit tx/s", "ratio", "stmts/repo", "stmts/lim", "p50 ms", "p99 ms", "max ms");
  std::string results;
  std::map<std::string, double> one_writer;
  std::string summary;
  for (const Cell& c : cells) {
    double ratio = c.direct_tps > 0 ? c.repository_tps / c.direct_tps : 0;
    if (c.writers == 1) one_writer[c.backend] = c.repository_tps;
    std::printf("%-16s %7d %11.0f %9.0f %6.3f %10.2f %10.2f %7.2f %7.2f %7.1f\n", c.backend.c_str(),
                c.writers, c.repository_tps, c.direct_tps, ratio, c.repository_statements,
                c.direct_statements, c.p50_ms, c.p99_ms, c.max_ms);
    absl::StrAppend(
        &results, results.empty() ? "" : ",",
        absl::StrFormat("{\"backend\":\"%s\",\"writers\":%d,\"repository_tps\":%.1f,"
                        "\"limit_tps\":%.1f,\"ratio\":%.3f,\"repository_statements\":%.2f,"
                        "\"limit_statements\":%.0f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,"
                        "\"max_ms\":%.2f}",
                        c.backend, c.writers, c.repository_tps, c.direct_tps, ratio,
                        c.repository_statements, c.direct_statements, c.p50_ms, c.p99_ms,
                        c.max_ms));
    if (c.writers == 16 && one_writer[c.backend] > 0) {
      absl::StrAppend(
          &summary, absl::StrFormat(",\"%s_16_ratio\":%.3f,\"%s_16_over_1\":%.2f", c.backend, ratio,
                                    c.backend, c.repository_tps / one_writer[c.backend]));
    }
  }
  std::printf("\nsqlite, 1 writer, %d calls each\n%-26s %8s %8s %8s\n", tail_calls, "mode",
              "p50 ms", "p99 ms", "max ms");
  std::string tail_json;
  for (const Tail& t : tails) {
    std::printf("%-26s %8.3f %8.3f %8.2f\n", t.mode.c_str(), t.latencies.p50_ms, t.latencies.p99_ms,
                t.latencies.max_ms);
    absl::StrAppend(&tail_json, tail_json.empty() ? "" : ",",
                    absl::StrFormat("{\"mode\":\"%s\",\"calls\":%d,\"p50_ms\":%.3f,"
                                    "\"p99_ms\":%.3f,\"max_ms\":%.2f}",
                                    t.mode, tail_calls, t.latencies.p50_ms, t.latencies.p99_ms,
                                    t.latencies.max_ms));
  }
  std::printf(
      "{\"bench\":\"storage\",\"seconds_per_measurement\":%.2f,\"load_before\":\"%s\","
      "\"load_after\":\"%s\",\"results\":[%s],\"sqlite_tail\":[%s]%s}\n",
      seconds, load_before.c_str(), load_after.c_str(), results.c_str(), tail_json.c_str(),
      summary.c_str());
  return 0;
}

}  // namespace
}  // namespace claims::storage

int main() { return claims::storage::Main(); }
