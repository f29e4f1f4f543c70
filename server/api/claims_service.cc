#include "server/api/claims_service.h"

#include <grpcpp/impl/codegen/server_callback_handlers.h>

#include <chrono>
#include <exception>
#include <map>
#include <mutex>
#include <set>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/duration.pb.h"
#include "google/rpc/error_details.pb.h"
#include "server/api/request_decoding.h"
#include "server/api/request_limits.h"
#include "server/api/status_mapping.h"
#include "server/api/unary_calls.h"
#include "spdlog/spdlog.h"

namespace claims::server {
namespace {

// Writes the outbox to one caller: events after its position as the feed hands them over,
// each with the cursor to resume after it, then waits for more, until the caller cancels or
// the server shuts down. Deletes itself when gRPC is done with it.
class EventStreamReactor final : public grpc::ServerWriteReactor<pb::Event>,
                                 public StreamRegistry::Stream {
 public:
  EventStreamReactor(EventFeed& feed, StreamRegistry& registry, Caller caller,
                     const pb::StreamEventsRequest& request, StreamPosition position)
      : feed_(feed),
        registry_(registry),
        caller_(std::move(caller)),
        types_(request.types().begin(), request.types().end()),
        position_(position) {
    std::lock_guard lock(mu_);
    if (!registry_.Add(this)) {
      FinishLocked(StreamRegistry::ShuttingDown());
      return;
    }
    AwaitLocked();
  }

  void End(const grpc::Status& status) override {
    // As in OnCancel: no delivery runs once the feed has let go of this stream.
    feed_.Close(this);
    std::lock_guard lock(mu_);
    FinishLocked(status);
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard lock(mu_);
    if (!ok) {
      FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "the stream was closed"));
      return;
    }
    ++next_;
    registry_.Streamed(1);
    WriteNextLocked();
  }

