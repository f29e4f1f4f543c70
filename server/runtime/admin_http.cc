#include "server/runtime/admin_http.h"

#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <string_view>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "server/playground/page_assets.h"
#include "server/tls.h"
#include "spdlog/spdlog.h"

namespace claims::server {
namespace {

// httplib gives a connection its thread for as long as the connection lives, and a browser
// opens several and keeps them alive: fewer threads than that leave a page's requests queued
// behind idle connections. Idle threads cost a stack; the work is bounded by kConcurrentChecks.
constexpr std::size_t kAdminThreads = 8;
// Checks (validation, layout, simulation) running at once: the playground is for the people
// editing workflows, and a check at every pause in typing should not take the cores the API
// needs. Layouts are serialised anyway (Graphviz is not thread-safe).
constexpr int kConcurrentChecks = 2;
// An idle kept-alive connection holds its thread this long.
constexpr int kKeepAliveSeconds = 2;

constexpr char kContentSecurityPolicy[] =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'";

struct HostPort {
  std::string host;  // without brackets
  int port = 0;
};

// "host:port" or "[v6]:port"; the port may be absent (a Host header for port 80).
std::optional<HostPort> SplitHostPort(std::string_view text, bool need_port) {
  HostPort out;
  std::string_view rest;
  if (text.starts_with("[")) {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out.host = std::string(text.substr(1, close - 1));
    rest = text.substr(close + 1);
  } else {
    const std::size_t colon = text.rfind(':');
    out.host = std::string(text.substr(0, colon));
    rest = colon == std::string_view::npos ? std::string_view() : text.substr(colon);
  }
  if (rest.empty()) {
    if (need_port) return std::nullopt;
    return out;
  }
  if (rest.front() != ':' ||
      !absl::SimpleAtoi(absl::string_view(rest.data() + 1, rest.size() - 1), &out.port) ||
      out.port < 0 || out.port > 65535) {
    return std::nullopt;
  }
  return out;
}

bool IsWildcard(const std::string& host) {
  return host.empty() || host == "0.0.0.0" || host == "::";
}

// The host names a browser may have used to reach this port. A page on any other name is
// another site (or a DNS-rebinding one) and gets nothing.
std::vector<std::string> AcceptedHostNames(const config::AdminConfig& config,
                                           const HostPort& listen) {
  std::vector<std::string> names = {"localhost", "127.0.0.1", "::1"};
  if (!IsWildcard(listen.host)) names.push_back(absl::AsciiStrToLower(listen.host));
  for (const std::string& name : config.allowed_hosts) {
    names.push_back(absl::AsciiStrToLower(name));
  }
  return names;
}

void Refuse(httplib::Response& response, int status, std::string_view why) {
  response.status = status;
  response.set_content(absl::StrCat(std::string(why), "\n"), "text/plain; charset=utf-8");
}

void AnswerJson(httplib::Response& response, int status, const nlohmann::json& body) {
  response.status = status;
  // Invalid UTF-8 in what an editor pasted is replaced rather than thrown on.
  response.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                       "application/json");
}

bool IsJson(const std::string& content_type) {
  std::string media = content_type.substr(0, content_type.find(';'));
  absl::StripAsciiWhitespace(&media);
  return absl::AsciiStrToLower(media) == "application/json";
}

}  // namespace

