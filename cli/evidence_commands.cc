// claimsctl claims evidence get|upload: evidence content by streaming, so a document of any
// size moves in bounded memory. The connection and identity options are those of `claims`
// (client_commands.cc), read back from it when a command runs.

#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>
#include <openssl/evp.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "claims/v1/claims_service.grpc.pb.h"
#include "cli/command_registry.h"
#include "config/file_reading.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace claims::cli {
namespace {

namespace pb = ::claims::v1;

// The API's limit for one upload message.
constexpr std::size_t kUploadChunkBytes = 1024 * 1024;
constexpr std::size_t kMaxPemBytes = 4 << 20;
// What fits in one message under gRPC's default 4 MiB limit, with room for the rest of it.
constexpr std::size_t kMaxOneMessageBytes = (4 << 20) - (64 << 10);

// The value `claims` parsed for `name` (flag or environment), or `fallback`.
std::string Option(CLI::App& claims, const std::string& name, const std::string& fallback = "") {
  const CLI::Option* option = claims.get_option_no_throw(name);
  if (option == nullptr || option->count() == 0) return fallback;
  return option->as<std::string>();
}

struct Connection {
  std::shared_ptr<grpc::Channel> channel;
  std::vector<std::pair<std::string, std::string>> metadata;
  int timeout_seconds = 30;
};

// As client_commands.cc connects: plaintext unless TLS was asked for.
bool Connect(CLI::App& claims, Connection& out) {
  const std::string server = Option(claims, "--server", "127.0.0.1:50051");
  const std::string ca = Option(claims, "--tls-ca"), cert = Option(claims, "--tls-cert"),
                    key = Option(claims, "--tls-key");
  const bool tls =
      claims.get_option("--tls")->count() > 0 || !ca.empty() || !cert.empty() || !key.empty();
  if (!tls) {
    out.channel = grpc::CreateChannel(server, grpc::InsecureChannelCredentials());
  } else {
    grpc::SslCredentialsOptions ssl;
    for (auto [path, pem] :
         {std::pair{&ca, &ssl.pem_root_certs}, std::pair{&cert, &ssl.pem_cert_chain},
          std::pair{&key, &ssl.pem_private_key}}) {
      if (path->empty()) continue;
      absl::StatusOr<std::string> read = config::ReadFileWithin(*path, kMaxPemBytes);
      if (!read.ok()) {
        std::cerr << "error: " << read.status().message() << "\n";
        return false;
      }
      *pem = *std::move(read);
    }
    grpc::ChannelArguments arguments;
    if (const std::string name = Option(claims, "--tls-server-name"); !name.empty()) {
      arguments.SetSslTargetNameOverride(name);
    }
    out.channel = grpc::CreateCustomChannel(server, grpc::SslCredentials(ssl), arguments);
  }
  if (const std::string token = Option(claims, "--token"); !token.empty()) {
    out.metadata.emplace_back("authorization", "Bearer " + token);
  }
  for (auto [flag, header] :
       {std::pair{"--actor", "x-claims-actor"}, std::pair{"--roles", "x-claims-roles"},
        std::pair{"--partner", "x-claims-partner"},
        std::pair{"--customer-tenant", "x-claims-customer-tenant"}}) {
    if (const std::string value = Option(claims, flag); !value.empty()) {
      out.metadata.emplace_back(header, value);
    }
  }
  out.timeout_seconds = std::stoi(Option(claims, "--timeout", "30"));
  return true;
}

void Prepare(const Connection& connection, grpc::ClientContext& context) {
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(connection.timeout_seconds));
  for (const auto& [key, value] : connection.metadata) context.AddMetadata(key, value);
}

int PrintError(const grpc::Status& status) {
  std::cerr << "error: "
            << absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code())) << ": "
            << status.error_message() << "\n";
  google::rpc::Status details;
  if (!status.error_details().empty() && details.ParseFromString(status.error_details())) {
    for (const auto& any : details.details()) {
      google::rpc::ErrorInfo info;
      google::rpc::BadRequest bad_request;
      if (any.UnpackTo(&info)) {
        std::cerr << "  reason: " << info.reason() << "\n";
      } else if (any.UnpackTo(&bad_request)) {
        for (const auto& v : bad_request.field_violations()) {
          std::cerr << "  field " << v.field() << ": " << v.description() << "\n";
        }
      }
    }
  }
  return 1;
}

// As every client command answers: the response as JSON.
void PrintJson(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions print;
  print.add_whitespace = true;
  print.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &json, print);
  std::cout << json;
}

class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr); }
  ~Sha256() { EVP_MD_CTX_free(ctx_); }
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(std::string_view data) { EVP_DigestUpdate(ctx_, data.data(), data.size()); }
  std::string Hex() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_DigestFinal_ex(ctx_, digest, &size);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    for (unsigned int i = 0; i < size; ++i) {
      hex.push_back(kHex[digest[i] >> 4]);
      hex.push_back(kHex[digest[i] & 0xf]);
    }
    return hex;
  }

 private:
  EVP_MD_CTX* ctx_;
};

// Writes the document to `path` as it arrives, then checks it against the sha256 the server
// announced; a partial or mismatching file is removed.
int Get(CLI::App& claims, const std::string& name, const std::string& path) {
  Connection connection;
  if (!Connect(claims, connection)) return 2;
  auto stub = pb::Claims::NewStub(connection.channel);
  grpc::ClientContext context;
  Prepare(connection, context);
  pb::GetEvidenceContentRequest request;
  request.set_name(name);
  auto reader = stub->GetEvidenceContent(&context, request);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) {
    std::cerr << "error: cannot write " << path << "\n";
    return 2;
  }
  pb::EvidenceChunk chunk;
  pb::Evidence metadata;
  Sha256 sha256;
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
  if (!out || written != metadata.size_bytes() || sha256.Hex() != metadata.sha256()) {
    std::remove(path.c_str());
    std::cerr << "error: " << path << " does not match the document's size and sha256\n";
    return 1;
  }
  std::cout << metadata.file_name() << " (" << metadata.content_type() << ", " << written
            << " bytes, sha256 " << metadata.sha256() << ") -> " << path << "\n";
  return 0;
}

