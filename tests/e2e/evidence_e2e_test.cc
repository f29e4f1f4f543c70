// Evidence content end to end on SQLite and MariaDB: streamed downloads under the claim's
// visibility, streamed uploads of large documents in bounded memory, and every way an upload
// can fail leaving nothing stored.

#include <openssl/evp.h>
#include <soci/soci.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <string>
#include <thread>

#include "storage/internal/url.h"
#include "tests/e2e/e2e_fixture.h"

// The backends' factories, declared here: soci-mysql.h needs the MySQL client's headers,
// which only the storage library is built with.
namespace soci {
extern "C" {
backend_factory const* factory_sqlite3();
backend_factory const* factory_mysql();
}
}  // namespace soci

namespace claims::testing {
namespace {

constexpr int64_t kMiB = 1024 * 1024;

// Deterministic content of any size, made piece by piece so no test holds a whole document:
// a PDF header, then bytes of every value.
class Document {
 public:
  Document(int64_t size, std::string head = "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
      : size_(size), head_(std::move(head)) {}

  int64_t size() const { return size_; }
  // Bytes [offset, offset + length).
  std::string Piece(int64_t offset, int64_t length) const {
    std::string out(static_cast<std::size_t>(length), '\0');
    for (int64_t i = 0; i < length; ++i) {
      const int64_t at = offset + i;
      out[static_cast<std::size_t>(i)] = at < static_cast<int64_t>(head_.size())
                                             ? head_[static_cast<std::size_t>(at)]
                                             : static_cast<char>((at * 2654435761) >> 13 & 0xff);
    }
    return out;
  }
  std::string Sha256() const {
    Hasher hasher;
    for (int64_t at = 0; at < size_; at += kMiB)
      hasher.Update(Piece(at, std::min(kMiB, size_ - at)));
    return hasher.Hex();
  }

  class Hasher {
   public:
    Hasher() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr); }
    ~Hasher() { EVP_MD_CTX_free(ctx_); }
    void Update(std::string_view data) { EVP_DigestUpdate(ctx_, data.data(), data.size()); }
    std::string Hex() {
      unsigned char digest[EVP_MAX_MD_SIZE];
      unsigned int n = 0;
      EVP_DigestFinal_ex(ctx_, digest, &n);
      std::string hex;
      for (unsigned int i = 0; i < n; ++i) {
        static constexpr char kHex[] = "0123456789abcdef";
        hex.push_back(kHex[digest[i] >> 4]);
        hex.push_back(kHex[digest[i] & 0xf]);
      }
      return hex;
    }

   private:
    EVP_MD_CTX* ctx_;
  };

 private:
  int64_t size_;
  std::string head_;
};

::testing::AssertionResult GrpcOk(const grpc::Status& status) {
  if (status.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "status " << status.error_code() << " " << status.error_message();
}

void Authorize(grpc::ClientContext& context, const Identity& who) {
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  context.AddMetadata("x-claims-actor", who.actor);
  context.AddMetadata("x-claims-roles", who.roles);
  if (!who.partner.empty()) context.AddMetadata("x-claims-partner", who.partner);
}

// A kB figure from /proc/self/status ("VmHWM", "VmRSS").
int64_t ProcStatusKb(const std::string& key) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(key + ":", 0) == 0) return std::stoll(line.substr(key.size() + 1));
  }
  ADD_FAILURE() << key << " not in /proc/self/status";
  return 0;
}

struct Downloaded {
  grpc::Status status;
  v1::Evidence metadata;
  int64_t bytes = 0;
  int messages = 0;
  std::string sha256;
  std::string head;  // the first bytes, for small documents
};

class EvidenceE2eTest : public E2eFixture {
 protected:
  void Configure(config::ServerConfig& config) override { database_url_ = config.database.url; }

