#include <httplib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/playground/playground_api.h"
#include "server/playground/svg_layout.h"
#include "server/runtime/admin_http.h"
#include "tests/testing/shipped_workflow.h"
#include "tests/testing/source_dir.h"
#include "tests/testing/status_matchers.h"

namespace claims::server {
namespace {

using ::claims::testing::ReadTextFile;
using ::claims::testing::ShippedWorkflowsDir;
using ::claims::testing::SourceDir;
using ::claims::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using json = nlohmann::json;

std::string Shipped() {
  return ReadTextFile(ShippedWorkflowsDir() + "/cpor-association.yaml").value_or("");
}

std::string Script(const std::string& name) {
  return ReadTextFile(SourceDir() + "/tests/workflow/testdata/simulate/" + name).value_or("");
}

// The 1-based line of the first occurrence of `needle` in `text`.
int LineOf(const std::string& text, const std::string& needle) {
  const std::size_t at = text.find(needle);
  EXPECT_NE(at, std::string::npos) << needle;
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(at), '\n'));
}

json Request(const std::string& workflow, const std::string& script = "") {
  json request = {{"workflow", workflow}};
  if (!script.empty()) request["script"] = script;
  return request;
}

class PlaygroundApiTest : public ::testing::Test {
 protected:
  PlaygroundApi api_{ShippedWorkflowsDir()};

  json Check(const json& request) {
    absl::StatusOr<json> answer = api_.Check(request.dump());
    EXPECT_TRUE(answer.ok()) << answer.status();
    return answer.value_or(json::object());
  }
};

TEST_F(PlaygroundApiTest, ABrokenWorkflowGetsEveryDiagnosticAtItsLineAndColumn) {
  std::string text = Shipped();
  ASSERT_FALSE(text.empty());
  const int line = LineOf(text, "to: under_review");
  text = absl::StrReplaceAll(text, {{"to: under_review", "to: under_reveiw"}});
  const json answer = Check(Request(text));
  EXPECT_FALSE(answer["valid"]);
  ASSERT_FALSE(answer["diagnostics"].empty());
  bool found = false;
  for (const json& d : answer["diagnostics"]) {
    EXPECT_EQ(d["severity"], "error");
    if (d["line"] == line) {
      found = true;
      EXPECT_EQ(d["column"], 9);
      EXPECT_EQ(d["file"], "workflow.yaml");
      EXPECT_THAT(d["message"].get<std::string>(), HasSubstr("under_reveiw"));
    }
  }
  EXPECT_TRUE(found) << answer["diagnostics"].dump(2);
  EXPECT_FALSE(answer.contains("graph"));
  EXPECT_FALSE(answer.contains("simulation"));
}

TEST_F(PlaygroundApiTest, AValidWorkflowGetsItsGraphAsSvg) {
  const json answer = Check(Request(Shipped()));
  ASSERT_TRUE(answer["valid"]) << answer["diagnostics"].dump(2);
  EXPECT_TRUE(answer["diagnostics"].empty());
  EXPECT_EQ(answer["workflow"]["name"], "cpor-association");
  const std::string svg = answer["graph"]["svg"];
  EXPECT_THAT(svg, StartsWith("<svg"));
  for (const char* state : {"editing", "under_review", "dispute_review", "incentive_assessment"}) {
    EXPECT_THAT(svg, HasSubstr(state));
  }
  // Laid out: nodes have shapes and edges have paths, not just the text handed in.
  EXPECT_THAT(svg, HasSubstr("<path"));
  EXPECT_THAT(svg, HasSubstr("<polygon"));
  EXPECT_THAT(answer["graph"]["dot"].get<std::string>(), StartsWith("digraph"));
}

TEST_F(PlaygroundApiTest, AScriptRunsAndItsTraceShowsTheStates) {
  const json answer = Check(Request(Shipped(), Script("partner_no_response.yaml")));
  ASSERT_TRUE(answer["valid"]);
  ASSERT_TRUE(answer["simulation"].contains("trace")) << answer["simulation"].dump(2);
  const json& trace = answer["simulation"]["trace"];
  EXPECT_TRUE(trace["ok"]);
  std::vector<std::string> states;
  bool timer_rejected = false;
  for (const json& step : trace["steps"]) {
    states.push_back(step["state"]);
    if (step["kind"] == "timer" && step["state"] == "rejected") timer_rejected = true;
  }
  EXPECT_THAT(states, ::testing::IsSupersetOf({"editing", "submitted", "under_review",
                                               "partner_action_required", "rejected"}));
  EXPECT_TRUE(timer_rejected);
  EXPECT_THAT(trace["steps"][0]["local_time"].get<std::string>(), HasSubstr("PST"));
}

