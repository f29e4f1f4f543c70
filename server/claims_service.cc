#include "server/claims_service.h"

#include <chrono>
#include <exception>
#include <map>
#include <mutex>
#include <set>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "server/request_limits.h"
#include "server/status_mapping.h"
#include "spdlog/spdlog.h"

namespace claims::server {
namespace {

Metadata CallMetadata(const grpc::CallbackServerContext& context) {
  Metadata metadata;
  for (const auto& [key, value] : context.client_metadata()) {
    metadata.emplace(std::string(key.data(), key.size()), std::string(value.data(), value.size()));
  }
  return metadata;
}

// Writes the outbox to one caller: events after its cursor as the feed hands them over, then
// waits for more, until the caller cancels. Deletes itself when gRPC is done with it.
class EventStreamReactor final : public grpc::ServerWriteReactor<pb::Event> {
 public:
  EventStreamReactor(EventFeed& feed, Caller caller, const pb::StreamEventsRequest& request)
      : feed_(feed),
        caller_(std::move(caller)),
        types_(request.types().begin(), request.types().end()),
        cursor_(request.after_sequence()) {
    std::lock_guard lock(mu_);
    AwaitLocked();
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard lock(mu_);
    if (!ok) {
      FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "the stream was closed"));
      return;
    }
    ++next_;
    WriteNextLocked();
  }

  void OnCancel() override {
    // Closing first guarantees no delivery is running or will run once this returns.
    feed_.Close(this);
    std::lock_guard lock(mu_);
    FinishLocked(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    feed_.Close(this);
    feed_.Forget(this);
    delete this;
  }

 private:
  bool Visible(const workflow::Event& event) const {
    if (!types_.empty() && types_.count(event.type) == 0) return false;
    return caller_.SeesAllPartners() || event.partner_id == caller_.actor.partner_id;
  }

  void AwaitLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    feed_.Await(this, cursor_,
                [this](std::vector<workflow::Event> events) { Deliver(std::move(events)); });
  }

  void Deliver(std::vector<workflow::Event> events) {
    std::lock_guard lock(mu_);
    if (finished_) return;
    // The cursor moves past events the caller may not see too, so they are never re-read.
    cursor_ = events.back().sequence;
    pending_.clear();
    next_ = 0;
    for (const auto& event : events) {
      if (Visible(event)) ToProto(event, &pending_.emplace_back());
    }
    WriteNextLocked();
  }

  void WriteNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    if (next_ < pending_.size()) {
      StartWrite(&pending_[next_]);
      return;
    }
    AwaitLocked();
  }

  void FinishLocked(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    Finish(status);
  }

  EventFeed& feed_;
  const Caller caller_;
  const std::set<std::string> types_;
  std::mutex mu_;
  int64_t cursor_ ABSL_GUARDED_BY(mu_);
  // Elements stay put while a write of one is outstanding: Deliver runs only between writes.
  std::vector<pb::Event> pending_ ABSL_GUARDED_BY(mu_);
  std::size_t next_ ABSL_GUARDED_BY(mu_) = 0;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

// Answers a stream that cannot start with its error.
class RefusedStream final : public grpc::ServerWriteReactor<pb::Event> {
 public:
  explicit RefusedStream(const grpc::Status& status) { Finish(status); }
  void OnDone() override { delete this; }
};

}  // namespace

