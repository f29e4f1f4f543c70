#pragma once

// claimsd in a process of its own for the service benchmark, as it is deployed: the benchmark's
// own program started again with `--serve`, which runs server::ClaimsServer and talks to its
// parent over two pipes. Clients in the same process as the server would share gRPC's polling
// engine with it (one set of pollers per process, handing I/O between client and server
// threads), which no deployment does and which costs both sides CPU the service does not spend.

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/claims_server.h"

namespace claims::bench {

// CPU time used so far by process `pid` (user and system), in microseconds; 0 if it is gone.
double ProcessCpuMicros(pid_t pid);

// What the server's repository counted so far (storage::StorageStats).
struct ServedStats {
  int64_t statements = 0;
  int64_t retries = 0;  // deadlock and lock-timeout retries
};

class ClaimsdProcess {
 public:
  // Starts this program (/proc/self/exe) with `args` and waits until it says it listens.
  static absl::StatusOr<std::unique_ptr<ClaimsdProcess>> Start(
      const std::vector<std::string>& args);
  // Asks the server to shut down (closes its stdin) and waits for it; kills it after 10 s.
  ~ClaimsdProcess();
  ClaimsdProcess(const ClaimsdProcess&) = delete;
  ClaimsdProcess& operator=(const ClaimsdProcess&) = delete;

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  double CpuMicros() const { return ProcessCpuMicros(pid_); }
  absl::StatusOr<ServedStats> Stats();

 private:
  ClaimsdProcess() = default;
  absl::StatusOr<std::string> ReadLine();

  pid_t pid_ = -1;
  int to_child_ = -1;    // the child's stdin
  int from_child_ = -1;  // the child's stdout
  int port_ = 0;
  std::string pending_;  // read from the child past the last line taken
};

// The child's side, with `server` started: writes "port N" to stdout, then answers each "stats"
// line on stdin with "STATEMENTS RETRIES" until stdin ends (the parent is done or gone).
void ServeParent(server::ClaimsServer& server);

}  // namespace claims::bench
