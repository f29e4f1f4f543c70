// The whole service as its users call it: claims going round the CPOR workflow through gRPC
// PerformAction against claimsd on 127.0.0.1, at 1, 4, 16 and 64 concurrent clients, on MariaDB
// (scripts/bench/service.sh starts it durable: redo and binary log synced at every commit, as
// production servers are) and SQLite, compared in the same run with the same database work done
// directly. The ratio service/direct is the figure of merit, not the absolute rates.
//
// The loop: every client owns its claims (no version conflicts) and drives each of them through
// under_review -> request_info -> partner_action_required -> resubmit -> under_review -> ...,
// the reviewer asking with a reason code and a comment, the partner answering. Each call sends
// the etag of the version the client last saw and a fresh request_id, as a careful client does,
// and has a deadline. A call counts only if it succeeded and answered the state and a new etag
// the transition promises.
//
// The baseline ("direct") makes, for the same claims, transitions and concurrency, the very
// repository calls ClaimsLogic::PerformAction makes for such a request: FindIdempotencyRecord
// for the request id, GetClaim, then ApplyDecision storing the answer with it. It goes through
// the server's own Repository (same backend, same connection pool), with decisions and answers
// the engine and the proto mapping made for those transitions during setup. ApplyDecision alone
// would charge the service for the two reads it makes before every write, database work and not
// its own; storage_bench's hand-written SQL would measure the repository again, which
// that benchmark already does. So the two modes differ in exactly what the service adds: gRPC at
// both ends, the hand-off to the worker pool, reading the caller from metadata (auth.mode
// metadata, the default), the engine, the proto mapping, hashing the request and serialising
// the stored answer.
//
// The server runs with the shipped configuration of its backend (worker threads, queue, pool
// size; see Bench::Config) except for the timer scheduler, which is off: with it on, every decision
// that touches timers wakes it for a sweep, database work outside the request that would blur the
// comparison. Clients, the server's threads and the database share this machine's cores; clients in
// production run elsewhere, so the ratio understates what a server keeps of its database. At one
// client on MariaDB both modes mostly wait: a call is about 20 statements, each a loopback round
// trip to mariadbd, and waking an idle core for each dominates (a low-priority busy loop beside the
// run raises both rates 1.7 to 3 times). The service's own threads keep cores awake more often, so
// that cell can show a ratio above 1 and says little about the service.
//
// claimsd runs in a process of its own (this program again, with --serve), as it is deployed:
// its CPU is read from its process apart from the clients' and the database's, and nothing of
// the load generator shares its heap or its threads. The clients are that load generator: each
// has its own channel, and one thread drives all of them through gRPC's asynchronous API on one
// completion queue, so 64 clients cost one thread rather than 64 competing with claimsd's for the
// two cores. Their CPU per call is a column of its own (about a sixth of claimsd's).
//
// Each measurement runs CLAIMS_BENCH_SECONDS, 3 by default. Shorter windows are dominated by
// the first second, in which MariaDB's group commits and both modes' pools are still settling:
// at 16 clients the ratio read 0.70 to 0.74 over 1.5 s windows, 0.76 to 0.78 over 3 and 5 s.
//
// Modes (arguments; none: all three): `perform`, the comparison above; `lifecycle`, whole claims
// from creation to a comment on their approval, for the latency users feel; `replicas`, the
// perform loop on one claimsd against two over the same MariaDB. See each class below.
//
// One more row, sqlite_jwt at 4 clients, runs claimsd with auth.mode jwt: every call carries an
// RS256 bearer token that the server verifies, against the sqlite row's trusted headers.
//
// Environment: CLAIMS_BENCH_MYSQL_URL (server URL, e.g. mysql://claims:claims@127.0.0.1:PORT/;
// without it only SQLite runs), CLAIMS_BENCH_DIR (where the SQLite file goes; default /tmp),
// CLAIMS_BENCH_SECONDS (per measurement, default 3; each cell is measured twice per mode,
// alternating), CLAIMS_BENCH_CLIENTS (the perform and lifecycle client counts, e.g. "16";
// default 1,4,16,64), CLAIMS_SOURCE_DIR (the repository root, for config/workflows; default "."),
// CLAIMS_BENCH_DB_PID (the database server's PID, for the CPU it spends per call).

#include <grpc/grpc.h>
#include <grpcpp/grpcpp.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "claims/v1/claims_service.grpc.pb.h"
#include "config/claims_config.h"
#include "server/api/proto_mapping.h"
#include "spdlog/sinks/null_sink.h"
#include "spdlog/sinks/stdout_sinks.h"
#include "spdlog/spdlog.h"
#include "storage/repository.h"
#include "storage/soci_repository.h"
#include "tests/bench/claimsd_process.h"
#include "tests/testing/shipped_workflow.h"
#include "tests/testing/test_keys.h"
#include "workflow/claim.h"
#include "workflow/decision.h"
#include "workflow/engine.h"
#include "workflow/loader.h"

namespace claims::bench {
namespace {

namespace pb = ::claims::v1;

constexpr int kClaimsPerClient = 4;
constexpr int kClientCounts[] = {1, 4, 16, 64};
// Far above any call's latency here, so only a hung server trips it.
constexpr auto kDeadline = std::chrono::seconds(10);
constexpr char kInfoReason[] = "missing_all_poe";
constexpr char kInfoComment[] = "The PoE is unsigned; please upload the countersigned SOW.";
constexpr char kUnderReview[] = "under_review";
constexpr char kActionRequired[] = "partner_action_required";

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "service_bench: %s\n", what.c_str());
  std::exit(1);
}

// The client counts of the perform and lifecycle modes: CLAIMS_BENCH_CLIENTS ("16" or "4,16"),
// or all of kClientCounts.
std::vector<int> ClientCounts() {
  const char* env = std::getenv("CLAIMS_BENCH_CLIENTS");
  if (env == nullptr || *env == '\0') return {std::begin(kClientCounts), std::end(kClientCounts)};
  std::vector<int> counts;
  for (const std::string& part : std::vector<std::string>(absl::StrSplit(env, ','))) {
    int n = 0;
    if (!absl::SimpleAtoi(part, &n) || n < 1 || n > 1024) {
      Die(absl::StrCat("CLAIMS_BENCH_CLIENTS: \"", part, "\" is not a client count (1 to 1024)"));
    }
    counts.push_back(n);
  }
  return counts;
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return absl::StrCat(one, " ", five, " ", fifteen);
}

// The shipped workflow, loaded as the server loads it, for the baseline's decisions.
std::shared_ptr<const workflow::Definition> LoadCpor(const std::string& dir) {
  const workflow::LoadResult result = testing::LoadWorkflowFile(dir);
  for (const workflow::Diagnostic& d : result.diagnostics) {
    std::fprintf(stderr, "%s\n", d.ToString().c_str());
  }
  if (!result.ok()) Die("the CPOR workflow does not load");
  return result.definition;
}

std::string RandomName(std::string_view prefix) {
  absl::BitGen gen;
  return absl::StrCat(std::string(prefix), absl::StrFormat("%08x", absl::Uniform<uint32_t>(gen)));
}

struct Identity {
  std::string actor;
  std::string roles;
  std::string partner;
  std::string token;  // auth.mode jwt: a bearer token saying the above
  workflow::Actor ToActor() const { return {actor, {roles}, partner}; }
};

constexpr char kIssuer[] = "https://login.bench.test/";
constexpr char kAudience[] = "claims";

// How the bench's claimsd authenticates callers: the shipped default (trusted headers), or
// RS256 bearer tokens signed with a key made for the run.
struct Auth {
  config::AuthConfig config;
  std::string private_pem;  // empty for auth.mode metadata