TEST_F(PlaygroundApiTest, AnInvalidScriptIsReportedAtItsPosition) {
  const json answer = Check(Request(Shipped(),
                                    "start: 2026-12-14T10:00:00-08:00\n"
                                    "actors:\n  partner: {roles: [billing_admin], partner_id: p}\n"
                                    "steps:\n  - teleport: {to: approved}\n"));
  ASSERT_TRUE(answer["simulation"].contains("error")) << answer.dump(2);
  EXPECT_EQ(answer["simulation"]["error"]["line"], 5);
  EXPECT_GT(answer["simulation"]["error"]["column"], 0);
  EXPECT_THAT(answer["simulation"]["error"]["message"].get<std::string>(), HasSubstr("teleport"));
}

TEST_F(PlaygroundApiTest, ASimulationIsBoundedInSteps) {
  PlaygroundLimits limits;
  limits.max_trace_steps = 3;
  PlaygroundApi small(ShippedWorkflowsDir(), limits);
  ASSERT_OK_AND_ASSIGN(json answer,
                       small.Check(Request(Shipped(), Script("partner_no_response.yaml")).dump()));
  EXPECT_THAT(answer["simulation"]["error"]["message"].get<std::string>(),
              HasSubstr("past 3 steps"));
}

TEST_F(PlaygroundApiTest, AWorkflowTooLargeToLayOutGetsNoGraph) {
  PlaygroundLimits limits;
  limits.max_graph_states = 3;
  PlaygroundApi few_states(ShippedWorkflowsDir(), limits);
  ASSERT_OK_AND_ASSIGN(json answer, few_states.Check(Request(Shipped()).dump()));
  EXPECT_TRUE(answer["valid"]);
  EXPECT_FALSE(answer.contains("graph"));
  EXPECT_THAT(answer["graph_error"].get<std::string>(),
              HasSubstr("more than the playground draws (3 states"));

  limits = PlaygroundLimits();
  limits.max_graph_edges = 4;
  PlaygroundApi few_edges(ShippedWorkflowsDir(), limits);
  ASSERT_OK_AND_ASSIGN(answer, few_edges.Check(Request(Shipped()).dump()));
  EXPECT_FALSE(answer.contains("graph"));
  EXPECT_THAT(answer["graph_error"].get<std::string>(), HasSubstr("16 edges"));
}

TEST_F(PlaygroundApiTest, HostileYamlIsADiagnosticNotACrash) {
  // Nesting far past the loader's depth, an alias bomb and a tab-indented mess.
  const std::string deep = std::string(5000, '[') + std::string(5000, ']');
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'k'; ++c) {
    bomb += std::string(1, c) + ": &" + c + " [*" + static_cast<char>(c - 1) + ", *" +
            static_cast<char>(c - 1) + ", *" + static_cast<char>(c - 1) + "]\n";
  }
  for (const std::string& text : {deep, bomb, std::string("name: x\n\tversion: 1\n")}) {
    ASSERT_OK_AND_ASSIGN(json answer, api_.Check(Request(text, deep).dump()));
    EXPECT_FALSE(answer["valid"]);
    EXPECT_FALSE(answer["diagnostics"].empty());
  }
  ASSERT_OK_AND_ASSIGN(json answer, api_.Check(Request(Shipped(), deep).dump()));
  EXPECT_TRUE(answer["valid"]);
  EXPECT_TRUE(answer["simulation"].contains("error")) << answer["simulation"].dump();
}

TEST_F(PlaygroundApiTest, MalformedAndOversizedRequestsAreRefused) {
  EXPECT_THAT(api_.Check("not json"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(api_.Check("[1, 2]"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(api_.Check(R"({"script": "x"})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no 'workflow'")));
  EXPECT_THAT(api_.Check(R"({"workflow": "a", "path": "/etc/passwd"})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown key 'path'")));
  EXPECT_THAT(api_.Check(R"({"workflow": {"deep": [[[[1]]]]}})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must be a string")));
  EXPECT_THAT(api_.Check(Request(std::string(api_.limits().max_workflow_bytes + 1, '#')).dump()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("workflow: larger than")));
  EXPECT_THAT(
      api_.Check(Request("a: 1", std::string(api_.limits().max_script_bytes + 1, '#')).dump()),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("script: larger than")));
}

