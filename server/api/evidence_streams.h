#pragma once

#include <grpcpp/impl/codegen/server_callback_handlers.h>
#include <grpcpp/support/byte_buffer.h>

#include <memory>

#include "claims/v1/claims_service.grpc.pb.h"
#include "server/api/claims_logic.h"
#include "server/api/content_sniffing.h"
#include "server/runtime/logging.h"
#include "server/runtime/metrics.h"
#include "server/runtime/worker_pool.h"

namespace claims::server {

// The two streaming evidence methods of claims.v1.Claims: GetEvidenceContent (the document in
// chunks of at most 64 KiB after its metadata) and UploadEvidence (a header, then chunks of at
// most 1 MiB, staged as they arrive and published only when the stream ends cleanly with the
// declared size and sha256). Neither holds more than one stored chunk of a document in memory.
// Database work runs on the worker pool, one step of a call at a time, so a slow client never
// holds a gRPC thread. Requests are decoded from raw bytes (request_decoding.h). Thread-safe.
class EvidenceStreams {
 public:
  EvidenceStreams(ClaimsLogic& logic, WorkerPool& workers, ServerMetrics& metrics,
                  const AccessLog& access_log, std::unique_ptr<ContentSniffer> sniffer);

  // Handlers for ClaimsService to register (it owns them afterwards).
  grpc::internal::MethodHandler* DownloadHandler();
  grpc::internal::MethodHandler* UploadHandler();

  struct Env {
    ClaimsLogic& logic;
    WorkerPool& workers;
    ServerMetrics& metrics;
    const AccessLog& access_log;
    ContentSniffer& sniffer;
  };

 private:
  std::unique_ptr<ContentSniffer> sniffer_;
  Env env_;
};

}  // namespace claims::server
