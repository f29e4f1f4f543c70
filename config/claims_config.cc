#include "config/claims_config.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "config/file_reading.h"
#include "yaml-cpp/yaml.h"

namespace claims::config {
namespace {

// Collects every problem with its position, so an operator fixes the file in one go.
class Problems {
 public:
  explicit Problems(std::string_view file) : file_(file) {}

  void Add(const YAML::Node& node, std::string_view message) {
    const YAML::Mark mark = node.Mark();
    messages_.push_back(
        absl::StrCat(file_, ":", mark.line + 1, ":", mark.column + 1, ": ", std::string(message)));
  }
  void AddAt(int line, int column, std::string_view message) {
    messages_.push_back(absl::StrCat(file_, ":", line, ":", column, ": ", std::string(message)));
  }
  bool empty() const { return messages_.empty(); }
  absl::Status ToStatus() const {
    return absl::InvalidArgumentError(absl::StrJoin(messages_, "\n"));
  }

 private:
  std::string file_;
  std::vector<std::string> messages_;
};

using Handler = std::function<void(const YAML::Node&)>;

// Walks a mapping, dispatching known keys to handlers and reporting unknown ones.
void ReadMap(const YAML::Node& node, std::string_view where,
             const std::map<std::string, Handler, std::less<>>& handlers, Problems& problems) {
  if (!node.IsMap()) {
    problems.Add(node, absl::StrCat(std::string(where), " must be a mapping"));
    return;
  }
  for (const auto& entry : node) {
    const std::string key = entry.first.as<std::string>();
    auto it = handlers.find(key);
    if (it == handlers.end()) {
      std::vector<std::string> known;
      for (const auto& [name, unused] : handlers) known.push_back(name);
      problems.Add(entry.first, absl::StrCat("unknown key '", key, "' in ", std::string(where),
                                             " (known: ", absl::StrJoin(known, ", "), ")"));
      continue;
    }
    it->second(entry.second);
  }
}

template <typename T>
Handler Scalar(T& out, Problems& problems, std::string_view what,
               std::function<bool(const T&)> valid = nullptr) {
  return [&out, &problems, what, valid](const YAML::Node& node) {
    T value{};
    if (!node.IsScalar() || !YAML::convert<T>::decode(node, value)) {
      problems.Add(node, absl::StrCat(std::string(what), ": wrong type"));
      return;
    }
    if (valid && !valid(value)) {
      problems.Add(node, absl::StrCat(std::string(what), ": out of range"));
      return;
    }
    out = value;
  };
}

void ReadJwtKeys(const YAML::Node& node, std::vector<JwtKeyConfig>& keys, Problems& problems) {
  if (!node.IsSequence()) {
    problems.Add(node, "auth.keys must be a list of {id, algorithm, public_key_file | secret_env}");
    return;
  }
  for (const YAML::Node& item : node) {
    JwtKeyConfig key;
    ReadMap(
        item, "auth.keys[]",
        {{"id", Scalar(key.id, problems, "auth.keys[].id")},
         {"algorithm", Scalar(key.algorithm, problems, "auth.keys[].algorithm")},
         {"public_key_file", Scalar(key.public_key_file, problems, "auth.keys[].public_key_file")},
         {"secret_env", Scalar(key.secret_env, problems, "auth.keys[].secret_env")}},
        problems);
    if (!IsJwtAlgorithm(key.algorithm)) {
      problems.Add(item, absl::StrCat("auth.keys[]: algorithm '", key.algorithm, "' is not one of ",
                                      absl::StrJoin(kJwtAlgorithms, ", ")));
    } else if (absl::StartsWith(key.algorithm, "HS")) {
      // A shared secret in a file that is also mounted for reading would be one more copy.
      if (key.secret_env.empty() || !key.public_key_file.empty()) {
        problems.Add(item, absl::StrCat("auth.keys[]: ", key.algorithm,
                                        " takes its secret from secret_env, and no key file"));
      }
    } else if (key.public_key_file.empty() || !key.secret_env.empty()) {
      problems.Add(item, absl::StrCat("auth.keys[]: ", key.algorithm,
                                      " takes a public_key_file (PEM), and no secret_env"));
    }
    keys.push_back(std::move(key));
  }
}

void ReadAuth(const YAML::Node& node, AuthConfig& auth, Problems& problems) {
  std::string mode = "metadata";
  int leeway_seconds = static_cast<int>(absl::ToInt64Seconds(auth.leeway));
  ReadMap(node, "auth",
          {{"mode", Scalar(mode, problems, "auth.mode")},
           {"issuer", Scalar(auth.issuer, problems, "auth.issuer")},
           {"audience", Scalar(auth.audience, problems, "auth.audience")},
           {"leeway_seconds", Scalar<int>(leeway_seconds, problems, "auth.leeway_seconds",
                                          [](const int& v) { return v >= 0 && v <= 600; })},
           {"keys", [&](const YAML::Node& n) { ReadJwtKeys(n, auth.keys, problems); }},
           {"claims",
            [&](const YAML::Node& n) {
              ReadMap(n, "auth.claims",
                      {{"actor", Scalar(auth.claims.actor, problems, "auth.claims.actor")},
                       {"roles", Scalar(auth.claims.roles, problems, "auth.claims.roles")},
                       {"partner", Scalar(auth.claims.partner, problems, "auth.claims.partner")},
                       {"customer_tenant", Scalar(auth.claims.customer_tenant, problems,
                                                  "auth.claims.customer_tenant")}},
                      problems);
            }}},
          problems);
  auth.leeway = absl::Seconds(leeway_seconds);
  if (mode == "metadata") {
    auth.mode = AuthMode::kMetadata;
    return;
  }
  if (mode != "jwt") {
    problems.Add(node, "auth.mode: must be 'metadata' or 'jwt'");
    return;
  }
  auth.mode = AuthMode::kJwt;
  if (auth.issuer.empty()) problems.Add(node, "auth: mode jwt needs the issuer tokens must name");
  if (auth.audience.empty()) {
    problems.Add(node, "auth: mode jwt needs the audience tokens must be for");
  }
  if (auth.keys.empty()) problems.Add(node, "auth: mode jwt needs at least one key");
  std::vector<std::string> ids;
  for (const JwtKeyConfig& key : auth.keys) {
    // With several keys, the token's kid must say which one signed it.
    if (auth.keys.size() > 1 && key.id.empty()) {
      problems.Add(node, "auth.keys: with several keys, each needs an id (the tokens' kid)");
      break;
    }
    if (std::find(ids.begin(), ids.end(), key.id) != ids.end()) {
      problems.Add(node, absl::StrCat("auth.keys: id '", key.id, "' is listed twice"));
    }
    ids.push_back(key.id);
  }
}

void ReadTls(const YAML::Node& node, TlsConfig& tls, Problems& problems) {
  int reload_seconds = static_cast<int>(absl::ToInt64Seconds(tls.reload_interval));
  ReadMap(node, "tls",
          {{"cert_file", Scalar(tls.cert_file, problems, "tls.cert_file")},
           {"key_file", Scalar(tls.key_file, problems, "tls.key_file")},
           {"client_ca_file", Scalar(tls.client_ca_file, problems, "tls.client_ca_file")},
           {"reload_seconds", Scalar<int>(reload_seconds, problems, "tls.reload_seconds",
                                          [](const int& v) { return v >= 0 && v <= 86400; })}},
          problems);
  tls.reload_interval = absl::Seconds(reload_seconds);
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    problems.Add(node, "tls: cert_file and key_file go together");
  }
  if (!tls.client_ca_file.empty() && tls.cert_file.empty()) {
    problems.Add(node, "tls: client_ca_file needs the server's cert_file and key_file");
  }
}

void ReadHealth(const YAML::Node& node, HealthConfig& health, Problems& problems) {
  int interval_ms = static_cast<int>(absl::ToInt64Milliseconds(health.check_interval));
  int timeout_ms = static_cast<int>(absl::ToInt64Milliseconds(health.timeout));
  auto sane = [](const int& v) { return v >= 10 && v <= 60'000; };
  ReadMap(
      node, "health",
      {{"listen", Scalar(health.listen, problems, "health.listen")},
       {"check_interval_ms", Scalar<int>(interval_ms, problems, "health.check_interval_ms", sane)},
       {"timeout_ms", Scalar<int>(timeout_ms, problems, "health.timeout_ms", sane)}},
      problems);
  health.check_interval = absl::Milliseconds(interval_ms);
  health.timeout = absl::Milliseconds(timeout_ms);
}

void ReadAdmin(const YAML::Node& node, AdminConfig& admin, Problems& problems) {
  ReadMap(node, "admin",
          {{"playground", Scalar(admin.playground, problems, "admin.playground")},
           {"listen", Scalar(admin.listen, problems, "admin.listen")},
           {"allow_non_loopback",
            Scalar(admin.allow_non_loopback, problems, "admin.allow_non_loopback")},
           {"allowed_hosts",
            [&](const YAML::Node& n) {
              if (!n.IsSequence()) {
                problems.Add(n, "admin.allowed_hosts must be a list of host names");
                return;
              }
              for (const YAML::Node& host : n) {
                std::string name;
                Scalar(name, problems, "admin.allowed_hosts[]")(host);
                if (!name.empty()) admin.allowed_hosts.push_back(name);
              }
            }}},
          problems);
  // "" is no port, as for metrics and health (test harnesses blank every side port's listen).
  if (admin.playground && admin.listen.empty()) {
    problems.Add(node, "admin: playground needs an admin.listen address");
  }
}

std::string ResolvePath(std::string_view base, const std::string& path) {
  if (path.empty() || std::filesystem::path(path).is_absolute() || base.empty()) return path;
  return (std::filesystem::path(base) / path).lexically_normal().string();
}

}  // namespace

bool IsJwtAlgorithm(std::string_view algorithm) {
  return std::find(std::begin(kJwtAlgorithms), std::end(kJwtAlgorithms), algorithm) !=
         std::end(kJwtAlgorithms);
}

absl::StatusOr<ServerConfig> ParseServerConfig(std::string_view yaml_text,
                                               std::string_view file_name,
                                               std::string_view base_directory) {
  Problems problems(file_name);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    problems.AddAt(e.mark.line + 1, e.mark.column + 1, e.msg);
    return problems.ToStatus();
  }
  ServerConfig config;
  config.metrics.listen = kDefaultMetricsListen;
  if (root.IsNull()) return config;