  static Auth Metadata() { return {}; }
  static Auth Jwt(const std::filesystem::path& dir) {
    const testing::KeyPair keys = testing::NewRsaKeyPair();
    const std::string key_file = (dir / RandomName("claims_bench_key_")).string() + ".pem";
    std::ofstream(key_file) << keys.public_pem;
    Auth auth;
    auth.config = JwtConfig(key_file);
    auth.private_pem = keys.private_pem;
    return auth;
  }
  // claimsd's side: tokens of the bench's issuer and audience, signed by the key in the file.
  static config::AuthConfig JwtConfig(const std::string& public_key_file) {
    config::AuthConfig config;
    config.mode = config::AuthMode::kJwt;
    config.issuer = kIssuer;
    config.audience = kAudience;
    config.keys = {{"bench", "RS256", public_key_file, ""}};
    return config;
  }
  // What claimsd --serve needs after the URL and the workflows directory to authenticate so.
  std::vector<std::string> ServeArguments() const {
    if (config.mode != config::AuthMode::kJwt) return {};
    return {config.keys[0].public_key_file};
  }
  // A token for `who`, good for longer than a run.
  std::string TokenFor(const Identity& who) const {
    if (private_pem.empty()) return "";
    jwt::jwt_object token = testing::Token(
        {kIssuer, kAudience, who.actor, {who.roles}, who.partner, "", 3600}, "RS256", private_pem);
    token.header().add_header("kid", "bench");
    return token.signature();
  }
};

// One caller of the API: its own channel (its own TCP connection, as separate users have), a
// partner and the reviewer who works on that partner's claims.
class Client {
 public:
  // `request_prefix` keeps this client's request ids apart from those of earlier clients with
  // the same actor names, whose answers the server still holds.
  Client(int port, int index, std::string request_prefix, const Auth& auth)
      : request_prefix_(std::move(request_prefix)),
        partner_{absl::StrCat("pat-", index), "billing_admin", absl::StrCat("partner-", index), ""},
        reviewer_{absl::StrCat("rita-", index), "reviewer", "", ""} {
    partner_.token = auth.TokenFor(partner_);
    reviewer_.token = auth.TokenFor(reviewer_);
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    channel_ = grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port),
                                         grpc::InsecureChannelCredentials(), args);
    if (!channel_->WaitForConnected(std::chrono::system_clock::now() + kDeadline)) {
      Die(absl::StrCat("client ", index, " cannot connect to 127.0.0.1:", port));
    }
    stub_ = pb::Claims::NewStub(channel_);
  }

  const Identity& partner() const { return partner_; }
  const Identity& reviewer() const { return reviewer_; }
  std::string NextRequestId() { return absl::StrCat(request_prefix_, next_request_++); }

  template <typename Request, typename Response>
  grpc::Status Call(const Identity& who, const Request& request, Response* response,
                    grpc::Status (pb::Claims::Stub::*method)(grpc::ClientContext*, const Request&,
                                                             Response*)) {
    grpc::ClientContext context;
    Prepare(context, who);
    return (stub_.get()->*method)(&context, request, response);
  }

  // A call's deadline and `who`'s credentials, for calls made through stub() directly.
  static void Prepare(grpc::ClientContext& context, const Identity& who) {
    context.set_deadline(std::chrono::system_clock::now() + kDeadline);
    if (!who.token.empty()) {
      context.AddMetadata("authorization", "Bearer " + who.token);
    } else {
      context.AddMetadata("x-claims-actor", who.actor);
      context.AddMetadata("x-claims-roles", who.roles);
      if (!who.partner.empty()) context.AddMetadata("x-claims-partner", who.partner);
    }
  }
  pb::Claims::Stub& stub() { return *stub_; }

 private:
  const std::string request_prefix_;
  Identity partner_;
  Identity reviewer_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<pb::Claims::Stub> stub_;
  int64_t next_request_ = 0;
};

void MustSucceed(const grpc::Status& status, const std::string& what) {
  if (!status.ok()) {
    Die(absl::StrCat("setup: ", what, ": ", static_cast<int>(status.error_code()), " ",
                     status.error_message()));
  }
}

pb::CreateClaimRequest NewClaimRequest(Client& client) {
  pb::CreateClaimRequest create;
  create.set_parent(absl::StrCat("partners/", client.partner().partner));
  create.set_request_id(client.NextRequestId());
  pb::Claim* fields = create.mutable_claim();
  fields->set_mpn_id("4412345");
  fields->mutable_customer()->set_tenant_id("6f1c2a9e-0000-4000-8000-000000000001");
  fields->mutable_customer()->set_name("Fabrikam");
  fields->mutable_customer_contact()->set_name("Fay");
  fields->mutable_customer_contact()->set_email("fay@fabrikam.example");
  fields->mutable_partner_contact()->set_name("Pat");
  fields->mutable_partner_contact()->set_email("pat@contoso.example");
  fields->add_products("dynamics_365_sales");
  fields->add_products("power_bi");
  fields->set_activity("revenue_association");
  return create;
}

pb::AddEvidenceRequest NewEvidenceRequest(Client& client, const std::string& claim_name) {
  pb::AddEvidenceRequest evidence;
  evidence.set_parent(claim_name);
  evidence.set_request_id(client.NextRequestId());
  evidence.mutable_evidence()->set_file_name("poe.pdf");
  evidence.mutable_evidence()->set_content_type("application/pdf");
  // A PDF's magic, so content sniffing agrees with the declared type.
  evidence.mutable_evidence()->set_content("%PDF-1.7\n" + std::string(4096, 'p'));
  return evidence;
}

pb::PerformActionRequest NewActionRequest(Client& client, const pb::Claim& claim,
                                          const std::string& action) {
  pb::PerformActionRequest request;
  request.set_name(claim.name());
  request.set_action(action);
  request.set_etag(claim.etag());
  request.set_request_id(client.NextRequestId());
  return request;
}

// A claim created and brought to under_review through the API, as the setup of either mode.
pb::Claim ClaimUnderReview(Client& client) {
  pb::Claim claim;
  MustSucceed(client.Call(client.partner(), NewClaimRequest(client), &claim,
                          &pb::Claims::Stub::CreateClaim),
              "CreateClaim");
  pb::Evidence stored;
  MustSucceed(client.Call(client.partner(), NewEvidenceRequest(client, claim.name()), &stored,
                          &pb::Claims::Stub::AddEvidence),
              "AddEvidence");
  // The upload made a new version, and its answer carries no etag: read the claim again.
  pb::GetClaimRequest get;
  get.set_name(claim.name());
  MustSucceed(client.Call(client.partner(), get, &claim, &pb::Claims::Stub::GetClaim), "GetClaim");

  for (const auto& [action, who] :
       {std::pair{"submit", &client.partner()}, std::pair{"start_review", &client.reviewer()}}) {
    MustSucceed(client.Call(*who, NewActionRequest(client, claim, action), &claim,
                            &pb::Claims::Stub::PerformAction),
                action);
  }
  if (claim.state() != kUnderReview) Die(absl::StrCat("setup: claim in ", claim.state()));
  return claim;
}

// What one client of the service mode knows about a claim of its own.
struct ServiceClaim {
  std::string name;
  std::string etag;
  bool under_review = true;
};

// A claim of the direct mode: the two transitions of the cycle as the engine decided them on
// this claim, and the answers the service would have stored for them.
struct DirectClaim {
  struct Step {
    workflow::Claim after;
    workflow::Decision decision;
    std::string scope;     // the caller's idempotency scope, as the logic forms it
    std::string response;  // the serialised pb::Claim the service would answer
  };
  std::string id;
  int64_t version = 0;
  bool under_review = true;
  Step request_info;
  Step resubmit;
};

// CPU time used so far, in microseconds, by this process (the clients, or the direct calls), by
// claimsd's process when there is one, and by the database server whose PID CLAIMS_BENCH_DB_PID
// names (0 without it).
struct CpuTimes {
  double self_us = 0;
  double claimsd_us = 0;
  double database_us = 0;
};

CpuTimes CpuNow(pid_t claimsd) {
  CpuTimes t;
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  t.self_us = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e6 +
              static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
  if (claimsd > 0) t.claimsd_us = ProcessCpuMicros(claimsd);
  static const char* pid = std::getenv("CLAIMS_BENCH_DB_PID");
  if (pid != nullptr && *pid != '\0') t.database_us = ProcessCpuMicros(std::atoi(pid));
  return t;
}

// Operations completed in one measurement, with their latencies and the CPU each took.
struct Round {
  double per_second = 0;
  int64_t failures = 0;
  std::vector<float> latency_us;
  double self_cpu_us_per_op = 0;
  double claimsd_cpu_us_per_op = 0;
  double database_cpu_us_per_op = 0;
  int64_t operations = 0;
  int64_t statements = 0;  // sent to the database meanwhile, by claimsd or the direct calls

