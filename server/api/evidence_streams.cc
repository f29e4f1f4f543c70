#include "server/api/evidence_streams.h"

#include <atomic>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/api/request_decoding.h"
#include "server/api/request_limits.h"
#include "server/api/status_mapping.h"
#include "server/api/unary_calls.h"
#include "server/sha256.h"

namespace claims::server {
namespace {

// The most content one download message carries.
constexpr std::size_t kDownloadMessageBytes = 64 * 1024;

void Record(const EvidenceStreams::Env& env, std::string_view method, const Caller* caller,
            std::string_view claim, const grpc::Status& status, absl::Time started) {
  const auto code = static_cast<absl::StatusCode>(status.error_code());
  const absl::Duration latency = absl::Now() - started;
  env.metrics.RecordCall(method, code, latency);
  env.access_log.Record(
      {.method = method,
       .code = code,
       .latency = latency,
       .actor = caller != nullptr ? std::string_view(caller->actor.id) : "",
       .partner = caller != nullptr ? std::string_view(caller->actor.partner_id) : "",
       .claim = claim});
}

grpc::Status Overloaded() {
  return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                      "server overloaded: too many calls waiting; retry with backoff");
}

// Writes one document: its metadata, then its stored chunks cut into messages. At most one
// write or one worker task is outstanding at any time, so the members need no lock; OnCancel
// only raises a flag that the next step reads. Deletes itself when gRPC is done with it.
class DownloadReactor final : public grpc::ServerWriteReactor<pb::EvidenceChunk> {
 public:
  DownloadReactor(const EvidenceStreams::Env& env, const grpc::CallbackServerContext& context,
                  const grpc::ByteBuffer& wire)
      : env_(env), metadata_(CallMetadata(context)) {
    absl::Status decoded = DecodeRequest(wire, &request_);
    if (!decoded.ok()) {
      FinishOnce(ToGrpcStatus(decoded));
      return;
    }
    Submit([this] { Open(); });
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      FinishOnce(grpc::Status(grpc::StatusCode::CANCELLED, "the stream was closed"));
      return;
    }
    WriteNext();
  }

  void OnCancel() override { cancelled_ = true; }
  void OnDone() override { delete this; }

 private:
  void Submit(absl::AnyInvocable<void() &&> step) {
    if (!env_.workers.TrySubmit(std::move(step))) FinishOnce(Overloaded());
  }

  void Open() {
    absl::StatusOr<Caller> caller = env_.logic.Authenticate(metadata_);
    if (!caller.ok()) {
      FinishOnce(ToGrpcStatus(caller.status()));
      return;
    }
    caller_ = *std::move(caller);
    absl::StatusOr<ClaimsLogic::EvidenceDownload> download =
        env_.logic.OpenEvidence(*caller_, request_);
    if (!download.ok()) {
      FinishOnce(ToGrpcStatus(download.status()));
      return;
    }
    download_ = *std::move(download);
    *message_.mutable_metadata() = download_->metadata;
    StartWrite(&message_);
  }

  // The next message from the chunk in hand, or the next chunk from the database.
  void WriteNext() {
    if (offset_ < chunk_.size()) {
      const std::size_t size = std::min(kDownloadMessageBytes, chunk_.size() - offset_);
      message_.set_data(chunk_.data() + offset_, size);
      offset_ += size;
      sent_ += static_cast<int64_t>(size);
      StartWrite(&message_);
      return;
    }
    Submit([this] { ReadChunk(); });
  }

  void ReadChunk() {
    if (cancelled_) {
      FinishOnce(grpc::Status::CANCELLED);
      return;
    }
    absl::StatusOr<std::optional<std::string>> chunk =
        env_.logic.ReadEvidenceChunk(*download_, next_index_);
    if (!chunk.ok()) {
      FinishOnce(ToGrpcStatus(chunk.status()));
      return;
    }
    if (!chunk->has_value()) {
      // Stored content is immutable; a short read means the rows are damaged.
      FinishOnce(sent_ == download_->metadata.size_bytes()
                     ? grpc::Status::OK
                     : grpc::Status(grpc::StatusCode::DATA_LOSS,
                                    "the stored content is shorter than its size"));
      return;
    }
    ++next_index_;
    chunk_ = **std::move(chunk);
    offset_ = 0;
    WriteNext();
  }

