#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace claims::config {

enum class ClockKind {
  kSystem,  // production
  kManual,  // tests and simulations: time moves only when advanced
};

struct DatabaseConfig {
  std::string url = "sqlite:claims.db";
  int pool_size = 4;
  int64_t max_evidence_bytes = 10 * 1024 * 1024;
  int event_partitions = 8;                           // outbox partitions new claims spread over
  absl::Duration event_retention = absl::Hours(168);  // outbox events kept; zero: forever
};

// Evidence uploaded by streaming (UploadEvidence). AddEvidence, one message, stays limited by
// database.max_evidence_bytes.
struct EvidenceConfig {
  int64_t max_bytes = 64 * 1024 * 1024;
};

struct WorkflowsConfig {
  std::string directory = "workflows";  // resolved against the config file's directory
  std::string default_workflow = "cpor-association";
  // How often to look for changed files in `directory` (and reload them); zero: only SIGHUP.
  absl::Duration watch_interval = absl::Seconds(10);
};

struct SchedulerConfig {
  bool enabled = true;
  int batch_size = 100;
  absl::Duration max_sleep = absl::Seconds(30);
};

struct GrpcConfig {
  // gRPC's own default. Requests are small (every field is bounded, a list page at most
  // 2 MiB); large evidence goes by streaming, in chunks.
  int max_message_bytes = 4 * 1024 * 1024;
  int worker_threads = 8;
  // Calls waiting for a worker beyond this are refused at once (RESOURCE_EXHAUSTED) rather
  // than queued without bound.
  int max_queued_calls = 256;
  // What the transport may hold in buffers for all connections together (gRPC's resource
  // quota). gRPC 1.51 reads a whole message before comparing it with max_message_bytes, so
  // without this bound a client decides how much memory a refusal costs; past it, the streams
  // that hold the most are cancelled with RESOURCE_EXHAUSTED. At least twice max_message_bytes;
  // 0: unbounded.
  int64_t memory_quota_bytes = 12 * 1024 * 1024;
};

// The address ParseServerConfig gives metrics.listen when the file does not name one.
inline constexpr char kDefaultMetricsListen[] = "127.0.0.1:9464";

struct MetricsConfig {
  // host:port for the Prometheus endpoint (/metrics); empty: no endpoint. A configuration file
  // without the key gets kDefaultMetricsListen; a ServerConfig built in code gets none.
  std::string listen;
};

// The server's certificate for the main port; absent (empty cert_file): plaintext.
struct TlsConfig {
  std::string cert_file;       // PEM certificate chain (relative to the config file)
  std::string key_file;        // PEM private key of the certificate
  std::string client_ca_file;  // optional: require client certificates signed by these CAs
  // How often to look for changed files and load them; zero: read once at start-up.
  absl::Duration reload_interval = absl::Seconds(60);
  bool enabled() const { return !cert_file.empty(); }
};

struct HealthConfig {
  // Optional plaintext host:port serving only grpc.health.v1, for probes that cannot speak
  // TLS to the main port (the kubelet's gRPC probes); empty: none.
  std::string listen;
  absl::Duration check_interval = absl::Seconds(1);  // how often the database is pinged
  absl::Duration timeout = absl::Seconds(2);         // a ping slower than this counts as down
};

// The admin HTTP port: the workflow playground (README, "Playground"), a page where policy
// editors see a workflow's diagnostics, graph and simulation as they type. Off by default; it
// serves anyone who reaches it, so it listens on loopback unless allow_non_loopback says that
// something in front (an SSH tunnel, an authenticating proxy) decides who does.
inline constexpr char kDefaultAdminListen[] = "127.0.0.1:9465";

struct AdminConfig {
  bool playground = false;
  std::string listen = kDefaultAdminListen;  // host:port; port 0 picks a free one
  bool allow_non_loopback = false;
  // Host names besides loopback ones and listen's own that the page may be opened by (what a
  // proxy in front passes as Host). Any other Host header is refused: DNS rebinding.
  std::vector<std::string> allowed_hosts;
};

enum class LogFormat {
  kText,  // spdlog's human-readable lines
  kJson,  // one JSON object a line, for log collectors
};

// How callers prove who they are.
enum class AuthMode {
  // A trusted front end (the partner portal, a reviewer tool) authenticated the user and passes
  // the identity in x-claims-* metadata. Only for deployments where nothing else reaches claimsd.
  kMetadata,
  // Every call carries "authorization: Bearer <JWT>", verified here against configured keys.
  kJwt,
};

// The algorithms a token key may have: an allow-list after RFC 8725, "none" never among them.
inline constexpr const char* kJwtAlgorithms[] = {"RS256", "RS384", "RS512", "ES256", "ES384",
                                                 "ES512", "HS256", "HS384", "HS512"};
bool IsJwtAlgorithm(std::string_view algorithm);

// A key that signs tokens. After RFC 8725, a key has exactly one algorithm.
struct JwtKeyConfig {
  std::string id;               // the tokens' "kid" header; may be empty when there is one key
  std::string algorithm;        // RS256/384/512, ES256/384/512 or HS256/384/512
  std::string public_key_file;  // RS*, ES*: PEM public key (relative to the config file)
  std::string secret_env;       // HS*: environment variable holding the shared secret
};

// Which claims of a token carry the identity.
struct JwtClaimNames {
  std::string actor = "sub";
  std::string roles = "roles";  // an array of role ids, or one space-separated string
  std::string partner = "partner_id";
  std::string customer_tenant = "customer_tenant_id";
};

struct AuthConfig {
  AuthMode mode = AuthMode::kMetadata;
  // kJwt: tokens must name this issuer ("iss") and audience ("aud"), and carry "exp".
  std::string issuer;
  std::string audience;
  absl::Duration leeway = absl::Seconds(30);  // clock skew allowed on exp and nbf
  std::vector<JwtKeyConfig> keys;
  JwtClaimNames claims;
};

// claimsd's configuration. Every key is optional; unknown keys are errors.
struct ServerConfig {
  std::string listen = "127.0.0.1:50051";
  DatabaseConfig database;
  EvidenceConfig evidence;
  WorkflowsConfig workflows;
  SchedulerConfig scheduler;
  ClockKind clock = ClockKind::kSystem;
  GrpcConfig grpc;
  MetricsConfig metrics;
  AuthConfig auth;
  TlsConfig tls;
  HealthConfig health;
  AdminConfig admin;
  absl::Duration idempotency_retention = absl::Hours(24);
  // On SIGTERM: how long calls in flight may take to finish before they are cancelled.
  absl::Duration shutdown_grace = absl::Seconds(10);
  std::string log_level = "info";
  LogFormat log_format = LogFormat::kText;
  bool access_log = true;  // one line per call: method, code, latency, actor, claim, request id
};

// Parses `yaml_text` (named `file_name` in messages). Relative paths in it (the workflows
// directory, a sqlite: database file) are resolved against `base_directory`.
// INVALID_ARGUMENT with "file:line:col: message" for every problem found.
absl::StatusOr<ServerConfig> ParseServerConfig(std::string_view yaml_text,
                                               std::string_view file_name,
                                               std::string_view base_directory);

// Reads and parses the file at `path` (at most kMaxConfigBytes), then applies the environment
// overrides CLAIMS_LISTEN and CLAIMS_DATABASE_URL (so secrets need not live in files).
absl::StatusOr<ServerConfig> LoadServerConfig(const std::string& path);
inline constexpr std::size_t kMaxConfigBytes = 1 << 20;

}  // namespace claims::config