absl::StatusOr<std::unique_ptr<AdminHttpServer>> AdminHttpServer::Start(
    const config::AdminConfig& config, const PlaygroundApi& playground) {
  const std::optional<HostPort> listen = SplitHostPort(config.listen, /*need_port=*/true);
  if (!listen.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("admin.listen: '", config.listen, "' is not host:port"));
  }
  if (!IsLoopbackAddress(config.listen) && !config.allow_non_loopback) {
    return absl::FailedPreconditionError(absl::StrCat(
        "admin.listen ", config.listen,
        " is not a loopback address: the playground answers whoever reaches it, so it listens "
        "on loopback unless admin.allow_non_loopback is true (for a tunnel or an "
        "authenticating proxy in front)"));
  }
  std::unique_ptr<AdminHttpServer> server(new AdminHttpServer());
  server->http_ = std::make_unique<httplib::Server>();
  httplib::Server& http = *server->http_;
  http.new_task_queue = [] { return new httplib::ThreadPool(kAdminThreads); };
  http.set_payload_max_length(playground.limits().max_request_bytes);
  http.set_read_timeout(5);
  http.set_write_timeout(5);
  http.set_keep_alive_timeout(kKeepAliveSeconds);
  http.set_default_headers({{"Content-Security-Policy", kContentSecurityPolicy},
                            {"X-Content-Type-Options", "nosniff"},
                            {"X-Frame-Options", "DENY"},
                            {"Referrer-Policy", "no-referrer"},
                            {"Cross-Origin-Resource-Policy", "same-origin"},
                            {"Cache-Control", "no-store"}});

  const std::vector<std::string> hosts = AcceptedHostNames(config, *listen);
  http.set_pre_routing_handler([hosts](const httplib::Request& request,
                                       httplib::Response& response) {
    using Result = httplib::Server::HandlerResponse;
    if (request.method != "GET" && request.method != "HEAD" && request.method != "POST") {
      response.set_header("Allow", "GET, POST");
      Refuse(response, 405, "only GET and POST");
      return Result::Handled;
    }
    const std::string host_header = request.get_header_value("Host");
    const std::optional<HostPort> host = SplitHostPort(host_header, /*need_port=*/false);
    if (!host.has_value() ||
        std::find(hosts.begin(), hosts.end(), absl::AsciiStrToLower(host->host)) == hosts.end()) {
      Refuse(response, 403, "unexpected Host header: open the playground by its own address");
      return Result::Handled;
    }
    // Browsers name the page a request comes from; only this server's own pages may call it.
    if (request.has_header("Origin") &&
        request.get_header_value("Origin") != absl::StrCat("http://", host_header)) {
      Refuse(response, 403, "cross-origin requests are refused");
      return Result::Handled;
    }
    if (request.method == "POST" && request.has_header("Sec-Fetch-Site") &&
        request.get_header_value("Sec-Fetch-Site") != "same-origin") {
      Refuse(response, 403, "cross-site requests are refused");
      return Result::Handled;
    }
    return Result::Unhandled;
  });

  for (const PageAsset& asset : PageAssets()) {
    std::string pattern;
    for (char c : asset.path) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '/' && c != '_' && c != '-') {
        pattern.push_back('\\');
      }
      pattern.push_back(c);
    }
    http.Get(pattern, [asset](const httplib::Request&, httplib::Response& response) {
      response.set_content(std::string(asset.body), std::string(asset.content_type).c_str());
    });
  }
  CheckGate* gate = &server->gate_;
  http.Post("/api/check",
            [&playground, gate](const httplib::Request& request, httplib::Response& response) {
              if (!IsJson(request.get_header_value("Content-Type"))) {
                Refuse(response, 415, "send application/json");
                return;
              }
              CheckGate::Slot slot(*gate);
              absl::StatusOr<nlohmann::json> answer = playground.Check(request.body);
              if (!answer.ok()) {
                AnswerJson(response, 400, {{"error", std::string(answer.status().message())}});
                return;
              }
              AnswerJson(response, 200, *answer);
            });
  http.set_error_handler([](const httplib::Request&, httplib::Response& response) {
    if (!response.body.empty()) return;
    switch (response.status) {
      case 404:
        Refuse(response, 404, "not found");
        break;
      case 413:
        Refuse(response, 413, "request too large");
        break;
      default:
        break;
    }
  });
  http.set_exception_handler(
      [](const httplib::Request& request, httplib::Response& response, std::exception_ptr error) {
        std::string what = "unknown exception";
        try {
          std::rethrow_exception(error);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        spdlog::error("playground: {} {} failed: {}", request.method, request.path, what);
        Refuse(response, 500, "internal error");
      });

  if (listen->port == 0) {
    server->port_ = http.bind_to_any_port(listen->host);
  } else if (http.bind_to_port(listen->host, listen->port)) {
    server->port_ = listen->port;
  }
  if (server->port_ <= 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on admin.listen ", config.listen));
  }
  server->thread_ = std::thread([&http] { http.listen_after_bind(); });
  // httplib's stop() does nothing before the loop runs, so a Stop() right after Start() would
  // leave the thread listening; Start returns once it runs.
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (!http.is_running() && server->thread_.joinable() && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  if (!http.is_running()) {
    return absl::UnavailableError(absl::StrCat("admin.listen ", config.listen, ": not serving"));
  }
  return server;
}

AdminHttpServer::CheckGate::Slot::Slot(CheckGate& gate) : gate_(gate) {
  absl::MutexLock lock(&gate_.mu);
  gate_.mu.Await(absl::Condition(
      +[](int* running) { return *running < kConcurrentChecks; }, &gate_.running));
  ++gate_.running;
}

AdminHttpServer::CheckGate::Slot::~Slot() {
  absl::MutexLock lock(&gate_.mu);
  --gate_.running;
}

AdminHttpServer::~AdminHttpServer() { Stop(); }

void AdminHttpServer::Stop() {
  if (http_) http_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace claims::server
