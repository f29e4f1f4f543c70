#pragma once

#include <grpcpp/support/byte_buffer.h>

#include <mutex>
#include <set>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "claims/v1/claims_service.grpc.pb.h"
#include "server/api/claims_logic.h"
#include "server/api/content_sniffing.h"
#include "server/api/evidence_streams.h"
#include "server/api/unary_calls.h"
#include "server/runtime/event_feed.h"
#include "server/runtime/logging.h"
#include "server/runtime/metrics.h"
#include "server/runtime/worker_pool.h"

namespace claims::server {

// The open StreamEvents calls: counted for metrics, recorded in the access log when they end,
// and ended together at shutdown with a status clients act on (reconnect elsewhere), rather
// than cut when the grace period runs out. Thread-safe.
class StreamRegistry {
 public:
  class Stream {
   public:
    // Finishes the call with `status` unless it has finished already. Must not block.
    virtual void End(const grpc::Status& status) = 0;

   protected:
    ~Stream() = default;
  };

  StreamRegistry(ServerMetrics& metrics, const AccessLog& access_log)
      : metrics_(metrics), access_log_(access_log) {}

  // False once EndAll has run: the stream must finish at once with ShuttingDown().
  [[nodiscard]] bool Add(Stream* stream);
  // Idempotent; a stream that was never added is ignored.
  void Remove(Stream* stream);
  // Ends every open stream with `status` and refuses new ones.
  void EndAll(const grpc::Status& status);

  void Streamed(int events) { metrics_.RecordEventsStreamed(events); }
  void Finished(const Caller& caller, const grpc::Status& status, absl::Duration duration) const;

  static grpc::Status ShuttingDown();

 private:
  ServerMetrics& metrics_;
  const AccessLog& access_log_;
  std::mutex mu_;
  std::set<Stream*> open_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

// The gRPC face of ClaimsLogic: reads the caller from metadata, honours the caller's deadline
// and cancellation, runs the logic on the worker pool (refusing calls at once when its queue is
// full) and maps the result to a status.
//
// Every method takes its request as raw bytes and decodes it itself (request_decoding.h): on a
// request gRPC cannot parse, gRPC 1.51's callback API would answer UNIMPLEMENTED with an empty
// message. Responses are serialised by gRPC as usual.
class ClaimsService final : public pb::Claims::Service {
 public:
  ClaimsService(ClaimsLogic& logic, WorkerPool& workers, EventFeed& events, ServerMetrics& metrics,
                const AccessLog& access_log, std::unique_ptr<ContentSniffer> sniffer);

  // Called with the decoded request, which lives only during this call: the reactor keeps
  // copies of what it needs.
  grpc::ServerWriteReactor<pb::Event>* StreamEvents(grpc::CallbackServerContext* context,
                                                    const pb::StreamEventsRequest* request);

  // Shutdown: ends open event streams with UNAVAILABLE "server shutting down" and refuses
  // new ones. Unary calls are drained by grpc::Server::Shutdown.
  void EndStreams() { streams_.EndAll(StreamRegistry::ShuttingDown()); }

 private:
  template <typename Request, typename Response>
  using LogicMethod = absl::StatusOr<Response> (ClaimsLogic::*)(const Caller&, const Request&);

  template <typename Request, typename Response>
  void AddUnary(std::string_view method, LogicMethod<Request, Response> logic);
  void AddStream(std::string_view method);

  ClaimsLogic& logic_;
  EventFeed& events_;
  UnaryCalls calls_;
  StreamRegistry streams_;
  EvidenceStreams evidence_;
  int registered_ = 0;
};

}  // namespace claims::server