// Hashes the file, then streams it in the API's largest chunks.
int Upload(CLI::App& claims, const std::string& parent, const std::string& path,
           const std::string& content_type) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << "error: cannot read " << path << "\n";
    return 2;
  }
  std::string buffer(kUploadChunkBytes, '\0');
  Sha256 sha256;
  int64_t size = 0;
  while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0) {
    sha256.Update(std::string_view(buffer.data(), static_cast<std::size_t>(in.gcount())));
    size += in.gcount();
  }
  in.clear();
  in.seekg(0);

  Connection connection;
  if (!Connect(claims, connection)) return 2;
  auto stub = pb::Claims::NewStub(connection.channel);
  grpc::ClientContext context;
  Prepare(connection, context);
  pb::Evidence evidence;
  auto writer = stub->UploadEvidence(&context, &evidence);
  pb::UploadEvidenceRequest message;
  pb::EvidenceUploadHeader* header = message.mutable_header();
  header->set_parent(parent);
  header->set_file_name(path.substr(path.find_last_of('/') + 1));
  header->set_content_type(content_type);
  header->set_size_bytes(size);
  header->set_sha256(sha256.Hex());
  bool open = writer->Write(message);
  while (open &&
         (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0)) {
    message.set_data(buffer.data(), static_cast<std::size_t>(in.gcount()));
    open = writer->Write(message);
  }
  writer->WritesDone();
  const grpc::Status status = writer->Finish();
  if (!status.ok()) return PrintError(status);
  PrintJson(evidence);
  return 0;
}

// The one-message AddEvidence, for a file that fits in a message.
int AddInOneMessage(CLI::App& claims, const std::string& parent, const std::string& path,
                    const std::string& content_type) {
  absl::StatusOr<std::string> bytes = config::ReadFileWithin(path, kMaxOneMessageBytes);
  if (!bytes.ok()) {
    std::cerr << "error: " << bytes.status().message() << " (larger files: evidence upload)\n";
    return 2;
  }
  Connection connection;
  if (!Connect(claims, connection)) return 2;
  auto stub = pb::Claims::NewStub(connection.channel);
  grpc::ClientContext context;
  Prepare(connection, context);
  pb::AddEvidenceRequest request;
  request.set_parent(parent);
  request.mutable_evidence()->set_file_name(path.substr(path.find_last_of('/') + 1));
  request.mutable_evidence()->set_content_type(content_type);
  request.mutable_evidence()->set_content(*std::move(bytes));
  pb::Evidence evidence;
  const grpc::Status status = stub->AddEvidence(&context, request, &evidence);
  if (!status.ok()) return PrintError(status);
  PrintJson(evidence);
  return 0;
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

CLI::App* Subcommand(CLI::App& parent, const std::string& name) {
  try {
    return parent.get_subcommand(name);
  } catch (const CLI::OptionNotFound&) {
    return nullptr;
  }
}

// `claims evidence`: `get NAME -o FILE` and `upload CLAIM FILE [--type T]` by streaming, and
// `evidence CLAIM FILE [--content-type T]`, the one-message AddEvidence as client_commands.cc
// registered it. This command replaces that registration: a command cannot take both
// sub-commands and required arguments, and CLI11 would run the old action after every `get`.
void AddEvidenceCommands(CLI::App& app, int& exit_code) {
  CLI::App* claims = Subcommand(app, "claims");
  if (claims == nullptr) return;
  if (CLI::App* one_message = Subcommand(*claims, "evidence")) {
    claims->remove_subcommand(one_message);
  }
  CLI::App* evidence =
      claims->add_subcommand("evidence", "upload or download proof of execution, by streaming");
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
  get->callback(
      [claims, get_name, get_path, &exit_code] { exit_code = Get(*claims, *get_name, *get_path); });

  auto parent = std::make_shared<std::string>();
  auto file = std::make_shared<std::string>();
  auto type = std::make_shared<std::string>();
  CLI::App* upload =
      evidence->add_subcommand("upload", "upload an evidence document of any size by streaming");
  upload->add_option("claim", *parent, "partners/P/claims/C")->required();
  upload->add_option("file", *file)->required()->check(CLI::ExistingFile);
  upload->add_option("--type", *type, "media type (default: from the file's extension)");
  upload->callback([claims, parent, file, type, &exit_code] {
    exit_code = Upload(*claims, *parent, *file, type->empty() ? GuessContentType(*file) : *type);
  });

  evidence->callback([claims, get, upload, legacy_claim, legacy_file, legacy_type, &exit_code] {
    if (get->parsed() || upload->parsed()) return;
    if (legacy_claim->empty() || legacy_file->empty()) {
      std::cerr << "error: claims evidence get|upload ..., or claims evidence CLAIM FILE\n";
      exit_code = 2;
      return;
    }
    exit_code = AddInOneMessage(*claims, *legacy_claim, *legacy_file, *legacy_type);
  });
}

// After "claims", which creates the commands this extends (registrations run sorted by name).
const CommandRegistration kRegistration{"claims-evidence", &AddEvidenceCommands};

}  // namespace
}  // namespace claims::cli