  auto positive = [](const int& v) { return v > 0; };
  int max_sleep_seconds = static_cast<int>(absl::ToInt64Seconds(config.scheduler.max_sleep));
  int retention_hours = static_cast<int>(absl::ToInt64Hours(config.idempotency_retention));
  int event_retention_hours = static_cast<int>(absl::ToInt64Hours(config.database.event_retention));
  int watch_seconds = static_cast<int>(absl::ToInt64Seconds(config.workflows.watch_interval));
  int grace_seconds = static_cast<int>(absl::ToInt64Seconds(config.shutdown_grace));
  std::string clock = "system";
  std::string log_format = "text";
  int line_of_clock = 0;
  int column_of_clock = 0;
  int line_of_quota = 1;
  int column_of_quota = 1;

  ReadMap(
      root, "the configuration",
      {
          {"listen", Scalar(config.listen, problems, "listen")},
          {"database",
           [&](const YAML::Node& n) {
             ReadMap(
                 n, "database",
                 {{"url", Scalar(config.database.url, problems, "database.url")},
                  {"pool_size", Scalar<int>(config.database.pool_size, problems,
                                            "database.pool_size", positive)},
                  {"max_evidence_bytes", Scalar<int64_t>(config.database.max_evidence_bytes,
                                                         problems, "database.max_evidence_bytes",
                                                         [](const int64_t& v) { return v > 0; })},
                  {"event_partitions",
                   Scalar<int>(config.database.event_partitions, problems,
                               "database.event_partitions",
                               [](const int& v) { return v >= 1 && v <= 1024; })},
                  {"event_retention_hours",
                   Scalar<int>(event_retention_hours, problems, "database.event_retention_hours",
                               [](const int& v) { return v >= 0; })}},
                 problems);
           }},
          {"workflows",
           [&](const YAML::Node& n) {
             ReadMap(
                 n, "workflows",
                 {{"directory",
                   Scalar(config.workflows.directory, problems, "workflows.directory")},
                  {"default",
                   Scalar(config.workflows.default_workflow, problems, "workflows.default")},
                  {"watch_seconds", Scalar<int>(watch_seconds, problems, "workflows.watch_seconds",
                                                [](const int& v) { return v >= 0; })}},
                 problems);
           }},
          {"scheduler",
           [&](const YAML::Node& n) {
             ReadMap(n, "scheduler",
                     {{"enabled", Scalar(config.scheduler.enabled, problems, "scheduler.enabled")},
                      {"batch_size", Scalar<int>(config.scheduler.batch_size, problems,
                                                 "scheduler.batch_size", positive)},
                      {"max_sleep_seconds", Scalar<int>(max_sleep_seconds, problems,
                                                        "scheduler.max_sleep_seconds", positive)}},
                     problems);
           }},
          {"clock",
           [&](const YAML::Node& n) {
             Scalar(clock, problems, "clock")(n);
             line_of_clock = n.Mark().line + 1;
             column_of_clock = n.Mark().column + 1;
           }},
          {"grpc",
           [&](const YAML::Node& n) {
             ReadMap(n, "grpc",
                     {{"max_message_bytes", Scalar<int>(config.grpc.max_message_bytes, problems,
                                                        "grpc.max_message_bytes", positive)},
                      {"worker_threads", Scalar<int>(config.grpc.worker_threads, problems,
                                                     "grpc.worker_threads", positive)},
                      {"max_queued_calls", Scalar<int>(config.grpc.max_queued_calls, problems,
                                                       "grpc.max_queued_calls", positive)},
                      {"memory_quota_bytes",
                       [&](const YAML::Node& quota) {
                         Scalar<int64_t>(config.grpc.memory_quota_bytes, problems,
                                         "grpc.memory_quota_bytes",
                                         [](const int64_t& v) { return v >= 0; })(quota);
                         line_of_quota = quota.Mark().line + 1;
                         column_of_quota = quota.Mark().column + 1;
                       }}},
                     problems);
           }},
          {"metrics",
           [&](const YAML::Node& n) {
             ReadMap(n, "metrics",
                     {{"listen", Scalar(config.metrics.listen, problems, "metrics.listen")}},
                     problems);
           }},
          {"evidence",
           [&](const YAML::Node& n) {
             ReadMap(n, "evidence",
                     {{"max_bytes",
                       Scalar<int64_t>(config.evidence.max_bytes, problems, "evidence.max_bytes",
                                       [](const int64_t& v) { return v > 0; })}},
                     problems);
           }},
          {"idempotency",
           [&](const YAML::Node& n) {
             ReadMap(n, "idempotency",
                     {{"retention_hours", Scalar<int>(retention_hours, problems,
                                                      "idempotency.retention_hours", positive)}},
                     problems);
           }},
          {"auth", [&](const YAML::Node& n) { ReadAuth(n, config.auth, problems); }},
          {"tls", [&](const YAML::Node& n) { ReadTls(n, config.tls, problems); }},
          {"health", [&](const YAML::Node& n) { ReadHealth(n, config.health, problems); }},
          {"admin", [&](const YAML::Node& n) { ReadAdmin(n, config.admin, problems); }},
          {"shutdown_grace_seconds", Scalar<int>(grace_seconds, problems, "shutdown_grace_seconds",
                                                 [](const int& v) { return v >= 0 && v <= 3600; })},
          {"log_format",
           Scalar<std::string>(log_format, problems, "log_format",
                               [](const std::string& v) { return v == "text" || v == "json"; })},
          {"access_log", Scalar(config.access_log, problems, "access_log")},
          {"log_level", Scalar<std::string>(config.log_level, problems, "log_level",
                                            [](const std::string& v) {
                                              return v == "trace" || v == "debug" || v == "info" ||
                                                     v == "warn" || v == "error";
                                            })},
      },
      problems);