  // With `operations` counted over `seconds`: the rate and the CPU per operation.
  void Rate(double seconds, const CpuTimes& before, const CpuTimes& after) {
    per_second = static_cast<double>(operations) / seconds;
    if (operations == 0) return;
    const auto n = static_cast<double>(operations);
    self_cpu_us_per_op = (after.self_us - before.self_us) / n;
    claimsd_cpu_us_per_op = (after.claimsd_us - before.claimsd_us) / n;
    database_cpu_us_per_op = (after.database_us - before.database_us) / n;
  }
};

// Runs `threads` threads calling `op(thread)` for `duration`; op answers whether it succeeded.
template <typename Op>
Round Measure(int threads, absl::Duration duration, const Op& op) {
  std::atomic<bool> stop{false};
  std::vector<int64_t> done(static_cast<size_t>(threads), 0);
  std::vector<int64_t> failed(static_cast<size_t>(threads), 0);
  std::vector<std::vector<float>> latencies(static_cast<size_t>(threads));
  std::vector<std::thread> workers;
  const CpuTimes cpu_before = CpuNow(-1);
  const absl::Time start = absl::Now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      const auto i = static_cast<size_t>(t);
      latencies[i].reserve(8192);
      while (!stop.load(std::memory_order_relaxed)) {
        const auto begin = std::chrono::steady_clock::now();
        const bool ok = op(t);
        const std::chrono::duration<float, std::micro> took =
            std::chrono::steady_clock::now() - begin;
        if (ok) {
          ++done[i];
          latencies[i].push_back(took.count());
        } else {
          ++failed[i];
        }
      }
    });
  }
  absl::SleepFor(duration);
  stop = true;
  for (std::thread& w : workers) w.join();
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  const CpuTimes cpu_after = CpuNow(-1);
  Round round;
  for (size_t i = 0; i < done.size(); ++i) {
    round.operations += done[i];
    round.failures += failed[i];
    round.latency_us.insert(round.latency_us.end(), latencies[i].begin(), latencies[i].end());
  }
  round.Rate(seconds, cpu_before, cpu_after);
  return round;
}

// One unary call in flight on a completion queue, whatever its method.
struct AsyncCall {
  std::unique_ptr<grpc::ClientContext> context;
  std::shared_ptr<void> reader;  // the method's grpc::ClientAsyncResponseReader
  grpc::Status status;
  std::chrono::steady_clock::time_point begin;

  // Calls `prepare` (a stub's PrepareAsync method) as `who`; the answer goes to `response` and
  // `tag` comes out of `queue` when it is there. `request` is serialised before this returns.
  template <typename Request, typename Response>
  void Start(Client& client, const Identity& who, const Request& request, Response* response,
             std::unique_ptr<grpc::ClientAsyncResponseReader<Response>> (
                 pb::Claims::Stub::*prepare)(grpc::ClientContext*, const Request&,
                                             grpc::CompletionQueue*),
             grpc::CompletionQueue& queue, void* tag) {
    context = std::make_unique<grpc::ClientContext>();
    Client::Prepare(*context, who);
    status = grpc::Status();
    begin = std::chrono::steady_clock::now();
    std::unique_ptr<grpc::ClientAsyncResponseReader<Response>> call =
        (client.stub().*prepare)(context.get(), request, &queue);
    call->StartCall();
    call->Finish(response, &status, tag);
    reader = std::move(call);
  }

  float MicrosSinceStart(std::chrono::steady_clock::time_point now) const {
    return std::chrono::duration<float, std::micro>(now - begin).count();
  }
};

// Drives `clients` clients from this one thread through `queue` for `duration`, each with one
// call in flight, as gRPC's own load generators drive a server: `start(c)` starts client c's
// next call with tag c, `finish(c, ok, now)` takes its answer (ok: the queue delivered it).
// Blocking stubs would add a thread per client to the machine's cores, woken for every answer:
// CPU that a deployment's clients spend on machines of their own, taken here from claimsd and
// the database. No call starts after `duration`; returns the seconds until the last answer.
template <typename Start, typename Finish>
double DriveClients(int clients, absl::Duration duration, grpc::CompletionQueue& queue,
                    const Start& start, const Finish& finish) {
  const absl::Time started = absl::Now();
  const auto until = std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(duration);
  for (int c = 0; c < clients; ++c) start(c);
  int in_flight = clients;
  void* tag = nullptr;
  bool ok = false;
  while (in_flight > 0 && queue.Next(&tag, &ok)) {
    const auto c = static_cast<int>(reinterpret_cast<intptr_t>(tag));
    const auto now = std::chrono::steady_clock::now();
    finish(c, ok, now);
    if (now < until) {
      start(c);
    } else {
      --in_flight;
    }
  }
  return absl::ToDoubleSeconds(absl::Now() - started);
}

void* TagOf(int client) { return reinterpret_cast<void*>(static_cast<intptr_t>(client)); }

// The PerformAction that moves `claim` one step round the cycle, and who asks for it.
std::pair<pb::PerformActionRequest, const Identity*> NextStep(Client& client,
                                                              const ServiceClaim& claim) {
  pb::PerformActionRequest request;
  request.set_name(claim.name);
  request.set_etag(claim.etag);
  request.set_request_id(client.NextRequestId());
  if (claim.under_review) {
    request.set_action("request_info");
    request.add_reasons(kInfoReason);
    request.set_comment(kInfoComment);
  } else {
    request.set_action("resubmit");
  }
  return {std::move(request), claim.under_review ? &client.reviewer() : &client.partner()};
}

// After a failed call the claim may or may not have moved: ask, as a client would.
void Resync(Client& client, ServiceClaim& claim) {
  pb::GetClaimRequest get;
  get.set_name(claim.name);
  pb::Claim answer;
  if (client.Call(client.reviewer(), get, &answer, &pb::Claims::Stub::GetClaim).ok()) {
    claim.etag = answer.etag();
    claim.under_review = answer.state() == kUnderReview;
  }
}

// A client of the PerformAction loop and the claims it moves, one after another.
struct Performer {
  Client* client = nullptr;
  std::vector<ServiceClaim>* claims = nullptr;
  int64_t next = 0;
};

// The PerformAction loop through the API for `duration` (see DriveClients). A call counts only
// if it succeeded and answered the state and a new etag the transition promises; `fail` hears
// of the others, whose claims are then read back. `claimsd`: the server's process, whose CPU
// is counted (-1: none).
Round PerformLoop(std::vector<Performer>& performers, absl::Duration duration, pid_t claimsd,
                  const std::function<void(const std::string&)>& fail) {
  struct Flight {
    ServiceClaim* claim = nullptr;
    pb::PerformActionRequest request;
    pb::Claim answer;
    AsyncCall call;
  };
  grpc::CompletionQueue queue;
  std::vector<Flight> flights(performers.size());
  Round round;
  round.latency_us.reserve(16384);
  auto start = [&](int c) {
    Performer& p = performers[static_cast<size_t>(c)];
    Flight& f = flights[static_cast<size_t>(c)];
    f.claim = &(*p.claims)[static_cast<size_t>(p.next++) % p.claims->size()];
    auto [request, who] = NextStep(*p.client, *f.claim);
    f.request = std::move(request);
    f.answer.Clear();
    f.call.Start(*p.client, *who, f.request, &f.answer,
                 &pb::Claims::Stub::PrepareAsyncPerformAction, queue, TagOf(c));
  };
  auto finish = [&](int c, bool ok, std::chrono::steady_clock::time_point now) {
    Flight& f = flights[static_cast<size_t>(c)];
    ServiceClaim& claim = *f.claim;
    const char* expected = claim.under_review ? kActionRequired : kUnderReview;
    if (ok && f.call.status.ok() && f.answer.state() == expected && !f.answer.etag().empty() &&
        f.answer.etag() != claim.etag) {
      claim.etag = f.answer.etag();
      claim.under_review = !claim.under_review;
      ++round.operations;
      round.latency_us.push_back(f.call.MicrosSinceStart(now));
      return;
    }
    ++round.failures;
    fail(absl::StrCat("service: ", f.request.action(), ": ",
                      static_cast<int>(f.call.status.error_code()), " ",
                      f.call.status.error_message(), " state=", f.answer.state()));
    Resync(*performers[static_cast<size_t>(c)].client, claim);
  };
  const CpuTimes cpu_before = CpuNow(claimsd);
  const double seconds =
      DriveClients(static_cast<int>(performers.size()), duration, queue, start, finish);
  round.Rate(seconds, cpu_before, CpuNow(claimsd));
  queue.Shutdown();
  void* tag = nullptr;
  bool ok = false;
  while (queue.Next(&tag, &ok)) {
  }
  return round;
}