// A directory laid out as the shipped one (workflows/ beside calendars/), and a calendar that
// is not one its workflows include.
class PlaygroundIncludesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::path(::testing::TempDir()) / "playground_includes";
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_ / "workflows");
    std::filesystem::create_directories(root_ / "calendars");
    std::filesystem::copy_file(ShippedWorkflowsDir() + "/cpor-association.yaml",
                               root_ / "workflows" / "cpor-association.yaml");
    std::filesystem::copy_file(SourceDir() + "/config/calendars/us.yaml",
                               root_ / "calendars" / "us.yaml");
    std::filesystem::copy_file(SourceDir() + "/config/calendars/us.yaml",
                               root_ / "calendars" / "private.yaml");
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  std::filesystem::path root_;
};

TEST_F(PlaygroundIncludesTest, OnlyTheDirectoryAndWhatItsWorkflowsIncludeCanBeRead) {
  PlaygroundApi api((root_ / "workflows").string());
  ASSERT_OK_AND_ASSIGN(json answer, api.Check(Request(Shipped()).dump()));
  EXPECT_TRUE(answer["valid"]) << answer["diagnostics"].dump(2);

  for (const std::string& include :
       {std::string("../calendars/private.yaml"), (root_ / "calendars" / "private.yaml").string(),
        std::string("../../../../../../../etc/passwd")}) {
    const std::string text = absl::StrReplaceAll(Shipped(), {{"../calendars/us.yaml", include}});
    ASSERT_OK_AND_ASSIGN(answer, api.Check(Request(text).dump()));
    EXPECT_FALSE(answer["valid"]) << include;
    ASSERT_FALSE(answer["diagnostics"].empty());
    EXPECT_THAT(answer["diagnostics"][0]["message"].get<std::string>(),
                HasSubstr("cannot read included file"))
        << include;
  }

  // A workflow of the directory that starts including the file makes it readable.
  {
    std::ofstream second(root_ / "workflows" / "second.yaml");
    second << "name: second\nversion: 1\ncalendars:\n"
              "  - {id: business, include: ../calendars/private.yaml}\n";
  }
  const std::string text =
      absl::StrReplaceAll(Shipped(), {{"../calendars/us.yaml", "../calendars/private.yaml"}});
  ASSERT_OK_AND_ASSIGN(answer, api.Check(Request(text).dump()));
  EXPECT_TRUE(answer["valid"]) << answer["diagnostics"].dump(2);
}

TEST(SvgLayoutTest, RendersAndReportsBadInput) {
  ASSERT_OK_AND_ASSIGN(std::string svg, RenderSvg("digraph { a -> b [label=go] }"));
  EXPECT_THAT(svg, HasSubstr("<svg"));
  EXPECT_THAT(svg, HasSubstr(">go</text>"));
  EXPECT_THAT(RenderSvg("digraph { a -> "),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("syntax error")));
  // A failed parse leaves Graphviz able to go on.
  EXPECT_TRUE(RenderSvg("digraph { c -> d }").ok());
}

class AdminHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config::AdminConfig config;
    config.playground = true;
    config.listen = "127.0.0.1:0";
    ASSERT_OK_AND_ASSIGN(server_, AdminHttpServer::Start(config, api_));
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  }

  httplib::Result PostCheck(const std::string& body, httplib::Headers headers = {},
                            const std::string& type = "application/json") {
    return client_->Post("/api/check", headers, body, type.c_str());
  }

  PlaygroundApi api_{ShippedWorkflowsDir()};
  std::unique_ptr<AdminHttpServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(AdminHttpTest, ServesThePageWithItsSecurityHeaders) {
  httplib::Result page = client_->Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_THAT(page->get_header_value("Content-Type"), StartsWith("text/html"));
  EXPECT_THAT(page->body, HasSubstr("<textarea id=\"workflow\""));
  EXPECT_THAT(page->get_header_value("Content-Security-Policy"), HasSubstr("default-src 'self'"));
  EXPECT_EQ(page->get_header_value("X-Content-Type-Options"), "nosniff");
  // Nothing on the page comes from anywhere else.
  EXPECT_THAT(page->body, ::testing::Not(HasSubstr("http")));
  for (const char* path : {"/playground.js", "/playground.css", "/favicon.svg"}) {
    httplib::Result asset = client_->Get(path);
    ASSERT_TRUE(asset) << path;
    EXPECT_EQ(asset->status, 200) << path;
    EXPECT_FALSE(asset->body.empty()) << path;
    EXPECT_EQ(asset->get_header_value("X-Content-Type-Options"), "nosniff");
  }
  EXPECT_THAT(client_->Get("/playground.js")->get_header_value("Content-Type"),
              StartsWith("text/javascript"));
  httplib::Result missing = client_->Get("/etc/passwd");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_THAT(missing->get_header_value("Content-Security-Policy"),
              HasSubstr("default-src 'self'"));
}