  void FinishOnce(const grpc::Status& status) {
    if (finished_.exchange(true)) return;
    Record(env_, "GetEvidenceContent", caller_.has_value() ? &*caller_ : nullptr, request_.name(),
           status, started_);
    Finish(status);
  }

  const EvidenceStreams::Env& env_;
  const absl::Time started_ = absl::Now();
  const Metadata metadata_;
  pb::GetEvidenceContentRequest request_;
  std::optional<Caller> caller_;
  std::optional<ClaimsLogic::EvidenceDownload> download_;
  pb::EvidenceChunk message_;  // the message being written
  std::string chunk_;          // the stored chunk being cut into messages
  std::size_t offset_ = 0;
  int64_t next_index_ = 0;
  int64_t sent_ = 0;
  std::atomic<bool> cancelled_{false};
  std::atomic<bool> finished_{false};
};

// Reads one upload: the header, then content staged chunk by chunk; publishes it when the
// client ends the stream with exactly the declared size and sha256, and discards what was
// staged on every other outcome. One read or one worker task is outstanding at a time.
class UploadReactor final : public grpc::ServerReadReactor<grpc::ByteBuffer> {
 public:
  UploadReactor(const EvidenceStreams::Env& env, const grpc::CallbackServerContext& context,
                pb::Evidence* response)
      : env_(env), metadata_(CallMetadata(context)), response_(response) {
    StartRead(&wire_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Submit([this] { Complete(); });
      return;
    }
    Submit([this] { Handle(); });
  }

  void OnCancel() override { cancelled_ = true; }
  void OnDone() override { delete this; }

 private:
  void Submit(absl::AnyInvocable<void() &&> step) {
    if (!env_.workers.TrySubmit(std::move(step)))
      Fail(absl::ResourceExhaustedError(
          "server overloaded: too many calls waiting; retry with backoff"));
  }

  void Handle() {
    if (cancelled_) {
      Fail(absl::CancelledError("the client broke the stream"));
      return;
    }
    pb::UploadEvidenceRequest request;
    if (absl::Status decoded = DecodeRequest(wire_, &request); !decoded.ok()) {
      Fail(decoded);
      return;
    }
    wire_.Clear();
    // Chunks over 1 MiB are refused, as every field over its documented limit is.
    if (absl::Status limits = CheckRequestLimits(request, 0); !limits.ok()) {
      Fail(limits);
      return;
    }
    if (!upload_.has_value()) {
      if (!request.has_header()) {
        Fail(InvalidArgument("the first message of an upload must be its header",
                             {{"header", "required first"}}));
        return;
      }
      absl::StatusOr<Caller> caller = env_.logic.Authenticate(metadata_);
      if (!caller.ok()) {
        Fail(caller.status());
        return;
      }
      caller_ = *std::move(caller);
      absl::StatusOr<ClaimsLogic::EvidenceUpload> upload =
          env_.logic.BeginUpload(*caller_, request.header());
      if (!upload.ok()) {
        Fail(upload.status());
        return;
      }
      upload_ = *std::move(upload);
      StartRead(&wire_);
      return;
    }
    if (!request.has_data()) {
      Fail(InvalidArgument("only the first message of an upload is a header",
                           {{"header", "sent again"}}));
      return;
    }
    const std::string& data = request.data();
    if (data.empty()) {
      StartRead(&wire_);
      return;
    }
    const int64_t declared = upload_->header.size_bytes();
    if (received_ + static_cast<int64_t>(data.size()) > declared) {
      Fail(InvalidArgument(absl::StrCat("more content than the declared ", declared, " bytes"),
                           {{"header.size_bytes", "smaller than the content"}}, "SIZE_MISMATCH"));
      return;
    }
    if (next_index_ == 0) {
      const std::string sniffed = env_.sniffer.MediaType(data);
      if (!ContentMatchesDeclaredType(upload_->header.content_type(), sniffed)) {
        Fail(InvalidArgument(absl::StrCat("the content is ", sniffed, ", not the declared ",
                                          upload_->header.content_type()),
                             {{"header.content_type", "does not match the content"}},
                             "CONTENT_TYPE_MISMATCH"));
        return;
      }
    }
    sha256_.Update(data);
    if (absl::Status staged = env_.logic.AppendUpload(*upload_, next_index_, data); !staged.ok()) {
      Fail(staged);
      return;
    }
    ++next_index_;
    received_ += static_cast<int64_t>(data.size());
    StartRead(&wire_);
  }