double PercentileMs(std::vector<float> values, double p) {
  if (values.empty()) return 0;
  const auto k =
      std::min(values.size() - 1, static_cast<size_t>(p * static_cast<double>(values.size())));
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k), values.end());
  return static_cast<double>(values[k]) / 1000.0;
}

struct Figures {
  double per_second = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  int64_t failures = 0;
  double self_cpu_ms_per_op = 0;
  double claimsd_cpu_ms_per_op = 0;
  double database_cpu_ms_per_op = 0;
  double statements_per_op = 0;
};

struct Cell {
  std::string backend;
  int clients = 0;
  Figures service;
  Figures direct;
};

class Bench {
 public:
  Bench(std::string backend, std::string url, std::string workflows_dir,
        std::shared_ptr<const workflow::Definition> definition, absl::Duration duration,
        Auth auth = Auth::Metadata(), std::vector<int> client_counts = ClientCounts())
      : backend_(std::move(backend)),
        url_(std::move(url)),
        workflows_dir_(std::move(workflows_dir)),
        engine_(std::move(definition)),
        duration_(duration),
        auth_(std::move(auth)),
        client_counts_(std::move(client_counts)) {}

  // The shipped configuration for the URL's backend (config/claimsd.mysql.yaml for MySQL,
  // config/claimsd.yaml for SQLite) as far as throughput goes: worker threads, queue and pool
  // size. The rest is this process's: its database, a free loopback port, no TLS, no metrics
  // endpoint, trusted headers unless `auth` says otherwise.
  static config::ServerConfig Config(const std::string& url, const std::string& workflows_dir,
                                     const config::AuthConfig& auth = {}) {
    const bool mysql = url.rfind("mysql:", 0) == 0;
    const std::filesystem::path shipped = std::filesystem::path(workflows_dir).parent_path() /
                                          (mysql ? "claimsd.mysql.yaml" : "claimsd.yaml");
    std::ifstream in(shipped);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    absl::StatusOr<config::ServerConfig> parsed =
        config::ParseServerConfig(text, shipped.string(), shipped.parent_path().string());
    if (!parsed.ok()) Die(absl::StrCat(shipped.string(), ": ", parsed.status().ToString()));
    config::ServerConfig config;
    config.grpc.worker_threads = parsed->grpc.worker_threads;
    config.grpc.max_queued_calls = parsed->grpc.max_queued_calls;
    config.database.pool_size = parsed->database.pool_size;
    config.database.event_partitions = parsed->database.event_partitions;
    config.listen = "127.0.0.1:0";
    config.database.url = url;
    config.workflows.directory = workflows_dir;
    config.scheduler.enabled = false;  // see the top of the file
    config.metrics.listen.clear();
    config.auth = auth;
    return config;
  }

  // claimsd with Config(url, workflows_dir, auth) in a process of its own (Main's --serve).
  static std::unique_ptr<ClaimsdProcess> Serve(const std::string& url,
                                               const std::string& workflows_dir,
                                               const Auth& auth = Auth::Metadata()) {
    std::vector<std::string> args = {"--serve", url, workflows_dir};
    for (std::string& a : auth.ServeArguments()) args.push_back(std::move(a));
    absl::StatusOr<std::unique_ptr<ClaimsdProcess>> process = ClaimsdProcess::Start(args);
    if (!process.ok()) Die(absl::StrCat("claimsd did not start: ", process.status().ToString()));
    return *std::move(process);
  }

  std::vector<Cell> Run() {
    claimsd_ = Serve(url_, workflows_dir_, auth_);
    // The direct calls' repository, opened as claimsd opens its own (claimsd migrated it).
    auto repository =
        storage::OpenSociRepository(server::StorageOptionsFor(Config(url_, workflows_dir_)));
    if (!repository.ok()) Die(absl::StrCat(backend_, ": ", repository.status().ToString()));
    repository_ = *std::move(repository);

    std::vector<Cell> cells;
    for (int clients : client_counts_) {
      Prepare(clients);
      Cell cell{backend_, clients, {}, {}};
      std::vector<Round> service, direct;
      auto served_statements = [&] {
        absl::StatusOr<ServedStats> stats = claimsd_->Stats();
        if (!stats.ok()) Die(absl::StrCat(backend_, ": ", stats.status().ToString()));
        return stats->statements;
      };
      auto direct_statements = [&] { return repository_->Stats().statements; };
      // Alternating rounds, so drift in the machine's load hits both modes alike.
      for (int round = 0; round < 2; ++round) {
        int64_t before = served_statements();
        service.push_back(PerformLoop(performers_, duration_, claimsd_->pid(),
                                      [this](const std::string& what) { Fail(what); }));
        service.back().statements = served_statements() - before;
        before = direct_statements();
        direct.push_back(Measure(clients, duration_, [&](int c) { return Direct(c); }));
        direct.back().statements = direct_statements() - before;
      }
      cell.service = Summarize(service);
      cell.direct = Summarize(direct);
      cells.push_back(cell);
      std::fprintf(stderr, "  %s clients=%d done\n", backend_.c_str(), clients);
    }
    clients_.clear();
    repository_.reset();
    claimsd_.reset();
    return cells;
  }

 private:
  static Figures Summarize(const std::vector<Round>& rounds) {
    Figures f;
    std::vector<float> latencies;
    int64_t operations = 0, statements = 0;
    for (const Round& r : rounds) {
      f.per_second += r.per_second / static_cast<double>(rounds.size());
      f.self_cpu_ms_per_op += r.self_cpu_us_per_op / 1000.0 / static_cast<double>(rounds.size());
      f.claimsd_cpu_ms_per_op +=
          r.claimsd_cpu_us_per_op / 1000.0 / static_cast<double>(rounds.size());
      f.database_cpu_ms_per_op +=
          r.database_cpu_us_per_op / 1000.0 / static_cast<double>(rounds.size());
      f.failures += r.failures;
      operations += r.operations;
      statements += r.statements;
      latencies.insert(latencies.end(), r.latency_us.begin(), r.latency_us.end());
    }
    f.p50_ms = PercentileMs(latencies, 0.50);
    f.p99_ms = PercentileMs(latencies, 0.99);
    if (operations > 0) {
      f.statements_per_op = static_cast<double>(statements) / static_cast<double>(operations);
    }
    return f;
  }

  // Fresh claims under review for each client and mode, all made through the API.
  void Prepare(int clients) {
    clients_.clear();
    service_claims_.assign(static_cast<size_t>(clients), {});
    direct_claims_.assign(static_cast<size_t>(clients), {});
    direct_next_.assign(static_cast<size_t>(clients), 0);
    for (int c = 0; c < clients; ++c) {
      clients_.push_back(
          std::make_unique<Client>(claimsd_->port(), c, absl::StrCat("n", clients, "-"), auth_));
      Client& client = *clients_.back();
      for (int k = 0; k < kClaimsPerClient; ++k) {
        pb::Claim claim = ClaimUnderReview(client);
        service_claims_[static_cast<size_t>(c)].push_back({claim.name(), claim.etag(), true});
        direct_claims_[static_cast<size_t>(c)].push_back(
            DirectFor(client, ClaimUnderReview(client)));
      }
    }
    performers_.clear();
    for (int c = 0; c < clients; ++c) {
      performers_.push_back(
          {clients_[static_cast<size_t>(c)].get(), &service_claims_[static_cast<size_t>(c)]});
    }
  }

