#pragma once

// What every unary method of our services does around its logic: decode the request from the
// wire (request_decoding.h), queue it on the worker pool or refuse it at once when the queue is
// full, honour the caller's cancellation and deadline, authenticate, run, and count and log the
// call. The services register the handlers it makes as raw callback methods.

#include <grpcpp/impl/codegen/server_callback_handlers.h>

#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "claims/v1/claims_service.pb.h"
#include "server/api/caller.h"
#include "server/api/proto_mapping.h"
#include "server/api/request_decoding.h"
#include "server/api/status_mapping.h"
#include "server/runtime/logging.h"
#include "server/runtime/metrics.h"
#include "server/runtime/worker_pool.h"
#include "spdlog/spdlog.h"

namespace claims::server {

// A call's metadata as the authenticator reads it.
Metadata CallMetadata(const grpc::CallbackServerContext& context);

// How long an overloaded server asks callers to wait before they try again.
inline constexpr absl::Duration kOverloadRetryDelay = absl::Milliseconds(500);

// RESOURCE_EXHAUSTED at once when every worker is busy and the queue is full, with a hint of
// when to try again (google.rpc.RetryInfo, and grpc-retry-pushback-ms for gRPC's own retries).
absl::Status Overloaded(int queued);

namespace unary_calls_internal {

// "CreateClaimRequest" -> "CreateClaim": the method a request type belongs to.
template <typename Request>
const std::string& MethodOf() {
  static const std::string* name = [] {
    std::string request = Request::descriptor()->name();
    return new std::string(request.substr(0, request.size() - std::string_view("Request").size()));
  }();
  return *name;
}

// The claim a call is about, for the access log.
inline std::string_view ClaimOf(const pb::CreateClaimRequest&, const pb::Claim& created) {
  return created.name();
}
inline std::string_view ClaimOf(const pb::UpdateClaimRequest& request, const pb::Claim&) {
  return request.claim().name();
}
inline std::string_view ClaimOf(const pb::ListClaimsRequest&, const pb::ListClaimsResponse&) {
  return {};
}
template <typename Request, typename Response>
std::string_view ClaimOf(const Request& request, const Response&) {
  if constexpr (requires { request.name(); }) {
    return request.name();
  } else if constexpr (requires { request.parent(); }) {
    return request.parent();
  } else {
    return {};
  }
}

template <typename Request>
std::string_view RequestIdOf(const Request& request) {
  if constexpr (requires { request.request_id(); }) {
    return request.request_id();
  } else {
    return {};
  }
}

}  // namespace unary_calls_internal

// Thread-safe; outlives every call it serves.
class UnaryCalls {
 public:
  using Authenticator = std::function<absl::StatusOr<Caller>(const Metadata&)>;
  template <typename Request, typename Response>
  using Method = std::function<absl::StatusOr<Response>(const Caller&, const Request&)>;

  UnaryCalls(Authenticator authenticate, WorkerPool& workers, ServerMetrics& metrics,
             const AccessLog& access_log)
      : authenticate_(std::move(authenticate)),
        workers_(workers),
        metrics_(metrics),
        access_log_(access_log) {}

  // The handler for one unary method, for grpc::Service::MarkMethodRawCallback (which takes
  // ownership).
  template <typename Request, typename Response>
  grpc::internal::MethodHandler* Handler(Method<Request, Response> method) {
    return new grpc::internal::CallbackUnaryHandler<grpc::ByteBuffer, Response>(
        [this, method = std::move(method)](grpc::CallbackServerContext* context,
                                           const grpc::ByteBuffer* wire, Response* response) {
          return Serve<Request, Response>(context, wire, response, method);
        });
  }

  const Authenticator& authenticate() const { return authenticate_; }

 private:
  template <typename Request, typename Response>
  grpc::ServerUnaryReactor* Serve(grpc::CallbackServerContext* context,
                                  const grpc::ByteBuffer* wire, Response* response,
                                  Method<Request, Response> method);

  const Authenticator authenticate_;
  WorkerPool& workers_;
  ServerMetrics& metrics_;
  const AccessLog& access_log_;
};

template <typename Request, typename Response>
grpc::ServerUnaryReactor* UnaryCalls::Serve(grpc::CallbackServerContext* context,
                                            const grpc::ByteBuffer* wire, Response* response,
                                            Method<Request, Response> method) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const absl::Time received = absl::Now();
  // Answers the call; the access log and metrics see every call, whatever became of it.
  auto finish = [this, context, reactor, received, response](
                    const absl::Status& status, const Request* request, const Caller* caller) {
    if (!status.ok() && (status.code() == absl::StatusCode::kInternal ||
                         status.code() == absl::StatusCode::kUnavailable)) {
      spdlog::warn("{}: {}", unary_calls_internal::MethodOf<Request>(), status.ToString());
    }
    const absl::Duration latency = absl::Now() - received;
    metrics_.RecordCall(unary_calls_internal::MethodOf<Request>(), status.code(), latency);
    if (access_log_.enabled()) {
      AccessEntry entry{.method = unary_calls_internal::MethodOf<Request>(),
                        .code = status.code(),
                        .latency = latency};
      if (caller != nullptr) {
        entry.actor = caller->actor.id;
        entry.partner = caller->actor.partner_id;
      }
      if (request != nullptr) {
        entry.claim = unary_calls_internal::ClaimOf(*request, *response);
        entry.request_id = unary_calls_internal::RequestIdOf(*request);
      }
      access_log_.Record(entry);
    }
    if (status.code() == absl::StatusCode::kResourceExhausted &&
        status.GetPayload("type.googleapis.com/google.rpc.RetryInfo").has_value()) {
      context->AddTrailingMetadata("grpc-retry-pushback-ms",
                                   std::to_string(absl::ToInt64Milliseconds(kOverloadRetryDelay)));
    }
    reactor->Finish(ToGrpcStatus(status));
  };

  auto request = std::make_unique<Request>();
  if (absl::Status decoded = DecodeRequest(*wire, request.get()); !decoded.ok()) {
    finish(decoded, nullptr, nullptr);
    return reactor;
  }
  const Request* parsed = request.get();
  WorkerPool::Task task = [this, context, response, method = std::move(method), finish,
                           request = std::move(request)]() mutable {
    absl::Status status;
    absl::StatusOr<Caller> caller;
    if (context->IsCancelled()) {
      status = absl::CancelledError("the caller cancelled the request");
    } else if (context->deadline() <= std::chrono::system_clock::now()) {
      // Queued past the caller's deadline: doing the work now would change a claim nobody
      // waits for an answer about.
      status = absl::DeadlineExceededError("deadline passed before the request was served");
    } else {
      try {
        caller = authenticate_(CallMetadata(*context));
        if (!caller.ok()) {
          status = caller.status();
        } else {
          absl::StatusOr<Response> result = method(*caller, *request);
          if (result.ok()) {
            *response = *std::move(result);
          } else {
            status = result.status();
          }
        }
      } catch (const std::exception& e) {
        spdlog::error("{}: unexpected exception: {}", unary_calls_internal::MethodOf<Request>(),
                      e.what());
        status = absl::InternalError("internal error");
      }
    }
    finish(status, request.get(), caller.ok() ? &*caller : nullptr);
  };
  // Refused, the task (and the request it owns) is still ours.
  if (!workers_.TrySubmit(std::move(task))) {
    finish(Overloaded(workers_.max_queued()), parsed, nullptr);
  }
  return reactor;
}

}  // namespace claims::server