  // The stream ended: cleanly (the client is done writing) or broken (cancelled).
  void Complete() {
    if (cancelled_) {
      Fail(absl::CancelledError("the client broke the stream"));
      return;
    }
    if (!upload_.has_value()) {
      Fail(InvalidArgument("the upload ended before its header", {{"header", "required"}}));
      return;
    }
    if (received_ != upload_->header.size_bytes()) {
      Fail(InvalidArgument(absl::StrCat("the upload ended after ", received_, " of the declared ",
                                        upload_->header.size_bytes(), " bytes"),
                           {{"header.size_bytes", "larger than the content"}}, "SIZE_MISMATCH"));
      return;
    }
    if (const std::string actual = sha256_.FinalHex(); actual != upload_->header.sha256()) {
      Fail(InvalidArgument(absl::StrCat("the content's sha256 is ", actual),
                           {{"header.sha256", "does not match the content"}}, "SHA256_MISMATCH"));
      return;
    }
    absl::StatusOr<pb::Evidence> stored = env_.logic.CompleteUpload(*caller_, *upload_);
    // A refused decision, or a retry answered from an earlier upload, leaves this one staged.
    env_.logic.DiscardUpload(*upload_);
    if (!stored.ok()) {
      FinishOnce(ToGrpcStatus(stored.status()));
      return;
    }
    *response_ = *std::move(stored);
    FinishOnce(grpc::Status::OK);
  }

  void Fail(const absl::Status& status) {
    if (upload_.has_value()) env_.logic.DiscardUpload(*upload_);
    FinishOnce(ToGrpcStatus(status));
  }

  void FinishOnce(const grpc::Status& status) {
    if (finished_.exchange(true)) return;
    Record(env_, "UploadEvidence", caller_.has_value() ? &*caller_ : nullptr,
           upload_.has_value() ? std::string_view(upload_->header.parent()) : "", status, started_);
    Finish(status);
  }

  const EvidenceStreams::Env& env_;
  const absl::Time started_ = absl::Now();
  const Metadata metadata_;
  pb::Evidence* const response_;
  grpc::ByteBuffer wire_;
  std::optional<Caller> caller_;
  std::optional<ClaimsLogic::EvidenceUpload> upload_;
  Sha256Stream sha256_;
  int64_t next_index_ = 0;
  int64_t received_ = 0;
  std::atomic<bool> cancelled_{false};
  std::atomic<bool> finished_{false};
};

}  // namespace

EvidenceStreams::EvidenceStreams(ClaimsLogic& logic, WorkerPool& workers, ServerMetrics& metrics,
                                 const AccessLog& access_log,
                                 std::unique_ptr<ContentSniffer> sniffer)
    : sniffer_(std::move(sniffer)), env_{logic, workers, metrics, access_log, *sniffer_} {}

grpc::internal::MethodHandler* EvidenceStreams::DownloadHandler() {
  return new grpc::internal::CallbackServerStreamingHandler<grpc::ByteBuffer, pb::EvidenceChunk>(
      [this](grpc::CallbackServerContext* context, const grpc::ByteBuffer* wire) {
        return new DownloadReactor(env_, *context, *wire);
      });
}

grpc::internal::MethodHandler* EvidenceStreams::UploadHandler() {
  return new grpc::internal::CallbackClientStreamingHandler<grpc::ByteBuffer, pb::Evidence>(
      [this](grpc::CallbackServerContext* context, pb::Evidence* response) {
        return new UploadReactor(env_, *context, response);
      });
}

}  // namespace claims::server