  DirectClaim DirectFor(const Client& client, const pb::Claim& claim) {
    DirectClaim d;
    d.id = claim.name().substr(claim.name().rfind('/') + 1);
    absl::StatusOr<workflow::Claim> stored = repository_->GetClaim(d.id);
    if (!stored.ok()) Die(absl::StrCat("setup: GetClaim: ", stored.status().ToString()));
    d.version = stored->version;
    const absl::Time now = absl::Now();
    auto step = [&](const workflow::Claim& before, const workflow::ActionRequest& request,
                    const Identity& who) {
      const workflow::Actor actor = who.ToActor();
      workflow::Outcome outcome = engine_.Decide(before, request, actor, now);
      if (const auto* r = std::get_if<workflow::Rejection>(&outcome)) {
        Die(absl::StrCat("setup: ", request.action, " refused: ", r->reason, ": ", r->message));
      }
      DirectClaim::Step s;
      s.decision = std::get<workflow::Decision>(std::move(outcome));
      s.after = workflow::ApplyDecision(before, s.decision, now);
      s.scope = absl::StrCat(who.actor, "/PerformAction");
      pb::Claim answer;
      server::ToProto(s.after, engine_.AvailableActions(s.after, actor, now), &answer);
      s.response = answer.SerializeAsString();
      return s;
    };
    d.request_info =
        step(*stored, {"request_info", {kInfoReason}, kInfoComment, {}}, client.reviewer());
    d.resubmit = step(d.request_info.after, {"resubmit", {}, "", {}}, client.partner());
    return d;
  }

  size_t NextClaim(int c) {
    int64_t& n = direct_next_[static_cast<size_t>(c)];
    return static_cast<size_t>(n++ % kClaimsPerClient);
  }

  bool Direct(int c) {
    Client& client = *clients_[static_cast<size_t>(c)];
    DirectClaim& claim = direct_claims_[static_cast<size_t>(c)][NextClaim(c)];
    DirectClaim::Step& step = claim.under_review ? claim.request_info : claim.resubmit;
    storage::Repository& repository = *repository_;
    const absl::Time now = absl::Now();
    const std::string request_id = client.NextRequestId();

    absl::StatusOr<std::optional<storage::IdempotencyRecord>> replay =
        repository.FindIdempotencyRecord(step.scope, request_id, now);
    if (!replay.ok() || replay->has_value()) {
      Fail(absl::StrCat("direct: FindIdempotencyRecord: ", replay.ok()
                                                               ? "a fresh request id has a record"
                                                               : replay.status().ToString()));
      return false;
    }
    absl::StatusOr<workflow::Claim> stored = repository.GetClaim(claim.id);
    const char* state = claim.under_review ? kUnderReview : kActionRequired;
    if (!stored.ok() || stored->version != claim.version || stored->state != state) {
      Fail(absl::StrCat("direct: GetClaim: ", stored.status().ToString(),
                        " version=", stored.ok() ? stored->version : -1,
                        " state=", stored.ok() ? stored->state : ""));
      if (stored.ok()) {  // carry on from where the claim really is
        claim.version = stored->version;
        claim.under_review = stored->state == kUnderReview;
      }
      return false;
    }
    step.after.version = claim.version + 1;
    step.after.update_time = now;
    storage::WriteOptions options;
    // A 64-hex-digit stand-in for the request's SHA-256, which is the logic's work.
    options.idempotency = storage::IdempotencyRecord{step.scope, request_id, std::string(64, 'a'),
                                                     step.response, now + absl::Hours(24)};
    if (absl::Status s = repository.ApplyDecision(step.after, step.decision, options); !s.ok()) {
      Fail(absl::StrCat("direct: ApplyDecision: ", s.ToString()));
      return false;
    }
    ++claim.version;
    claim.under_review = !claim.under_review;
    return true;
  }

  // Keeps the first failure's text; the counts come from the rounds.
  void Fail(const std::string& what) {
    if (!failed_.exchange(true)) std::fprintf(stderr, "service_bench: %s\n", what.c_str());
  }

  const std::string backend_;
  const std::string url_;
  const std::string workflows_dir_;
  const workflow::Engine engine_;
  const absl::Duration duration_;
  const Auth auth_;
  const std::vector<int> client_counts_;
  std::unique_ptr<ClaimsdProcess> claimsd_;
  std::unique_ptr<storage::Repository> repository_;
  std::vector<std::unique_ptr<Client>> clients_;
  std::vector<std::vector<ServiceClaim>> service_claims_;
  std::vector<std::vector<DirectClaim>> direct_claims_;
  std::vector<Performer> performers_;  // the service mode's clients and claims
  std::vector<int64_t> direct_next_;   // per client: which of its direct claims acts next
  std::atomic<bool> failed_{false};
};

// The lifecycle mode: every client runs whole claims through the API, one after another:
// CreateClaim, AddEvidence (4 KiB), submit, start_review and approve, then a reviewer's comment
// on the approved claim, each call with a fresh request id and the etag of the answer before
// (AddEvidence answers no etag, so submit goes without). The figure of merit is the latency of
// each call, which users feel, at a load of whole lifecycles rather than one repeated transition.
constexpr size_t kLifecycleCalls = 6;
constexpr const char* kLifecycleCallNames[kLifecycleCalls] = {
    "create", "evidence", "submit", "start_review", "approve", "comment"};

struct LifecycleCell {
  std::string backend;
  int clients = 0;
  double lifecycles_per_second = 0;
  double calls_per_second = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
  double call_p99_ms[kLifecycleCalls] = {};
  int64_t failures = 0;
};

class LifecycleBench {
 public:
  LifecycleBench(std::string backend, std::string url, std::string workflows_dir,
                 absl::Duration duration)
      : backend_(std::move(backend)),
        url_(std::move(url)),
        workflows_dir_(std::move(workflows_dir)),
        duration_(duration) {}

  std::vector<LifecycleCell> Run() {
    const std::unique_ptr<ClaimsdProcess> claimsd = Bench::Serve(url_, workflows_dir_);
    std::vector<LifecycleCell> cells;
    for (int clients : ClientCounts()) {
      std::vector<std::unique_ptr<Client>> callers;
      for (int c = 0; c < clients; ++c) {
        callers.push_back(std::make_unique<Client>(
            claimsd->port(), c, absl::StrCat("l", clients, "-"), Auth::Metadata()));
      }
      cells.push_back(Measure(backend_, callers));
      std::fprintf(stderr, "  %s lifecycle clients=%d done\n", backend_.c_str(), clients);
    }
    return cells;
  }

