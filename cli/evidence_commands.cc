// claimsctl claims evidence get|upload: evidence content by streaming, so a document of any
// size moves in bounded memory; and `claims evidence CLAIM FILE`, the one-message AddEvidence
// for a small file. Connection, identity, errors and exit codes are those of every client
// command (cli/client_connection.h).

#include "cli/evidence_commands.h"

#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>
//
#include "claims/v1/claims_service.grpc.pb.h"
#include "cli/claim_text.h"
#include "cli/client_connection.h"
#include "cli/output.h"
#include "config/file_reading.h"
#include "server/sha256.h"

namespace claims::cli {
namespace {

namespace pb = ::claims::v1;

// The API's limit for one upload message.
constexpr std::size_t kUploadChunkBytes = 1024 * 1024;
// What fits in one message under gRPC's default 4 MiB limit, with room for the rest of it.
constexpr std::size_t kMaxOneMessageBytes = (4 << 20) - (64 << 10);

// Opens the channel and puts identity and deadline on `context`; false (with the error
// printed) when the connection options cannot be used.
std::unique_ptr<pb::Claims::Stub> Connect(const ClientOptions& options,
                                          grpc::ClientContext& context) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = OpenChannel(options);
  if (!channel.ok()) {
    std::cerr << "error: " << channel.status().message() << "\n";
    return nullptr;
  }
  context.set_deadline(CallDeadline(options));
  AddIdentity(options, context);
  return pb::Claims::NewStub(*channel);
}

int PrintEvidence(const pb::Evidence& evidence) {
  if (SelectedOutput() == OutputFormat::kJson) {
    PrintJson(evidence, std::cout);
  } else {
    PrintEvidenceText(evidence, std::cout);
  }
  return kExitOk;
}

// Writes the document to `path` as it arrives, then checks it against the sha256 the server
// announced; a partial or mismatching file is removed.
int Get(const ClientOptions& options, const std::string& name, const std::string& path) {
  grpc::ClientContext context;
  std::unique_ptr<pb::Claims::Stub> stub = Connect(options, context);
  if (stub == nullptr) return kExitUsage;
  pb::GetEvidenceContentRequest request;
  request.set_name(name);
  auto reader = stub->GetEvidenceContent(&context, request);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) {
    std::cerr << "error: cannot write " << path << "\n";
    return kExitUsage;
  }
  pb::EvidenceChunk chunk;
  pb::Evidence metadata;
  server::Sha256Stream sha256;
  int64_t written = 0;
  while (reader->Read(&chunk)) {
    if (chunk.has_metadata()) {
      metadata = chunk.metadata();
      continue;
    }
    sha256.Update(chunk.data());
    out.write(chunk.data().data(), static_cast<std::streamsize>(chunk.data().size()));
    written += static_cast<int64_t>(chunk.data().size());
  }
  out.close();
  const grpc::Status status = reader->Finish();
  if (!status.ok()) {
    std::remove(path.c_str());
    return PrintError(status);
  }
  if (!out || written != metadata.size_bytes() || sha256.FinalHex() != metadata.sha256()) {
    std::remove(path.c_str());
    std::cerr << "error: " << path << " does not match the document's size and sha256\n";
    return kExitFailure;
  }
  std::cout << metadata.file_name() << " (" << metadata.content_type() << ", " << written
            << " bytes, sha256 " << metadata.sha256() << ") -> " << path << "\n";
  return kExitOk;
}

// Hashes the file, then streams it in the API's largest chunks.
int Upload(const ClientOptions& options, const std::string& parent, const std::string& path,
           const std::string& content_type) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << "error: cannot read " << path << "\n";
    return kExitUsage;
  }
  std::string buffer(kUploadChunkBytes, '\0');
  server::Sha256Stream sha256;
  int64_t size = 0;
  while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0) {
    sha256.Update(std::string_view(buffer.data(), static_cast<std::size_t>(in.gcount())));
    size += in.gcount();
  }
  in.clear();
  in.seekg(0);

  grpc::ClientContext context;
  std::unique_ptr<pb::Claims::Stub> stub = Connect(options, context);
  if (stub == nullptr) return kExitUsage;
  pb::Evidence evidence;
  auto writer = stub->UploadEvidence(&context, &evidence);
  pb::UploadEvidenceRequest message;
  pb::EvidenceUploadHeader* header = message.mutable_header();
  header->set_parent(parent);
  header->set_file_name(path.substr(path.find_last_of('/') + 1));
  header->set_content_type(content_type);
  header->set_size_bytes(size);
  header->set_sha256(sha256.FinalHex());
  bool open = writer->Write(message);
  while (open &&
         (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0)) {
    message.set_data(buffer.data(), static_cast<std::size_t>(in.gcount()));
    open = writer->Write(message);
  }
  writer->WritesDone();
  const grpc::Status status = writer->Finish();
  if (!status.ok()) return PrintError(status);
  return PrintEvidence(evidence);
}