TEST_F(AdminHttpTest, AnswersChecksAsJson) {
  httplib::Result answer = PostCheck(Request(Shipped()).dump());
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 200);
  EXPECT_EQ(answer->get_header_value("Content-Type"), "application/json");
  const json body = json::parse(answer->body);
  EXPECT_TRUE(body["valid"]);
  EXPECT_THAT(body["graph"]["svg"].get<std::string>(), StartsWith("<svg"));

  answer = PostCheck("{\"workflow\": 1}");
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 400);
  EXPECT_THAT(json::parse(answer->body)["error"].get<std::string>(), HasSubstr("must be a string"));
}

TEST_F(AdminHttpTest, RefusesWhatThePageNeverSends) {
  // Not JSON: a form post from another site (a "simple" request without a CORS preflight).
  httplib::Result answer = PostCheck("workflow=x", {}, "application/x-www-form-urlencoded");
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 415);
  answer = PostCheck("{}", {}, "text/plain");
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 415);

  answer = PostCheck(Request("a: 1").dump(), {{"Origin", "http://evil.example"}});
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 403);
  answer = PostCheck(Request("a: 1").dump(), {{"Sec-Fetch-Site", "cross-site"}});
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 403);
  const std::string own_origin = "http://127.0.0.1:" + std::to_string(server_->port());
  answer = PostCheck(Request("a: 1").dump(),
                     {{"Origin", own_origin}, {"Sec-Fetch-Site", "same-origin"}});
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 200);

  // DNS rebinding: a page on another name that resolves to 127.0.0.1.
  httplib::Result rebound = client_->Get("/", {{"Host", "attacker.example:9465"}});
  ASSERT_TRUE(rebound);
  EXPECT_EQ(rebound->status, 403);
  httplib::Result localhost = client_->Get("/", {{"Host", "localhost:9465"}});
  ASSERT_TRUE(localhost);
  EXPECT_EQ(localhost->status, 200);

  httplib::Result put = client_->Put("/api/check", Request("a: 1").dump(), "application/json");
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status, 405);
  EXPECT_EQ(client_->Delete("/")->status, 405);
  EXPECT_EQ(client_->Get("/api/check")->status, 404);

  answer = PostCheck(std::string(api_.limits().max_request_bytes + 1, ' '));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 413);
}

TEST_F(AdminHttpTest, ManyPagesAtOnceAreAllAnswered) {
  // More kept-alive connections than checks may run at once: each waits for a slot.
  std::vector<std::thread> pages;
  std::vector<int> statuses(6, 0);
  for (std::size_t i = 0; i < statuses.size(); ++i) {
    pages.emplace_back([&, i] {
      httplib::Client client("127.0.0.1", server_->port());
      for (int request = 0; request < 3; ++request) {
        httplib::Result answer =
            client.Post("/api/check", Request(Shipped()).dump(), "application/json");
        statuses[i] = answer ? answer->status : -1;
        if (statuses[i] != 200) return;
      }
    });
  }
  for (std::thread& page : pages) page.join();
  EXPECT_THAT(statuses, ::testing::Each(200));
}

TEST(AdminHttpStartTest, ANonLoopbackAddressNeedsToBeAllowed) {
  PlaygroundApi api(ShippedWorkflowsDir());
  config::AdminConfig config;
  config.playground = true;
  config.listen = "0.0.0.0:0";
  EXPECT_THAT(AdminHttpServer::Start(config, api), StatusIs(absl::StatusCode::kFailedPrecondition,
                                                            HasSubstr("admin.allow_non_loopback")));
  config.allow_non_loopback = true;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<AdminHttpServer> server,
                       AdminHttpServer::Start(config, api));
  EXPECT_GT(server->port(), 0);
  server->Stop();
  server->Stop();
  config.listen = "no port";
  EXPECT_THAT(AdminHttpServer::Start(config, api), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace claims::server