 private:
  // Every client runs claims through their lifecycle one after another, one call in flight
  // each (see DriveClients). A lifecycle whose call fails, or answers something other than
  // what the workflow promises, is dropped (the first failure's text on stderr) and the client
  // starts a new claim.
  LifecycleCell Measure(const std::string& backend, std::vector<std::unique_ptr<Client>>& callers) {
    struct Flight {
      size_t step = 0;  // which of kLifecycleCallNames is in flight
      pb::CreateClaimRequest create;
      pb::AddEvidenceRequest evidence;
      pb::PerformActionRequest action;
      pb::AddCommentRequest comment;
      pb::Claim claim;
      pb::Evidence stored_evidence;
      pb::Comment stored_comment;
      AsyncCall call;
    };
    // The three transitions, in the order of steps 2 to 4: action, who, the state it leads to.
    struct Transition {
      const char* action;
      bool by_reviewer;
      const char* to;
    };
    constexpr Transition kTransitions[] = {{"submit", false, "submitted"},
                                           {"start_review", true, kUnderReview},
                                           {"approve", true, "approved"}};

    grpc::CompletionQueue queue;
    std::vector<Flight> flights(callers.size());
    std::array<std::vector<float>, kLifecycleCalls> latencies;
    int64_t lifecycles = 0, failures = 0;
    auto start = [&](int c) {
      Flight& f = flights[static_cast<size_t>(c)];
      Client& client = *callers[static_cast<size_t>(c)];
      switch (f.step) {
        case 0:
          f.create = NewClaimRequest(client);
          f.claim.Clear();
          f.call.Start(client, client.partner(), f.create, &f.claim,
                       &pb::Claims::Stub::PrepareAsyncCreateClaim, queue, TagOf(c));
          break;
        case 1:
          f.evidence = NewEvidenceRequest(client, f.claim.name());
          f.call.Start(client, client.partner(), f.evidence, &f.stored_evidence,
                       &pb::Claims::Stub::PrepareAsyncAddEvidence, queue, TagOf(c));
          break;
        case 2:
        case 3:
        case 4: {
          const Transition& t = kTransitions[f.step - 2];
          // AddEvidence answers no etag, so submit goes without one.
          if (f.step == 2) f.claim.clear_etag();
          f.action = NewActionRequest(client, f.claim, t.action);
          f.call.Start(client, t.by_reviewer ? client.reviewer() : client.partner(), f.action,
                       &f.claim, &pb::Claims::Stub::PrepareAsyncPerformAction, queue, TagOf(c));
          break;
        }
        default:
          f.comment.Clear();
          f.comment.set_parent(f.claim.name());
          f.comment.set_request_id(client.NextRequestId());
          f.comment.mutable_comment()->set_text(
              "Approved: the countersigned SOW matches the claim.");
          f.call.Start(client, client.reviewer(), f.comment, &f.stored_comment,
                       &pb::Claims::Stub::PrepareAsyncAddComment, queue, TagOf(c));
          break;
      }
    };
    auto finish = [&](int c, bool ok, std::chrono::steady_clock::time_point now) {
      Flight& f = flights[static_cast<size_t>(c)];
      const grpc::Status& status = f.call.status;
      bool answered = ok && status.ok();
      if (answered && f.step == 0) answered = f.claim.state() == "editing";
      if (answered && f.step >= 2 && f.step <= 4)
        answered = f.claim.state() == kTransitions[f.step - 2].to;
      if (answered && f.step == 5) answered = !f.stored_comment.name().empty();
      if (!answered) {
        ++failures;
        if (!failed_.exchange(true)) {
          std::fprintf(stderr, "service_bench: lifecycle %s: %d %s state=%s\n",
                       kLifecycleCallNames[f.step], static_cast<int>(status.error_code()),
                       status.error_message().c_str(), f.claim.state().c_str());
        }
        f.step = 0;
        return;
      }
      latencies[f.step].push_back(f.call.MicrosSinceStart(now));
      if (++f.step == kLifecycleCalls) {
        ++lifecycles;
        f.step = 0;
      }
    };
    const double seconds =
        DriveClients(static_cast<int>(callers.size()), duration_, queue, start, finish);
    queue.Shutdown();
    void* tag = nullptr;
    bool ok = false;
    while (queue.Next(&tag, &ok)) {
    }

    LifecycleCell cell;
    cell.backend = backend;
    cell.clients = static_cast<int>(callers.size());
    cell.failures = failures;
    std::vector<float> all;
    for (size_t k = 0; k < kLifecycleCalls; ++k) {
      cell.call_p99_ms[k] = PercentileMs(latencies[k], 0.99);
      all.insert(all.end(), latencies[k].begin(), latencies[k].end());
    }
    cell.lifecycles_per_second = static_cast<double>(lifecycles) / seconds;
    cell.calls_per_second = static_cast<double>(all.size()) / seconds;
    cell.p50_ms = PercentileMs(all, 0.50);
    cell.p99_ms = PercentileMs(all, 0.99);
    cell.max_ms = all.empty() ? 0 : *std::max_element(all.begin(), all.end()) / 1000.0;
    return cell;
  }

  const std::string backend_;
  const std::string url_;
  const std::string workflows_dir_;
  const absl::Duration duration_;
  std::atomic<bool> failed_{false};
};

// The replica mode: the PerformAction loop of the main mode at 16 and 64 clients, all of them on
// one claimsd, then split between two claimsd over the same database (each with its own
// connection pool, as two pods have), so the second row says what a second replica costs or
// gains while the database is shared. Aborts: calls that failed, plus the transactions the
// repositories ran again after a deadlock or a lock wait timeout, per call.
struct ReplicaCell {
  int clients = 0;
  int replicas = 0;
  double per_second = 0;
  double p99_ms = 0;
  int64_t calls = 0;
  int64_t failures = 0;
  int64_t retries = 0;  // deadlock and lock-timeout retries in the repositories
  std::vector<float> latency_us;
  // Over every round: CPU of all running claimsd processes (the idle one included, so both
  // rows pay for two) and of the database server, against the calls that succeeded.
  double claimsd_cpu_us = 0;
  double database_cpu_us = 0;
  int64_t operations = 0;

  double ClaimsdCpuMsPerCall() const { return PerCallMs(claimsd_cpu_us); }
  double DatabaseCpuMsPerCall() const { return PerCallMs(database_cpu_us); }

 private:
  double PerCallMs(double us) const {
    return operations > 0 ? us / static_cast<double>(operations) / 1000 : 0;
  }
};

class ReplicaBench {
 public:
  ReplicaBench(std::string url, std::string workflows_dir, absl::Duration duration)
      : url_(std::move(url)), workflows_dir_(std::move(workflows_dir)), duration_(duration) {}

  // Three rounds, not two as elsewhere: the figure is a ratio near 1 judged against 0.95, and
  // two rounds left it swinging by about 0.02 between runs.
  static constexpr int kRounds = 3;

  std::vector<ReplicaCell> Run() {
    std::vector<std::unique_ptr<ClaimsdProcess>> servers;
    for (int r = 0; r < 2; ++r) servers.push_back(Bench::Serve(url_, workflows_dir_));
    std::vector<ReplicaCell> cells;
    for (int clients : {16, 64}) {
      // Alternating, so drift in the machine's load hits both rows alike.
      ReplicaCell one, two;
      one.clients = two.clients = clients;
      one.replicas = 1;
      two.replicas = 2;
      for (int round = 0; round < kRounds; ++round) {
        for (ReplicaCell* cell : {&one, &two}) Measure(servers, *cell);
      }
      for (ReplicaCell* cell : {&one, &two}) cell->per_second /= kRounds;
      cells.push_back(one);
      cells.push_back(two);
      std::fprintf(stderr, "  replicas clients=%d done\n", clients);
    }
    return cells;
  }

 private:
  static double ClaimsdCpuMicros(const std::vector<std::unique_ptr<ClaimsdProcess>>& servers) {
    double total = 0;
    for (const auto& s : servers) total += ProcessCpuMicros(s->pid());
    return total;
  }

  static int64_t Retries(const std::vector<std::unique_ptr<ClaimsdProcess>>& servers) {
    int64_t total = 0;
    for (const auto& s : servers) {
      absl::StatusOr<ServedStats> stats = s->Stats();
      if (!stats.ok()) Die(absl::StrCat("replicas: ", stats.status().ToString()));
      total += stats->retries;
    }
    return total;
  }

  void Measure(std::vector<std::unique_ptr<ClaimsdProcess>>& servers, ReplicaCell& cell) {
    struct Mine {
      std::unique_ptr<Client> client;
      std::vector<ServiceClaim> claims;
    };
    std::vector<Mine> mine(static_cast<size_t>(cell.clients));
    for (int c = 0; c < cell.clients; ++c) {
      ClaimsdProcess& server = *servers[static_cast<size_t>(c % cell.replicas)];
      Mine& m = mine[static_cast<size_t>(c)];
      m.client = std::make_unique<Client>(
          server.port(), c, absl::StrCat("r", cell.replicas, "-", cell.clients, "-", rounds_, "-"),
          Auth::Metadata());
      for (int k = 0; k < kClaimsPerClient; ++k) {
        const pb::Claim claim = ClaimUnderReview(*m.client);
        m.claims.push_back({claim.name(), claim.etag(), true});
      }
    }
    ++rounds_;
    const int64_t retries_before = Retries(servers);
    const double claimsd_before = ClaimsdCpuMicros(servers);
    const double database_before = CpuNow(-1).database_us;
    std::vector<Performer> performers;
    for (Mine& m : mine) performers.push_back({m.client.get(), &m.claims});
    const Round round = PerformLoop(performers, duration_, -1, [this](const std::string& what) {
      if (!failed_.exchange(true))
        std::fprintf(stderr, "service_bench: replicas: %s\n", what.c_str());
    });
    cell.claimsd_cpu_us += ClaimsdCpuMicros(servers) - claimsd_before;
    cell.database_cpu_us += CpuNow(-1).database_us - database_before;
    cell.operations += round.operations;
    cell.retries += Retries(servers) - retries_before;
    cell.per_second += round.per_second;
    cell.calls += static_cast<int64_t>(round.latency_us.size()) + round.failures;
    cell.failures += round.failures;
    cell.latency_us.insert(cell.latency_us.end(), round.latency_us.begin(), round.latency_us.end());
    cell.p99_ms = PercentileMs(cell.latency_us, 0.99);
  }