  void SetUp() override {
    E2eFixture::SetUp();
    // Downloads land in this process too: the client's window is bounded as the server's is,
    // so the measurement sees what a document costs, not how far BDP probing grew a window.
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
    args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 1024 * 1024);
    stub_ = v1::Claims::NewStub(grpc::CreateCustomChannel(
        "127.0.0.1:" + std::to_string(server_->port()), grpc::InsecureChannelCredentials(), args));
  }

  struct UploadOptions {
    std::string content_type = "application/pdf";
    std::string sha256;          // default: the document's
    int64_t declared_size = -1;  // default: the document's
    int64_t chunk = kMiB;
    int64_t break_after = -1;  // cancel after sending this many bytes
    std::string request_id;
  };

  grpc::Status Upload(const Identity& who, const std::string& claim, const Document& document,
                      const UploadOptions& options, v1::Evidence* evidence) {
    grpc::ClientContext context;
    Authorize(context, who);
    auto writer = stub_->UploadEvidence(&context, evidence);
    v1::UploadEvidenceRequest header;
    header.mutable_header()->set_parent(claim);
    header.mutable_header()->set_file_name("poe.pdf");
    header.mutable_header()->set_content_type(options.content_type);
    header.mutable_header()->set_size_bytes(options.declared_size >= 0 ? options.declared_size
                                                                       : document.size());
    header.mutable_header()->set_sha256(options.sha256.empty() ? document.Sha256()
                                                               : options.sha256);
    header.mutable_header()->set_request_id(options.request_id);
    if (writer->Write(header)) {
      for (int64_t at = 0; at < document.size(); at += options.chunk) {
        if (options.break_after >= 0 && at >= options.break_after) {
          context.TryCancel();
          break;
        }
        v1::UploadEvidenceRequest data;
        data.set_data(document.Piece(at, std::min(options.chunk, document.size() - at)));
        if (!writer->Write(data)) break;
      }
    }
    writer->WritesDone();
    return writer->Finish();
  }

  Downloaded Download(const Identity& who, const std::string& name) {
    grpc::ClientContext context;
    Authorize(context, who);
    v1::GetEvidenceContentRequest request;
    request.set_name(name);
    auto reader = stub_->GetEvidenceContent(&context, request);
    Downloaded out;
    Document::Hasher hasher;
    v1::EvidenceChunk chunk;
    while (reader->Read(&chunk)) {
      ++out.messages;
      if (chunk.has_metadata()) {
        EXPECT_EQ(out.messages, 1) << "metadata comes first, once";
        out.metadata = chunk.metadata();
        continue;
      }
      EXPECT_LE(chunk.data().size(), 64u * 1024);
      if (out.head.size() < 4096) out.head += chunk.data().substr(0, 4096 - out.head.size());
      hasher.Update(chunk.data());
      out.bytes += static_cast<int64_t>(chunk.data().size());
    }
    out.status = reader->Finish();
    out.sha256 = hasher.Hex();
    return out;
  }

  // Rows in the evidence content tables, read behind the server's back.
  int64_t StoredRows(const std::string& table) {
    absl::StatusOr<storage::internal::ConnectionTarget> target =
        storage::internal::ParseStorageUrl(database_url_, true);
    EXPECT_TRUE(target.ok()) << target.status();
    if (!target.ok()) return -1;
    const soci::backend_factory& factory = target->backend == storage::internal::Backend::kSqlite
                                               ? *soci::factory_sqlite3()
                                               : *soci::factory_mysql();
    soci::session session(factory, target->soci_connect_string);
    int64_t rows = 0;
    session << "SELECT COUNT(*) FROM " + table, soci::into(rows);
    return rows;
  }

  // Waits (bounded) for the server to finish with a call the client gave up on.
  bool StagingEmpties() {
    for (int i = 0; i < 500; ++i) {
      if (StoredRows("evidence_uploads") == 0 && StoredRows("evidence_chunks") == chunks_before_)
        return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  int EvidenceCount(const std::string& claim) {
    v1::ClaimHistory history;
    EXPECT_TRUE(client_->History(Reviewer(), claim, &history).ok());
    return history.evidence_size();
  }

  std::string database_url_;
  int64_t chunks_before_ = 0;
  std::unique_ptr<v1::Claims::Stub> stub_;
};

TEST_P(EvidenceE2eTest, DownloadIsForWhoeverSeesTheClaimAndAlikeForEveryoneElse) {
  const v1::Claim claim = ClaimIn("editing");
  const Document document(3 * kMiB + 17);
  v1::Evidence uploaded;
  ASSERT_TRUE(GrpcOk(Upload(Partner("contoso"), claim.name(), document, {}, &uploaded)));
  EXPECT_EQ(uploaded.size_bytes(), document.size());
  EXPECT_EQ(uploaded.sha256(), document.Sha256());

  for (const Identity& who : {Partner("contoso"), Reviewer()}) {
    Downloaded got = Download(who, uploaded.name());
    ASSERT_TRUE(GrpcOk(got.status)) << who.roles;
    EXPECT_EQ(got.metadata.name(), uploaded.name());
    EXPECT_EQ(got.metadata.file_name(), "poe.pdf");
    EXPECT_EQ(got.metadata.content_type(), "application/pdf");
    EXPECT_EQ(got.metadata.size_bytes(), document.size());
    EXPECT_EQ(got.metadata.sha256(), document.Sha256());
    EXPECT_EQ(got.bytes, document.size());
    EXPECT_EQ(got.sha256, document.Sha256());
    EXPECT_EQ(got.head, document.Piece(0, 4096));
  }

  // Another partner's view of real evidence, and anyone's of an id that does not exist.
  Downloaded theirs = Download(Partner("northwind"), uploaded.name());
  const std::string unknown_name =
      uploaded.name().substr(0, uploaded.name().rfind('/') + 1) + "01JAAAAAAAAAAAAAAAAAAAAAAA";
  Downloaded unknown = Download(Partner("northwind"), unknown_name);
  EXPECT_THAT(theirs.status, HasCode(grpc::StatusCode::NOT_FOUND));
  EXPECT_THAT(unknown.status, HasCode(grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(theirs.messages, 0);
  // Identical but for the name asked about, which the caller already knows.
  auto without_name = [](std::string text, const std::string& name) {
    for (std::size_t at; (at = text.find(name)) != std::string::npos;) text.erase(at, name.size());
    return text;
  };
  EXPECT_EQ(without_name(theirs.status.error_message(), uploaded.name()),
            without_name(unknown.status.error_message(), unknown_name));
  EXPECT_EQ(without_name(theirs.status.error_details(), uploaded.name()),
            without_name(unknown.status.error_details(), unknown_name));
  EXPECT_EQ(Details(theirs.status).info.reason(), "EVIDENCE_NOT_FOUND");

  // Unary AddEvidence content is stored and read the same way.
  v1::Evidence small;
  ASSERT_TRUE(GrpcOk(
      client_->AddEvidence(Partner("contoso"), claim.name(), "small.pdf", "%PDF-1.4 x", &small)));
  Downloaded small_got = Download(Reviewer(), small.name());
  ASSERT_TRUE(GrpcOk(small_got.status));
  EXPECT_EQ(small_got.head, "%PDF-1.4 x");
}

TEST_P(EvidenceE2eTest, FiftyMegabytesStreamBothWaysInBoundedMemory) {
  const v1::Claim claim = ClaimIn("editing");
  const Document document(50 * kMiB);
  const std::string sha256 = document.Sha256();
  // Caches of a fixed size (SQLite's page cache per pooled connection, allocator arenas of
  // the worker threads, transport buffers) fill with the first documents whatever their size;
  // a smaller document fills them first, so what is measured is what the size costs.
  {
    const Document warm_up(8 * kMiB);
    v1::Evidence evidence;
    ASSERT_TRUE(GrpcOk(Upload(Partner("contoso"), claim.name(), warm_up, {}, &evidence)));
    ASSERT_TRUE(GrpcOk(Download(Reviewer(), evidence.name()).status));
  }
  // The server runs in this process: reset the peak RSS to now, then see how far it rises
  // while the document goes up and comes back down.
  {
    std::ofstream clear_refs("/proc/self/clear_refs");
    clear_refs << "5";
  }
  const int64_t rss_before_kb = ProcStatusKb("VmRSS");
  ASSERT_LE(ProcStatusKb("VmHWM") - rss_before_kb, 1024) << "the peak did not reset";

  v1::Evidence uploaded;
  UploadOptions options;
  options.sha256 = sha256;
  ASSERT_TRUE(GrpcOk(Upload(Partner("contoso"), claim.name(), document, options, &uploaded)));
  Downloaded got = Download(Reviewer(), uploaded.name());
  ASSERT_TRUE(GrpcOk(got.status));
  const int64_t growth_kb = ProcStatusKb("VmHWM") - rss_before_kb;

  EXPECT_EQ(got.bytes, 50 * kMiB);
  EXPECT_EQ(got.sha256, sha256);
  EXPECT_EQ(got.metadata.sha256(), sha256);
  RecordProperty("peak_rss_growth_kb", std::to_string(growth_kb));
  std::printf("peak RSS growth over a 50 MiB upload and download: %lld kB\n",
              static_cast<long long>(growth_kb));
  // Holding the document would cost 50 MiB at each end. What is bounded still moves with load:
  // gRPC's BDP probing grows each direction's flow-control window to a few MiB when the reader
  // lags, which a busy machine makes happen (3 to 5.5 MiB idle, above 10 MiB seen under load).
  EXPECT_LT(growth_kb, 16 * 1024) << "client and server together, in one process";
}

TEST_P(EvidenceE2eTest, BrokenUploadStoresNothing) {
  const v1::Claim claim = ClaimIn("editing");
  chunks_before_ = StoredRows("evidence_chunks");
  const Document document(6 * kMiB);
  UploadOptions options;
  options.break_after = 3 * kMiB;
  v1::Evidence uploaded;
  EXPECT_THAT(Upload(Partner("contoso"), claim.name(), document, options, &uploaded),
              HasCode(grpc::StatusCode::CANCELLED));
  EXPECT_TRUE(StagingEmpties()) << "staged chunks were left behind";
  EXPECT_EQ(EvidenceCount(claim.name()), 0);
}

TEST_P(EvidenceE2eTest, Sha256MismatchIsRefusedAndStoresNothing) {
  const v1::Claim claim = ClaimIn("editing");
  chunks_before_ = StoredRows("evidence_chunks");
  UploadOptions options;
  options.sha256 = std::string(64, 'a');
  v1::Evidence uploaded;
  grpc::Status status =
      Upload(Partner("contoso"), claim.name(), Document(2 * kMiB + 3), options, &uploaded);
  EXPECT_THAT(status, HasCode(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(Details(status).info.reason(), "SHA256_MISMATCH");
  EXPECT_TRUE(StagingEmpties());
  EXPECT_EQ(EvidenceCount(claim.name()), 0);
}

TEST_P(EvidenceE2eTest, ContentTypesAreCheckedAsDeclaredAndAsSniffed) {
  const v1::Claim claim = ClaimIn("editing");
  chunks_before_ = StoredRows("evidence_chunks");
  v1::Evidence uploaded;

  UploadOptions executable;
  executable.content_type = "application/x-executable";
  grpc::Status status = Upload(Partner("contoso"), claim.name(),
                               Document(4096,
                                        "\x7f"
                                        "ELF\x02\x01\x01"),
                               executable, &uploaded);
  EXPECT_THAT(status, HasCode(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(Details(status).info.reason(), "CONTENT_TYPE_NOT_ALLOWED");

  UploadOptions disguised;
  disguised.content_type = "image/png";
  status = Upload(Partner("contoso"), claim.name(), Document(100000), disguised, &uploaded);
  EXPECT_THAT(status, HasCode(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(Details(status).info.reason(), "CONTENT_TYPE_MISMATCH");
  EXPECT_THAT(status.error_message(), ::testing::HasSubstr("application/pdf"));
  EXPECT_TRUE(StagingEmpties());
  EXPECT_EQ(EvidenceCount(claim.name()), 0);

  const std::string png_head("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0", 33);
  UploadOptions png;
  png.content_type = "image/png";
  EXPECT_TRUE(
      GrpcOk(Upload(Partner("contoso"), claim.name(), Document(5000, png_head), png, &uploaded)));
  EXPECT_EQ(EvidenceCount(claim.name()), 1);
}

TEST_P(EvidenceE2eTest, UploadIsAuthorisedAsAddEvidence) {
  const v1::Claim claim = ClaimIn("editing");
  v1::Evidence uploaded;
  EXPECT_THAT(Upload(Partner("northwind"), claim.name(), Document(1000), {}, &uploaded),
              HasCode(grpc::StatusCode::NOT_FOUND));
  EXPECT_THAT(Upload(Reviewer(), claim.name(), Document(1000), {}, &uploaded),
              ::testing::AnyOf(HasCode(grpc::StatusCode::PERMISSION_DENIED),
                               HasCode(grpc::StatusCode::FAILED_PRECONDITION)));
  UploadOptions too_large;
  too_large.declared_size = 65 * kMiB;
  grpc::Status status =
      Upload(Partner("contoso"), claim.name(), Document(1000), too_large, &uploaded);
  EXPECT_THAT(status, HasCode(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(Details(status).info.reason(), "EVIDENCE_TOO_LARGE");

  UploadOptions big_chunks;
  big_chunks.chunk = 2 * kMiB;
  status = Upload(Partner("contoso"), claim.name(), Document(3 * kMiB), big_chunks, &uploaded);
  EXPECT_THAT(status, HasCode(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(Details(status).info.reason(), "FIELD_TOO_LONG");
  EXPECT_EQ(EvidenceCount(claim.name()), 0);
}

TEST_P(EvidenceE2eTest, RetriedUploadIsAnsweredOnceAndLeavesNoSecondCopy) {
  const v1::Claim claim = ClaimIn("editing");
  const Document document(2 * kMiB + 1);
  UploadOptions options;
  options.request_id = "upload-1";
  v1::Evidence first, second;
  ASSERT_TRUE(GrpcOk(Upload(Partner("contoso"), claim.name(), document, options, &first)));
  chunks_before_ = StoredRows("evidence_chunks");
  ASSERT_TRUE(GrpcOk(Upload(Partner("contoso"), claim.name(), document, options, &second)));
  EXPECT_EQ(second.name(), first.name());
  EXPECT_EQ(EvidenceCount(claim.name()), 1);
  EXPECT_TRUE(StagingEmpties()) << "the retry's staged copy was left behind";
}

INSTANTIATE_TEST_SUITE_P(Backends, EvidenceE2eTest,
                         ::testing::Values(Backend::kSqlite, Backend::kMariaDb), BackendName);

}  // namespace
}  // namespace claims::testing
