#include "tests/bench/claimsd_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace claims::bench {

double ProcessCpuMicros(pid_t pid) {
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string line;
  if (!std::getline(stat, line)) return 0;
  // The fields after the command name, which is in parentheses and may hold spaces: utime and
  // stime are the 12th and 13th of them.
  const size_t close = line.rfind(')');
  if (close == std::string::npos || close + 2 > line.size()) return 0;
  std::istringstream rest(line.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int i = 1; i <= 13 && rest >> field; ++i) {
    if (i >= 12) ticks += std::atof(field.c_str());
  }
  return ticks * 1e6 / static_cast<double>(sysconf(_SC_CLK_TCK));
}

absl::StatusOr<std::unique_ptr<ClaimsdProcess>> ClaimsdProcess::Start(
    const std::vector<std::string>& args) {
  int down[2], up[2];
  if (pipe2(down, O_CLOEXEC) != 0) return absl::InternalError(std::strerror(errno));
  if (pipe2(up, O_CLOEXEC) != 0) {
    close(down[0]);
    close(down[1]);
    return absl::InternalError(std::strerror(errno));
  }
  // Built before fork: between fork and exec the child may only make async-signal-safe calls.
  std::vector<std::string> owned = {"service_bench"};
  owned.insert(owned.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : owned) argv.push_back(a.data());
  argv.push_back(nullptr);

  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  if (pid == 0) {
    // A benchmark that dies without its destructors still takes its servers with it.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    dup2(down[0], STDIN_FILENO);
    dup2(up[1], STDOUT_FILENO);
    // Nothing else of the parent's: its database and gRPC connections stay its own.
    close_range(3, ~0U, 0);
    execv("/proc/self/exe", argv.data());
    _exit(127);
  }
  close(down[0]);
  close(up[1]);
  std::unique_ptr<ClaimsdProcess> process(new ClaimsdProcess());
  process->pid_ = pid;
  process->to_child_ = down[1];
  process->from_child_ = up[0];
  absl::StatusOr<std::string> line = process->ReadLine();
  if (!line.ok()) return line.status();
  std::vector<std::string> words = absl::StrSplit(*line, ' ');
  if (words.size() != 2 || words[0] != "port" || !absl::SimpleAtoi(words[1], &process->port_)) {
    return absl::InternalError(absl::StrCat("claimsd said \"", *line, "\", not its port"));
  }
  return process;
}

ClaimsdProcess::~ClaimsdProcess() {
  if (to_child_ >= 0) close(to_child_);
  if (pid_ > 0) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (waitpid(pid_, nullptr, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > give_up) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  if (from_child_ >= 0) close(from_child_);
}

absl::StatusOr<std::string> ClaimsdProcess::ReadLine() {
  for (;;) {
    if (const size_t end = pending_.find('\n'); end != std::string::npos) {
      std::string line = pending_.substr(0, end);
      pending_.erase(0, end + 1);
      return line;
    }
    char buffer[256];
    const ssize_t n = read(from_child_, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return absl::UnavailableError("claimsd ended (see its errors above)");
    pending_.append(buffer, static_cast<size_t>(n));
  }
}

absl::StatusOr<ServedStats> ClaimsdProcess::Stats() {
  constexpr char kAsk[] = "stats\n";
  if (write(to_child_, kAsk, sizeof kAsk - 1) != static_cast<ssize_t>(sizeof kAsk - 1)) {
    return absl::UnavailableError("claimsd does not listen to its parent any more");
  }
  absl::StatusOr<std::string> line = ReadLine();
  if (!line.ok()) return line.status();
  ServedStats stats;
  std::vector<std::string> words = absl::StrSplit(*line, ' ');
  if (words.size() != 2 || !absl::SimpleAtoi(words[0], &stats.statements) ||
      !absl::SimpleAtoi(words[1], &stats.retries)) {
    return absl::InternalError(absl::StrCat("claimsd answered \"", *line, "\" to stats"));
  }
  return stats;
}

void ServeParent(server::ClaimsServer& server) {
  std::cout << "port " << server.port() << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line != "stats") continue;
    const storage::StorageStats stats = server.repository().Stats();
    std::cout << stats.statements << " " << stats.retries_deadlock + stats.retries_lock_timeout
              << std::endl;
  }
}

}  // namespace claims::bench