  const std::string url_;
  const std::string workflows_dir_;
  const absl::Duration duration_;
  int rounds_ = 0;
  std::atomic<bool> failed_{false};
};

struct Modes {
  bool perform = false;
  bool lifecycle = false;
  bool replicas = false;
};

Modes ParseModes(int argc, char** argv) {
  Modes modes;
  if (argc <= 1) return {true, true, true};
  for (int i = 1; i < argc; ++i) {
    const std::string_view mode = argv[i];
    if (mode == "perform") {
      modes.perform = true;
    } else if (mode == "lifecycle") {
      modes.lifecycle = true;
    } else if (mode == "replicas") {
      modes.replicas = true;
    } else {
      Die(absl::StrCat("unknown mode ", std::string(mode),
                       "; modes: perform lifecycle replicas (default: all)"));
    }
  }
  return modes;
}

void RemoveSqliteFile(const std::filesystem::path& db) {
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::error_code ignored;
    std::filesystem::remove(db.string() + suffix, ignored);
  }
}

int Main(int argc, char** argv) {
  // As claimsd's main does: Debian's Abseil would otherwise run its deadlock detection.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // The server's log lines go to stderr, so stdout holds the table and the JSON only.
  spdlog::set_default_logger(spdlog::stderr_logger_mt("claimsd"));
  spdlog::set_level(spdlog::level::warn);
  // Access lines are formatted as in production (the access log is on by default) but go
  // nowhere: a line per call would bury the progress and errors on stderr.
  auto access =
      std::make_shared<spdlog::logger>("access", std::make_shared<spdlog::sinks::null_sink_mt>());
  access->set_level(spdlog::level::info);
  spdlog::register_logger(access);

  // The server's side of Bench::Serve: --serve URL WORKFLOWS_DIR [JWT_PUBLIC_KEY_FILE].
  if (argc >= 4 && std::string_view(argv[1]) == "--serve") {
    const config::AuthConfig auth = argc >= 5 ? Auth::JwtConfig(argv[4]) : config::AuthConfig{};
    auto server = server::ClaimsServer::Start(Bench::Config(argv[2], argv[3], auth));
    if (!server.ok()) Die(absl::StrCat("claimsd did not start: ", server.status().ToString()));
    ServeParent(**server);
    (*server)->Shutdown(absl::Seconds(1));
    return 0;
  }

  const Modes modes = ParseModes(argc, argv);
  const char* seconds_env = std::getenv("CLAIMS_BENCH_SECONDS");
  const double seconds = seconds_env != nullptr ? std::atof(seconds_env) : 3.0;
  if (seconds <= 0) Die("CLAIMS_BENCH_SECONDS must be positive");
  const absl::Duration duration = absl::Seconds(seconds);
  const char* root = std::getenv("CLAIMS_SOURCE_DIR");
  const std::string workflows_dir =
      std::filesystem::absolute(std::filesystem::path(root == nullptr ? "." : root) / "config" /
                                "workflows")
          .string();
  std::shared_ptr<const workflow::Definition> definition = LoadCpor(workflows_dir);
  const config::ServerConfig sqlite_tuning = Bench::Config("sqlite:x", workflows_dir);
  const config::ServerConfig mysql_tuning = Bench::Config("mysql://x/", workflows_dir);
  const char* dir_env = std::getenv("CLAIMS_BENCH_DIR");
  const std::filesystem::path dir = dir_env != nullptr ? dir_env : "/tmp";

  // Each mode gets a database of its own, so no mode measures another's leftovers.
  std::string mysql_server;
  if (const char* env = std::getenv("CLAIMS_BENCH_MYSQL_URL"); env != nullptr && *env != '\0') {
    mysql_server = env;
    if (mysql_server.back() != '/') mysql_server += '/';
  } else {
    std::fprintf(stderr, "service_bench: CLAIMS_BENCH_MYSQL_URL not set; SQLite only\n");
  }
  auto fresh_mysql = [&] {
    storage::StorageOptions create;
    create.url = mysql_server + RandomName("claims_bench_");
    if (absl::Status s = storage::CreateDatabaseIfMissing(create); !s.ok()) Die(s.ToString());
    return create.url;
  };
  std::vector<std::filesystem::path> sqlite_files;
  auto fresh_sqlite = [&] {
    sqlite_files.push_back(dir / RandomName("claims_bench_").append(".db"));
    return "sqlite:" + sqlite_files.back().string();
  };

  const std::string load_before = LoadAverage();
  std::vector<Cell> cells;
  std::vector<LifecycleCell> lifecycle_cells;
  std::vector<ReplicaCell> replica_cells;
  if (modes.perform) {
    if (!mysql_server.empty()) {
      for (const Cell& c :
           Bench("mariadb_durable", fresh_mysql(), workflows_dir, definition, duration).Run()) {
        cells.push_back(c);
      }
    }
    for (const Cell& c :
         Bench("sqlite", fresh_sqlite(), workflows_dir, definition, duration).Run()) {
      cells.push_back(c);
    }
    // The same at 4 clients with RS256 bearer tokens verified on every call instead of trusted
    // headers: against the sqlite row above, what authentication costs where the service is
    // most CPU-bound.
    const Auth jwt = Auth::Jwt(dir);
    for (const Cell& c :
         Bench("sqlite_jwt", fresh_sqlite(), workflows_dir, definition, duration, jwt, {4}).Run()) {
      cells.push_back(c);
    }
    std::error_code ignored;
    std::filesystem::remove(jwt.config.keys[0].public_key_file, ignored);
  }
  if (modes.lifecycle) {
    if (!mysql_server.empty()) {
      for (const LifecycleCell& c :
           LifecycleBench("mariadb_durable", fresh_mysql(), workflows_dir, duration).Run()) {
        lifecycle_cells.push_back(c);
      }
    }
    for (const LifecycleCell& c :
         LifecycleBench("sqlite", fresh_sqlite(), workflows_dir, duration).Run()) {
      lifecycle_cells.push_back(c);
    }
  }
  if (modes.replicas && !mysql_server.empty()) {
    replica_cells = ReplicaBench(fresh_mysql(), workflows_dir, duration).Run();
  }
  for (const std::filesystem::path& db : sqlite_files) RemoveSqliteFile(db);

  const unsigned cores = std::thread::hardware_concurrency();
  const std::string load_after = LoadAverage();
  std::printf("load average before %s, after %s (1, 5, 15 min)\n", load_before.c_str(),
              load_after.c_str());
  std::printf(
      "%u cores shared by clients, claimsd and the database; %.2f s per measurement\n"
      "claimsd as shipped: MySQL grpc.worker_threads=%d database.pool_size=%d, "
      "SQLite grpc.worker_threads=%d database.pool_size=%d\n",
      cores, seconds, mysql_tuning.grpc.worker_threads, mysql_tuning.database.pool_size,
      sqlite_tuning.grpc.worker_threads, sqlite_tuning.database.pool_size);
  std::string results, ratios;
  int64_t failures = 0;
  if (!cells.empty()) {
    std::printf(
        "\nservice: PerformAction (request_info, resubmit) through gRPC to claimsd on loopback\n"
        "         (claimsd in a process of its own, as deployed)\n"
        "direct:  the repository calls it makes (FindIdempotencyRecord, GetClaim, "
        "ApplyDecision)\n"
        "         on a Repository opened as claimsd opens its own, same claims, same number of\n"
        "         threads; 2 measurements per mode, alternating\n"
        "cpu:     milliseconds of CPU per call: claimsd's process, the service mode's clients,\n"
        "         the direct calls, and the database server (db; MariaDB only)\n"
        "stmts:   statements sent to the database per call\n");
    std::printf("%-15s %7s %14s %12s %7s %8s %8s %8s %8s %8s %8s %8s %8s %8s %9s %9s\n", "backend",
                "clients", "service tx/s", "direct tx/s", "ratio", "svc p50", "svc p99", "dir p50",
                "dir p99", "claimsd", "clients", "dir cpu", "db svc", "db dir", "svc stmts",
                "dir stmts");
  }
  for (const Cell& c : cells) {
    const double ratio = c.direct.per_second > 0 ? c.service.per_second / c.direct.per_second : 0;
    std::printf(
        "%-15s %7d %14.0f %12.0f %7.3f %6.2fms %6.2fms %6.2fms %6.2fms %6.3fms %6.3fms %6.3fms "
        "%6.3fms %6.3fms %9.2f %9.2f\n",
        c.backend.c_str(), c.clients, c.service.per_second, c.direct.per_second, ratio,
        c.service.p50_ms, c.service.p99_ms, c.direct.p50_ms, c.direct.p99_ms,
        c.service.claimsd_cpu_ms_per_op, c.service.self_cpu_ms_per_op, c.direct.self_cpu_ms_per_op,
        c.service.database_cpu_ms_per_op, c.direct.database_cpu_ms_per_op,
        c.service.statements_per_op, c.direct.statements_per_op);
    absl::StrAppend(
        &results, results.empty() ? "" : ",",
        absl::StrFormat("{\"backend\":\"%s\",\"clients\":%d,\"service_tps\":%.1f,"
                        "\"direct_tps\":%.1f,\"ratio\":%.3f,\"service_p50_ms\":%.3f,"
                        "\"service_p99_ms\":%.3f,\"direct_p50_ms\":%.3f,\"direct_p99_ms\":%.3f,"
                        "\"claimsd_cpu_ms\":%.3f,\"client_cpu_ms\":%.3f,\"direct_cpu_ms\":%.3f,"
                        "\"service_db_cpu_ms\":%.3f,"
                        "\"direct_db_cpu_ms\":%.3f,\"service_statements\":%.2f,"
                        "\"direct_statements\":%.2f,\"failures\":%d}",
                        c.backend, c.clients, c.service.per_second, c.direct.per_second, ratio,
                        c.service.p50_ms, c.service.p99_ms, c.direct.p50_ms, c.direct.p99_ms,
                        c.service.claimsd_cpu_ms_per_op, c.service.self_cpu_ms_per_op,
                        c.direct.self_cpu_ms_per_op, c.service.database_cpu_ms_per_op,
                        c.direct.database_cpu_ms_per_op, c.service.statements_per_op,
                        c.direct.statements_per_op, c.service.failures + c.direct.failures));
    absl::StrAppend(&ratios, absl::StrFormat(",\"%s_%d_ratio\":%.3f", c.backend, c.clients, ratio));
    failures += c.service.failures + c.direct.failures;
  }

  std::string lifecycle_json;
  if (!lifecycle_cells.empty()) {
    std::printf(
        "\nlifecycle: per claim CreateClaim, AddEvidence (4 KiB), submit, start_review, approve, "
        "AddComment;\nlatency of every call; per-call p99 in ms\n");
    std::printf("%-15s %7s %10s %9s %8s %8s %8s", "backend", "clients", "claims/s", "calls/s",
                "p50", "p99", "max");
    for (const char* name : kLifecycleCallNames) std::printf(" %12s", name);
    std::printf("\n");
  }
  for (const LifecycleCell& c : lifecycle_cells) {
    std::printf("%-15s %7d %10.1f %9.0f %6.2fms %6.2fms %6.1fms", c.backend.c_str(), c.clients,
                c.lifecycles_per_second, c.calls_per_second, c.p50_ms, c.p99_ms, c.max_ms);
    std::string per_call;
    for (size_t k = 0; k < kLifecycleCalls; ++k) {
      std::printf(" %12.2f", c.call_p99_ms[k]);
      absl::StrAppend(&per_call, per_call.empty() ? "" : ",",
                      absl::StrFormat("\"%s\":%.3f", kLifecycleCallNames[k], c.call_p99_ms[k]));
    }
    std::printf("\n");
    absl::StrAppend(
        &lifecycle_json, lifecycle_json.empty() ? "" : ",",
        absl::StrFormat("{\"backend\":\"%s\",\"clients\":%d,\"claims_per_s\":%.1f,"
                        "\"calls_per_s\":%.1f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,"
                        "\"call_p99_ms\":{%s},\"failures\":%d}",
                        c.backend, c.clients, c.lifecycles_per_second, c.calls_per_second, c.p50_ms,
                        c.p99_ms, c.max_ms, per_call, c.failures));
    absl::StrAppend(&ratios, absl::StrFormat(",\"lifecycle_%s_%d_p99_ms\":%.3f", c.backend,
                                             c.clients, c.p99_ms));
    failures += c.failures;
  }

  std::string replica_json;
  if (!replica_cells.empty()) {
    std::printf(
        "\nreplicas: the PerformAction loop on one claimsd, then the same clients split over two "
        "claimsd\nover the same durable MariaDB (each its own pool); aborts: failed calls plus "
        "deadlock and\nlock-timeout retries, per call; %d measurements per row, alternating;\n"
        "cpu: milliseconds per call, of both claimsd processes (one idle in the first row) and of\n"
        "the database\n",
        ReplicaBench::kRounds);
    std::printf("%7s %9s %9s %8s %8s %9s %9s %8s %8s %8s\n", "clients", "replicas", "tx/s",
                "vs one", "p99", "failures", "retries", "aborts", "claimsd", "db");
  }
  for (size_t i = 0; i < replica_cells.size(); ++i) {
    const ReplicaCell& c = replica_cells[i];
    const ReplicaCell& one = replica_cells[i - (c.replicas == 2 ? 1 : 0)];
    const double vs_one = one.per_second > 0 ? c.per_second / one.per_second : 0;
    const double abort_rate =
        c.calls > 0 ? static_cast<double>(c.failures + c.retries) / static_cast<double>(c.calls)
                    : 0;
    std::printf("%7d %9d %9.0f %8.3f %6.2fms %9lld %9lld %7.4f%% %6.3fms %6.3fms\n", c.clients,
                c.replicas, c.per_second, vs_one, c.p99_ms, static_cast<long long>(c.failures),
                static_cast<long long>(c.retries), 100 * abort_rate, c.ClaimsdCpuMsPerCall(),
                c.DatabaseCpuMsPerCall());
    absl::StrAppend(
        &replica_json, replica_json.empty() ? "" : ",",
        absl::StrFormat("{\"clients\":%d,\"replicas\":%d,\"tps\":%.1f,"
                        "\"vs_one\":%.3f,\"p99_ms\":%.3f,\"calls\":%d,"
                        "\"failures\":%d,\"retries\":%d,\"abort_rate\":%.5f,"
                        "\"claimsd_cpu_ms\":%.3f,\"db_cpu_ms\":%.3f}",
                        c.clients, c.replicas, c.per_second, vs_one, c.p99_ms, c.calls, c.failures,
                        c.retries, abort_rate, c.ClaimsdCpuMsPerCall(), c.DatabaseCpuMsPerCall()));
    if (c.replicas == 2) {
      absl::StrAppend(&ratios,
                      absl::StrFormat(",\"two_replicas_%d_vs_one\":%.3f", c.clients, vs_one));
    }
  }

  if (failures > 0) {
    absl::FPrintF(stderr, "service_bench: %d calls failed (not counted); the figures are moot\n",
                  failures);
  }
  absl::PrintF(
      "{\"bench\":\"service\",\"seconds_per_measurement\":%.2f,\"cores\":%u,"
      "\"load_before\":\"%s\",\"load_after\":\"%s\","
      "\"mysql_worker_threads\":%d,\"mysql_pool_size\":%d,\"sqlite_worker_threads\":%d,"
      "\"sqlite_pool_size\":%d,\"results\":[%s],\"lifecycle\":[%s],"
      "\"replicas\":[%s]%s,\"failures\":%d}\n",
      seconds, cores, load_before, load_after, mysql_tuning.grpc.worker_threads,
      mysql_tuning.database.pool_size, sqlite_tuning.grpc.worker_threads,
      sqlite_tuning.database.pool_size, results, lifecycle_json, replica_json, ratios, failures);
  return failures > 0 ? 1 : 0;
}

}  // namespace
}  // namespace claims::bench

int main(int argc, char** argv) { return claims::bench::Main(argc, argv); }