  if (clock == "system") {
    config.clock = ClockKind::kSystem;
  } else if (clock == "manual") {
    config.clock = ClockKind::kManual;
  } else {
    problems.AddAt(line_of_clock, column_of_clock, "clock: must be 'system' or 'manual'");
  }
  config.scheduler.max_sleep = absl::Seconds(max_sleep_seconds);
  config.idempotency_retention = absl::Hours(retention_hours);
  config.database.event_retention = absl::Hours(event_retention_hours);
  if (config.grpc.memory_quota_bytes > 0 &&
      config.grpc.memory_quota_bytes < 2 * static_cast<int64_t>(config.grpc.max_message_bytes)) {
    problems.AddAt(line_of_quota, column_of_quota,
                   absl::StrCat("grpc.memory_quota_bytes (", config.grpc.memory_quota_bytes,
                                ") must be at least twice grpc.max_message_bytes (",
                                config.grpc.max_message_bytes,
                                "): a message is held whole while it is read; 0 for no quota"));
  }
  config.workflows.watch_interval = absl::Seconds(watch_seconds);
  config.shutdown_grace = absl::Seconds(grace_seconds);
  config.log_format = log_format == "json" ? LogFormat::kJson : LogFormat::kText;
  if (!problems.empty()) return problems.ToStatus();