  void OnCancel() override {
    // Closing first guarantees no delivery is running or will run once this returns.
    feed_.Close(this);
    std::lock_guard lock(mu_);
    FinishLocked(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    registry_.Remove(this);
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
    feed_.Await(this, position_, [this](absl::StatusOr<std::vector<storage::OutboxEvent>> events) {
      Deliver(std::move(events));
    });
  }

  void Deliver(absl::StatusOr<std::vector<storage::OutboxEvent>> events) {
    std::lock_guard lock(mu_);
    if (finished_) return;
    if (!events.ok()) {
      FinishLocked(ToGrpcStatus(WithErrorInfo(events.status(), "CURSOR_EXPIRED")));
      return;
    }
    // The position moves past events the caller may not see too, so they are never re-read.
    position_.after_sequence = events->back().event.sequence;
    pending_.clear();
    next_ = 0;
    for (const storage::OutboxEvent& event : *events) {
      if (!Visible(event.event)) continue;
      pb::Event& out = pending_.emplace_back();
      ToProto(event.event, &out);
      out.set_partition(event.partition);
      out.set_cursor(EncodeCursor({position_.partition, event.event.sequence}));
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
    registry_.Finished(caller_, status, absl::Now() - started_);
    Finish(status);
  }

  EventFeed& feed_;
  StreamRegistry& registry_;
  const absl::Time started_ = absl::Now();
  const Caller caller_;
  const std::set<std::string> types_;
  std::mutex mu_;
  StreamPosition position_ ABSL_GUARDED_BY(mu_);
  // Elements stay put while a write of one is outstanding: Deliver runs only between writes.
  std::vector<pb::Event> pending_ ABSL_GUARDED_BY(mu_);
  std::size_t next_ ABSL_GUARDED_BY(mu_) = 0;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

// Answers a stream that cannot start with its error.
template <typename Message>
class RefusedWriter final : public grpc::ServerWriteReactor<Message> {
 public:
  explicit RefusedWriter(const grpc::Status& status) { this->Finish(status); }
  void OnDone() override { delete this; }
};
using RefusedStream = RefusedWriter<pb::Event>;
}  // namespace

bool StreamRegistry::Add(Stream* stream) {
  std::lock_guard lock(mu_);
  if (closed_) return false;
  open_.insert(stream);
  metrics_.SetEventStreamsOpen(static_cast<int>(open_.size()));
  return true;
}

void StreamRegistry::Remove(Stream* stream) {
  std::lock_guard lock(mu_);
  if (open_.erase(stream) > 0) metrics_.SetEventStreamsOpen(static_cast<int>(open_.size()));
}

void StreamRegistry::EndAll(const grpc::Status& status) {
  // Under the lock, so no stream is deleted (OnDone removes it first) while being ended; End
  // does not block and takes only its own stream's lock.
  std::lock_guard lock(mu_);
  closed_ = true;
  for (Stream* stream : open_) stream->End(status);
}

void StreamRegistry::Finished(const Caller& caller, const grpc::Status& status,
                              absl::Duration duration) const {
  const auto code = static_cast<absl::StatusCode>(status.error_code());
  metrics_.RecordCall("StreamEvents", code, duration);
  access_log_.Record({.method = "StreamEvents",
                      .code = code,
                      .latency = duration,
                      .actor = caller.actor.id,
                      .partner = caller.actor.partner_id});
}

grpc::Status StreamRegistry::ShuttingDown() {
  return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                      "server shutting down: reconnect and resume from the last sequence seen");
}

namespace {

int MethodIndex(std::string_view method) {
  const google::protobuf::MethodDescriptor* descriptor =
      pb::CreateClaimRequest::descriptor()->file()->service(0)->FindMethodByName(
          std::string(method));
  if (descriptor == nullptr) {
    spdlog::critical("claims.v1.Claims has no method {}", method);
    std::abort();
  }
  // The generated service lists its methods in the order of the .proto, as the descriptor.
  return descriptor->index();
}

}  // namespace

ClaimsService::ClaimsService(ClaimsLogic& logic, WorkerPool& workers, EventFeed& events,
                             ServerMetrics& metrics, const AccessLog& access_log,
                             std::unique_ptr<ContentSniffer> sniffer)
    : logic_(logic),
      events_(events),
      calls_([&logic](const Metadata& metadata) { return logic.Authenticate(metadata); }, workers,
             metrics, access_log),
      streams_(metrics, access_log),
      evidence_(logic, workers, metrics, access_log, std::move(sniffer)) {
  AddUnary("CreateClaim", &ClaimsLogic::CreateClaim);
  AddUnary("GetClaim", &ClaimsLogic::GetClaim);
  AddUnary("ListClaims", &ClaimsLogic::ListClaims);
  AddUnary("UpdateClaim", &ClaimsLogic::UpdateClaim);
  AddUnary("PerformAction", &ClaimsLogic::PerformAction);
  AddUnary("AddComment", &ClaimsLogic::AddComment);
  AddUnary("AddEvidence", &ClaimsLogic::AddEvidence);
  AddUnary("GetClaimHistory", &ClaimsLogic::GetClaimHistory);
  AddStream("StreamEvents");
  MarkMethodRawCallback(MethodIndex("GetEvidenceContent"), evidence_.DownloadHandler());
  MarkMethodRawCallback(MethodIndex("UploadEvidence"), evidence_.UploadHandler());
  registered_ += 2;
  // A method added to the proto but not here would be served by the synchronous base class.
  const int methods = pb::CreateClaimRequest::descriptor()->file()->service(0)->method_count();
  if (registered_ != methods) {
    spdlog::critical("ClaimsService registers {} of the {} methods of claims.v1.Claims",
                     registered_, methods);
    std::abort();
  }
}

template <typename Request, typename Response>
void ClaimsService::AddUnary(std::string_view method, LogicMethod<Request, Response> logic) {
  MarkMethodRawCallback(MethodIndex(method),
                        calls_.Handler<Request, Response>(
                            [this, logic](const Caller& caller, const Request& request) {
                              return (logic_.*logic)(caller, request);
                            }));
  ++registered_;
}

void ClaimsService::AddStream(std::string_view method) {
  MarkMethodRawCallback(
      MethodIndex(method),
      new grpc::internal::CallbackServerStreamingHandler<grpc::ByteBuffer, pb::Event>(
          [this](grpc::CallbackServerContext* context,
                 const grpc::ByteBuffer* wire) -> grpc::ServerWriteReactor<pb::Event>* {
            pb::StreamEventsRequest request;
            if (absl::Status decoded = DecodeRequest(*wire, &request); !decoded.ok()) {
              const grpc::Status status = ToGrpcStatus(decoded);
              streams_.Finished(Caller(), status, absl::ZeroDuration());
              return new RefusedStream(status);
            }
            return StreamEvents(context, &request);
          }));
  ++registered_;
}

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
  // Where to start: the cursor's position, or after_sequence over the requested partitions.
  StreamPosition position{std::nullopt, request->after_sequence()};
  if (status.ok() && !request->cursor().empty()) {
    absl::StatusOr<StreamPosition> decoded = DecodeCursor(request->cursor());
    if (!decoded.ok()) {
      status = InvalidArgument(std::string(decoded.status().message()), {{"cursor", "malformed"}});
    } else if (request->after_sequence() != 0) {
      status = InvalidArgument("give either a cursor or after_sequence, not both",
                               {{"after_sequence", "set together with cursor"}});
    } else if (request->has_partition() && decoded->partition != request->partition()) {
      status = InvalidArgument("the cursor belongs to a stream of another partition",
                               {{"partition", "not the cursor's partition"}});
    } else {
      position = *decoded;
    }
  } else if (request->has_partition()) {
    position.partition = request->partition();
  }
  if (status.ok() && position.partition.has_value() &&
      (*position.partition < 0 || *position.partition >= events_.partitions())) {
    status = InvalidArgument(
        "partition must be between 0 and " + std::to_string(events_.partitions() - 1),
        {{request->cursor().empty() ? "partition" : "cursor", "out of range"}});
  }
  if (!status.ok()) {
    const grpc::Status refused = ToGrpcStatus(status);
    streams_.Finished(caller.ok() ? *caller : Caller(), refused, absl::ZeroDuration());
    return new RefusedStream(refused);
  }
  return new EventStreamReactor(events_, streams_, *std::move(caller), *request, position);
}

}  // namespace claims::server
