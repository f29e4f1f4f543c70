#pragma once

#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "config/claims_config.h"
#include "server/playground/playground_api.h"

namespace httplib {
class Server;
}

namespace claims::server {

// The admin HTTP port: the workflow playground's page (compiled in) and its JSON API, on a
// thread of its own. Serves GET and POST only; a POST must be application/json from the page's
// own origin, and the Host header must name this server (loopback names or admin.listen's
// host), which shuts out cross-site requests and DNS rebinding. Every answer carries a
// Content-Security-Policy of 'self' and nosniff.
class AdminHttpServer {
 public:
  // Listens on config.listen (port 0 picks a free one; see port()). FAILED_PRECONDITION for a
  // non-loopback address unless config.allow_non_loopback; UNAVAILABLE when it cannot listen.
  // `playground` must outlive the server.
  static absl::StatusOr<std::unique_ptr<AdminHttpServer>> Start(const config::AdminConfig& config,
                                                                const PlaygroundApi& playground);
  ~AdminHttpServer();

  int port() const { return port_; }

  // Stops accepting, waits for requests in progress, joins the thread. Idempotent.
  void Stop();

 private:
  AdminHttpServer() = default;

  // Bounds the checks that run at once; the others wait for a slot.
  struct CheckGate {
    class Slot {
     public:
      explicit Slot(CheckGate& gate);
      ~Slot();
      Slot(const Slot&) = delete;
      Slot& operator=(const Slot&) = delete;

     private:
      CheckGate& gate_;
    };
    absl::Mutex mu;
    int running ABSL_GUARDED_BY(mu) = 0;
  };

  CheckGate gate_;
  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace claims::server