  config.workflows.directory = ResolvePath(base_directory, config.workflows.directory);
  for (JwtKeyConfig& key : config.auth.keys) {
    key.public_key_file = ResolvePath(base_directory, key.public_key_file);
  }
  for (std::string* file :
       {&config.tls.cert_file, &config.tls.key_file, &config.tls.client_ca_file}) {
    *file = ResolvePath(base_directory, *file);
  }
  const std::string kSqlitePrefix = "sqlite:";
  if (absl::StartsWith(config.database.url, kSqlitePrefix)) {
    const std::string path = config.database.url.substr(kSqlitePrefix.size());
    if (path != ":memory:") {
      config.database.url = absl::StrCat(kSqlitePrefix, ResolvePath(base_directory, path));
    }
  }
  return config;
}

absl::StatusOr<ServerConfig> LoadServerConfig(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFileWithin(path, kMaxConfigBytes);
  if (!text.ok()) {
    return absl::Status(text.status().code(),
                        absl::StrCat("config file: ", text.status().message()));
  }
  const std::string base = std::filesystem::path(path).parent_path().string();
  absl::StatusOr<ServerConfig> config = ParseServerConfig(*text, path, base);
  if (!config.ok()) return config;
  if (const char* listen = std::getenv("CLAIMS_LISTEN"); listen && *listen) {
    config->listen = listen;
  }
  if (const char* url = std::getenv("CLAIMS_DATABASE_URL"); url && *url) {
    config->database.url = url;
  }
  return config;
}

}  // namespace claims::config
