// claimsctl claims watch: the outbox as it happens, for people (one line an event) and scripts
// (one JSON object a line). Each event carries its cursor; a script that stores the last one
// resumes with --after-cursor exactly after it.

#include "cli/watch_command.h"

#include <algorithm>
#include <chrono>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "claims/v1/claims_service.grpc.pb.h"
#include "cli/claim_text.h"
#include "cli/output.h"

namespace claims::cli {
namespace {

namespace pb = ::claims::v1;

struct WatchOptions {
  std::string after_cursor;
  std::int64_t after_sequence = 0;
  std::vector<std::string> types;
  int partition = -1;  // -1: every partition
  std::int64_t limit = 0;
  int reconnect_seconds = 120;
};

// A stream that ends with one of these was cut by the network or a server going away (a
// restart ends streams with CANCELLED or UNAVAILABLE): the same request from the last cursor
// picks up where it left off. Any other code would fail again the same way.
bool WorthReconnecting(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
    case grpc::StatusCode::UNKNOWN:
      return true;
    default:
      return false;
  }
}

void PrintEvent(const pb::Event& event) {
  // Flushed a line at a time: whoever reads a pipe sees each event when it happens.
  if (SelectedOutput() == OutputFormat::kJson) {
    std::cout << CompactJson(event) << std::endl;
  } else {
    std::cout << EventLine(event) << std::endl;
  }
}

int Watch(const ClientOptions& options, const WatchOptions& watch) {
  if (!watch.after_cursor.empty() && watch.after_sequence != 0) {
    std::cerr << "error: give --after-cursor or --after-sequence, not both\n";
    return kExitUsage;
  }
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = OpenChannel(options);
  if (!channel.ok()) {
    std::cerr << "error: " << channel.status().message() << "\n";
    return kExitUsage;
  }
  auto stub = pb::Claims::NewStub(*channel);
  std::string cursor = watch.after_cursor;
  std::int64_t after_sequence = watch.after_sequence;
  std::int64_t printed = 0;
  using Clock = std::chrono::steady_clock;
  constexpr auto kFirstBackoff = std::chrono::milliseconds(100);
  constexpr auto kMaxBackoff = std::chrono::seconds(5);
  // A stream that lived this long got through: the outage it followed is over.
  constexpr auto kHealthyStream = std::chrono::seconds(2);
  auto backoff = std::chrono::milliseconds(kFirstBackoff);
  std::optional<Clock::time_point> outage_since;
  // Every pass either prints events or spends time of the bounded reconnect window.
  while (true) {
    pb::StreamEventsRequest request;
    // The cursor wins once there is one: it remembers the partition the stream was reading.
    if (!cursor.empty()) {
      request.set_cursor(cursor);
    } else {
      request.set_after_sequence(after_sequence);
    }
    for (const std::string& type : watch.types) request.add_types(type);
    if (watch.partition >= 0) request.set_partition(watch.partition);

    grpc::ClientContext context;
    AddIdentity(options, context);
    const Clock::time_point opened = Clock::now();
    std::unique_ptr<grpc::ClientReader<pb::Event>> reader = stub->StreamEvents(&context, request);
    pb::Event event;
    bool received = false;
    while (reader->Read(&event)) {
      received = true;
      PrintEvent(event);
      cursor = event.cursor();
      after_sequence = event.sequence();
      if (watch.limit > 0 && ++printed >= watch.limit) {
        context.TryCancel();
        (void)reader->Finish();
        return kExitOk;
      }
    }
    grpc::Status status = reader->Finish();
    if (!WorthReconnecting(status.error_code())) return PrintError(status);
    if (received || Clock::now() - opened >= kHealthyStream) {
      outage_since.reset();
      backoff = kFirstBackoff;
    }
    if (!outage_since.has_value()) {
      outage_since = Clock::now();
      std::cerr << "claimsctl: event stream ended (" << status.error_code() << ": "
                << status.error_message() << "); reconnecting"
                << (cursor.empty() ? "" : " after the last cursor") << "\n";
    }
    if (Clock::now() - *outage_since >= std::chrono::seconds(watch.reconnect_seconds)) {
      std::cerr << "error: could not reconnect within " << watch.reconnect_seconds << "s\n";
      return status.ok() ? kExitUnavailable : PrintError(status);
    }
    std::this_thread::sleep_for(backoff);
    backoff = std::min<std::chrono::milliseconds>(backoff * 2, kMaxBackoff);
  }
}

}  // namespace

void AddWatchCommand(CLI::App& claims, std::shared_ptr<ClientOptions> options, int& exit_code) {
  auto watch = std::make_shared<WatchOptions>();
  CLI::App* command = claims.add_subcommand(
      "watch", "follow events live; each line ends with the cursor to resume after it");
  command->add_option("--after-cursor", watch->after_cursor,
                      "resume after the event that printed this cursor");
  command
      ->add_option("--after-sequence", watch->after_sequence,
                   "start after this event sequence (0: the oldest kept)")
      ->check(CLI::NonNegativeNumber);
  command->add_option("--type", watch->types, "only events of this type (repeat)");
  command->add_option("--partition", watch->partition, "only this outbox partition")
      ->check(CLI::NonNegativeNumber);
  command->add_option("--limit", watch->limit, "stop after this many events; 0: follow forever")
      ->check(CLI::NonNegativeNumber);
  command
      ->add_option("--reconnect-for", watch->reconnect_seconds,
                   "seconds to keep reconnecting after the stream breaks (default 120)")
      ->check(CLI::NonNegativeNumber);
  command->callback([options, watch, &exit_code] { exit_code = Watch(*options, *watch); });
}

}  // namespace claims::cli
