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
  int max_message_bytes = 16 * 1024 * 1024;
  int worker_threads = 8;
};

struct MetricsConfig {
  // host:port for the Prometheus endpoint (/metrics); empty: no endpoint.
  std::string listen;
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
  WorkflowsConfig workflows;
  SchedulerConfig scheduler;
  ClockKind clock = ClockKind::kSystem;
  GrpcConfig grpc;
  MetricsConfig metrics;
  AuthConfig auth;
  absl::Duration idempotency_retention = absl::Hours(24);
  std::string log_level = "info";
};

// Parses `yaml_text` (named `file_name` in messages). Relative paths in it (the workflows
// directory, a sqlite: database file) are resolved against `base_directory`.
// INVALID_ARGUMENT with "file:line:col: message" for every problem found.
absl::StatusOr<ServerConfig> ParseServerConfig(std::string_view yaml_text,
                                               std::string_view file_name,
                                               std::string_view base_directory);

// Reads and parses the file at `path`, then applies the environment overrides
// CLAIMS_LISTEN and CLAIMS_DATABASE_URL (so secrets need not live in files).
absl::StatusOr<ServerConfig> LoadServerConfig(const std::string& path);

}  // namespace claims::config
