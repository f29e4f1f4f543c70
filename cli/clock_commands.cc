// claimsctl clock get|set|advance: the TestClock of a claimsd running `clock: manual` on
// loopback. `clock advance 5d` moves the server's time five days on and returns once every
// warning and deadline that fell due has fired, so an SLA test takes a second, not a week.

#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>

#include <cctype>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "claims/v1/test_clock.grpc.pb.h"
#include "cli/client_connection.h"
#include "cli/command_registry.h"
#include "cli/output.h"

namespace claims::cli {
namespace {

namespace pb = ::claims::v1;

// "5d", "36h", "1d12h", "90m", "45s", "2w": calendar time (a business day is the calendar's
// business; advance by calendar days and the server counts them). nullopt when malformed.
std::optional<std::int64_t> ParseDurationSeconds(const std::string& text) {
  if (text.empty()) return std::nullopt;
  std::int64_t total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t digits_start = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    // Bounded so the sum cannot overflow: ten digits of weeks is far past any test.
    if (i == digits_start || i - digits_start > 10 || i == text.size()) return std::nullopt;
    const std::int64_t amount = std::stoll(text.substr(digits_start, i - digits_start));
    std::int64_t unit = 0;
    switch (text[i]) {
      case 'w':
        unit = 7 * 86400;
        break;
      case 'd':
        unit = 86400;
        break;
      case 'h':
        unit = 3600;
        break;
      case 'm':
        unit = 60;
        break;
      case 's':
        unit = 1;
        break;
      default:
        return std::nullopt;
    }
    total += amount * unit;
    ++i;
  }
  return total;
}

int PrintClockTime(const pb::ClockTime& time) {
  if (SelectedOutput() == OutputFormat::kJson) {
    PrintJson(time, std::cout);
  } else {
    std::cout << FormatTime(time.time());
    if (time.timers_fired() > 0) std::cout << " (" << time.timers_fired() << " timers fired)";
    std::cout << "\n";
  }
  return kExitOk;
}

template <typename Request>
int CallClock(const ClientOptions& options, const Request& request,
              grpc::Status (pb::TestClock::Stub::*method)(grpc::ClientContext*, const Request&,
                                                          pb::ClockTime*)) {
  grpc::StatusCode code = grpc::StatusCode::OK;
  const int exit_code =
      InvokeUnary<pb::TestClock>(options, request, method, &PrintClockTime, &code);
  if (code == grpc::StatusCode::UNIMPLEMENTED) {
    std::cerr << "  (the TestClock exists only on a claimsd with `clock: manual` on loopback)\n";
  }
  return exit_code;
}

void AddClockCommands(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<ClientOptions>();
  CLI::App* clock = app.add_subcommand(
      "clock", "read and move the clock of a test claimsd (clock: manual, loopback)");
  clock->require_subcommand(1);
  clock->fallthrough();
  AddConnectionOptions(*clock, *options);

  clock->add_subcommand("get", "the server's time")->callback([options, &exit_code] {
    exit_code = CallClock(*options, pb::GetTimeRequest(), &pb::TestClock::Stub::GetTime);
  });

  auto time = std::make_shared<std::string>();
  CLI::App* set = clock->add_subcommand("set", "move the clock to a time (not before now)");
  set->add_option("time", *time, "RFC 3339, e.g. 2026-12-24T17:00:00Z")->required();
  set->callback([options, time, &exit_code] {
    pb::SetTimeRequest request;
    if (!google::protobuf::util::TimeUtil::FromString(*time, request.mutable_time())) {
      std::cerr << "error: " << *time << " is not an RFC 3339 time (2026-12-24T17:00:00Z)\n";
      exit_code = kExitUsage;
      return;
    }
    exit_code = CallClock(*options, request, &pb::TestClock::Stub::SetTime);
  });

  auto by = std::make_shared<std::string>();
  CLI::App* advance = clock->add_subcommand(
      "advance", "move the clock forward and fire what fell due, e.g. `clock advance 5d`");
  advance->add_option("duration", *by, "e.g. 5d, 36h, 1d12h, 90m, 45s, 2w")->required();
  advance->callback([options, by, &exit_code] {
    std::optional<std::int64_t> seconds = ParseDurationSeconds(*by);
    if (!seconds.has_value()) {
      std::cerr << "error: " << *by << " is not a duration (5d, 36h, 1d12h, 90m, 45s, 2w)\n";
      exit_code = kExitUsage;
      return;
    }
    pb::AdvanceTimeRequest request;
    request.mutable_by()->set_seconds(*seconds);
    exit_code = CallClock(*options, request, &pb::TestClock::Stub::AdvanceTime);
  });
}

const CommandRegistration kRegistration{"clock", &AddClockCommands};

}  // namespace
}  // namespace claims::cli