// The one-message AddEvidence, for a file that fits in a message.
int AddInOneMessage(const ClientOptions& options, const std::string& parent,
                    const std::string& path, const std::string& content_type) {
  absl::StatusOr<std::string> bytes = config::ReadFileWithin(path, kMaxOneMessageBytes);
  if (!bytes.ok()) {
    std::cerr << "error: " << bytes.status().message() << " (larger files: evidence upload)\n";
    return kExitUsage;
  }
  pb::AddEvidenceRequest request;
  request.set_parent(parent);
  request.mutable_evidence()->set_file_name(path.substr(path.find_last_of('/') + 1));
  request.mutable_evidence()->set_content_type(content_type);
  request.mutable_evidence()->set_content(*std::move(bytes));
  return InvokeUnary<pb::Claims>(options, request, &pb::Claims::Stub::AddEvidence, &PrintEvidence);
}

// From the file's extension, for the common types; the server checks the content anyway.
std::string GuessContentType(const std::string& path) {
  const std::string ext = path.substr(path.find_last_of('.') + 1);
  static const std::vector<std::pair<std::string, std::string>> kTypes = {
      {"pdf", "application/pdf"},
      {"png", "image/png"},
      {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"},
      {"gif", "image/gif"},
      {"webp", "image/webp"},
      {"tif", "image/tiff"},
      {"tiff", "image/tiff"},
      {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
      {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
      {"pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
      {"doc", "application/msword"},
      {"xls", "application/vnd.ms-excel"},
      {"ppt", "application/vnd.ms-powerpoint"},
      {"txt", "text/plain"},
  };
  for (const auto& [extension, type] : kTypes) {
    if (extension == ext) return type;
  }
  return "application/octet-stream";
}

}  // namespace

void AddEvidenceCommands(CLI::App& claims, std::shared_ptr<const ClientOptions> options,
                         int& exit_code) {
  CLI::App* evidence =
      claims.add_subcommand("evidence", "upload or download proof of execution, by streaming");
  evidence->require_subcommand(0, 1);
  auto legacy_claim = std::make_shared<std::string>();
  auto legacy_file = std::make_shared<std::string>();
  auto legacy_type = std::make_shared<std::string>();
  evidence->add_option("name", *legacy_claim, "partners/P/claims/C (same as upload)");
  evidence->add_option("file", *legacy_file)->check(CLI::ExistingFile);
  evidence->add_option("--content-type", *legacy_type, "media type (default: from the extension)");

  auto get_name = std::make_shared<std::string>();
  auto get_path = std::make_shared<std::string>();
  CLI::App* get = evidence->add_subcommand("get", "download an evidence document by streaming");
  get->add_option("name", *get_name, "partners/P/claims/C/evidence/E")->required();
  get->add_option("-o,--output", *get_path, "the file to write")->required();
  get->callback([options, get_name, get_path, &exit_code] {
    exit_code = Get(*options, *get_name, *get_path);
  });

  auto parent = std::make_shared<std::string>();
  auto file = std::make_shared<std::string>();
  auto type = std::make_shared<std::string>();
  CLI::App* upload =
      evidence->add_subcommand("upload", "upload an evidence document of any size by streaming");
  upload->add_option("claim", *parent, "partners/P/claims/C")->required();
  upload->add_option("file", *file)->required()->check(CLI::ExistingFile);
  upload->add_option("--type", *type, "media type (default: from the file's extension)");
  upload->callback([options, parent, file, type, &exit_code] {
    exit_code = Upload(*options, *parent, *file, type->empty() ? GuessContentType(*file) : *type);
  });

  evidence->callback([options, get, upload, legacy_claim, legacy_file, legacy_type, &exit_code] {
    if (get->parsed() || upload->parsed()) return;
    if (legacy_claim->empty() || legacy_file->empty()) {
      std::cerr << "error: claims evidence get|upload ..., or claims evidence CLAIM FILE\n";
      exit_code = kExitUsage;
      return;
    }
    exit_code =
        AddInOneMessage(*options, *legacy_claim, *legacy_file,
                        legacy_type->empty() ? GuessContentType(*legacy_file) : *legacy_type);
  });
}

}  // namespace claims::cli