template <typename Request, typename Response>
grpc::ServerUnaryReactor* ClaimsService::Serve(
    grpc::CallbackServerContext* context, const Request* request, Response* response,
    absl::StatusOr<Response> (ClaimsLogic::*method)(const Caller&, const Request&)) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const absl::Time received = absl::Now();
  workers_.Submit([this, context, request, response, method, reactor, received] {
    absl::Status status;
    if (context->IsCancelled()) {
      status = absl::CancelledError("the caller cancelled the request");
    } else if (context->deadline() <= std::chrono::system_clock::now()) {
      // Queued past the caller's deadline: doing the work now would change a claim nobody
      // waits for an answer about.
      status = absl::DeadlineExceededError("deadline passed before the request was served");
    } else {
      try {
        absl::StatusOr<Caller> caller = logic_.Authenticate(CallMetadata(*context));
        if (!caller.ok()) {
          status = caller.status();
        } else {
          absl::StatusOr<Response> result = (logic_.*method)(*caller, *request);
          if (result.ok()) {
            *response = *std::move(result);
          } else {
            status = result.status();
          }
        }
      } catch (const std::exception& e) {
        spdlog::error("{}: unexpected exception: {}", Request::descriptor()->name(), e.what());
        status = absl::InternalError("internal error");
      }
    }
    if (!status.ok() && (status.code() == absl::StatusCode::kInternal ||
                         status.code() == absl::StatusCode::kUnavailable)) {
      spdlog::warn("{}: {}", Request::descriptor()->name(), status.ToString());
    }
    // "CreateClaimRequest" -> "CreateClaim": the method the request belongs to.
    std::string name = Request::descriptor()->name();
    name.resize(name.size() - std::string_view("Request").size());
    metrics_.RecordCall(name, status.code(), absl::Now() - received);
    reactor->Finish(ToGrpcStatus(status));
  });
  return reactor;
}

grpc::ServerUnaryReactor* ClaimsService::CreateClaim(grpc::CallbackServerContext* context,
                                                     const pb::CreateClaimRequest* request,
                                                     pb::Claim* response) {
  return Serve(context, request, response, &ClaimsLogic::CreateClaim);
}

grpc::ServerUnaryReactor* ClaimsService::GetClaim(grpc::CallbackServerContext* context,
                                                  const pb::GetClaimRequest* request,
                                                  pb::Claim* response) {
  return Serve(context, request, response, &ClaimsLogic::GetClaim);
}

grpc::ServerUnaryReactor* ClaimsService::ListClaims(grpc::CallbackServerContext* context,
                                                    const pb::ListClaimsRequest* request,
                                                    pb::ListClaimsResponse* response) {
  return Serve(context, request, response, &ClaimsLogic::ListClaims);
}

grpc::ServerUnaryReactor* ClaimsService::UpdateClaim(grpc::CallbackServerContext* context,
                                                     const pb::UpdateClaimRequest* request,
                                                     pb::Claim* response) {
  return Serve(context, request, response, &ClaimsLogic::UpdateClaim);
}

grpc::ServerUnaryReactor* ClaimsService::PerformAction(grpc::CallbackServerContext* context,
                                                       const pb::PerformActionRequest* request,
                                                       pb::Claim* response) {
  return Serve(context, request, response, &ClaimsLogic::PerformAction);
}

grpc::ServerUnaryReactor* ClaimsService::AddComment(grpc::CallbackServerContext* context,
                                                    const pb::AddCommentRequest* request,
                                                    pb::Comment* response) {
  return Serve(context, request, response, &ClaimsLogic::AddComment);
}

grpc::ServerUnaryReactor* ClaimsService::AddEvidence(grpc::CallbackServerContext* context,
                                                     const pb::AddEvidenceRequest* request,
                                                     pb::Evidence* response) {
  return Serve(context, request, response, &ClaimsLogic::AddEvidence);
}

grpc::ServerUnaryReactor* ClaimsService::GetClaimHistory(grpc::CallbackServerContext* context,
                                                         const pb::GetClaimHistoryRequest* request,
                                                         pb::ClaimHistory* response) {
  return Serve(context, request, response, &ClaimsLogic::GetClaimHistory);
}

}  // namespace claims::server

namespace claims::server {

grpc::ServerWriteReactor<pb::Event>* ClaimsService::StreamEvents(
    grpc::CallbackServerContext* context, const pb::StreamEventsRequest* request) {
  absl::StatusOr<Caller> caller = logic_.Authenticate(CallMetadata(*context));
  absl::Status status = caller.status();
  if (status.ok() && caller->perspective == workflow::Perspective::kCustomer) {
    status = WithErrorInfo(absl::PermissionDeniedError("customers cannot stream events"),
                           "STREAM_NOT_ALLOWED");
  }
  if (status.ok()) status = CheckRequestLimits(*request, 0);
  if (status.ok() && request->after_sequence() < 0) {
    status =
        InvalidArgument("after_sequence must not be negative", {{"after_sequence", "negative"}});
  }
  if (!status.ok()) return new RefusedStream(ToGrpcStatus(status));
  return new EventStreamReactor(events_, *std::move(caller), *request);
}

}  // namespace claims::server
