#include "server/runtime/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"

namespace claims::server {
namespace {

constexpr char kAccessLogger[] = "access";
// Longer values are cut: identifiers are short, and a log line must stay a line.
constexpr std::size_t kMaxValueBytes = 256;

std::string_view Bounded(std::string_view value) { return value.substr(0, kMaxValueBytes); }

// Text lines: control characters escaped, so a value cannot start a forged line.
std::string Printable(std::string_view value) {
  const std::string_view bounded = Bounded(value);
  return absl::Utf8SafeCEscape(absl::string_view(bounded.data(), bounded.size()));
}

std::string Rfc3339(spdlog::log_clock::time_point time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromChrono(time), absl::UTCTimeZone());
}

std::string Dump(const nlohmann::ordered_json& json) {
  // Invalid UTF-8 (say, in a library's message) becomes U+FFFD instead of an exception.
  return json.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

// One JSON object a line. An access line's payload is already a JSON object of its fields
// (AccessLog::Record writes it so), merged in after the common keys.
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    nlohmann::ordered_json line;
    line["time"] = Rfc3339(msg.time);
    const auto level = spdlog::level::to_string_view(msg.level);
    line["level"] = std::string_view(level.data(), level.size());
    line["logger"] = std::string_view(msg.logger_name.data(), msg.logger_name.size());
    const std::string_view payload(msg.payload.data(), msg.payload.size());
    std::string text;
    if (line["logger"] == kAccessLogger && payload.size() > 2 && payload.front() == '{') {
      text = Dump(line);
      text.pop_back();  // the closing brace; the payload's fields follow
      text += ',';
      text.append(payload.substr(1));
    } else {
      line["message"] = payload;
      text = Dump(line);
    }
    dest.append(text.data(), text.data() + text.size());
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

}  // namespace

void ConfigureLogging(config::LogFormat format, spdlog::level::level_enum level,
                      spdlog::sink_ptr sink) {
  if (!sink) {
    if (format == config::LogFormat::kJson) {
      sink = std::make_shared<spdlog::sinks::stdout_sink_mt>();
    } else {
      sink = std::make_shared<spdlog::sinks::stdout_color_sink_mt>();
    }
  }
  if (format == config::LogFormat::kJson) sink->set_formatter(std::make_unique<JsonFormatter>());
  auto main = std::make_shared<spdlog::logger>("", sink);
  auto access = std::make_shared<spdlog::logger>(kAccessLogger, sink);
  for (const auto& logger : {main, access}) logger->set_level(level);
  // The access logger ignores the level: it is switched by access_log alone.
  access->set_level(spdlog::level::info);
  spdlog::drop(kAccessLogger);
  spdlog::register_logger(access);
  spdlog::set_default_logger(main);
}

AccessLog::AccessLog(bool enabled, config::LogFormat format)
    : enabled_(enabled), format_(format), logger_(spdlog::get(kAccessLogger)) {
  if (!logger_) {
    const auto& sinks = spdlog::default_logger()->sinks();
    logger_ = std::make_shared<spdlog::logger>(kAccessLogger, sinks.begin(), sinks.end());
  }
}

void AccessLog::Record(const AccessEntry& entry) const {
  if (!enabled_) return;
  const std::string code = absl::StatusCodeToString(entry.code);
  const double latency_ms = absl::ToDoubleMilliseconds(entry.latency);
  if (format_ == config::LogFormat::kJson) {
    nlohmann::ordered_json fields;
    fields["method"] = entry.method;
    fields["code"] = code;
    fields["latency_ms"] = static_cast<double>(static_cast<int64_t>(latency_ms * 1000)) / 1000;
    fields["actor"] = Bounded(entry.actor);
    if (!entry.partner.empty()) fields["partner"] = Bounded(entry.partner);
    if (!entry.claim.empty()) fields["claim"] = Bounded(entry.claim);
    if (!entry.request_id.empty()) fields["request_id"] = Bounded(entry.request_id);
    logger_->info(Dump(fields));
    return;
  }
  logger_->info("{} {} {:.3f}ms actor={} partner={} claim={} request_id={}", entry.method, code,
                latency_ms, Printable(entry.actor), Printable(entry.partner),
                Printable(entry.claim), Printable(entry.request_id));
}

std::string CalendarChangeMessage(const std::vector<WorkflowRegistry::CalendarChange>& changes) {
  if (changes.empty()) return "";
  std::vector<std::string> versions;
  for (const WorkflowRegistry::CalendarChange& c : changes) {
    versions.push_back(absl::StrCat(c.name, " version ", c.version, " (calendars ",
                                    absl::StrJoin(c.calendars, ", "), ")"));
  }
  return absl::StrCat("calendars changed for ", absl::StrJoin(versions, "; "),
                      ": running claims keep the deadlines computed under the old calendars; "
                      "`claimsctl workflows recompute-deadlines` moves them");
}

}  // namespace claims::server
