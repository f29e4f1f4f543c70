// The dot and mermaid renderers over the shipped workflow and over names that need escaping.

#include "workflow/graph.h"

#include <cstdlib>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/shipped_workflow.h"
#include "workflow/loader.h"

namespace claims::workflow {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

class GraphTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LoadResult result = testing::LoadWorkflowFile();
    for (const Diagnostic& d : result.diagnostics) ADD_FAILURE() << d.ToString();
    ASSERT_TRUE(result.ok());
    definition_ = result.definition;
  }
  std::shared_ptr<const Definition> definition_;
};

TEST_F(GraphTest, DotHasEveryStateAndEveryEdge) {
  const std::string dot = RenderDot(*definition_);
  EXPECT_THAT(dot, StartsWith("digraph \"cpor-association\" {\n"));
  for (const StateDef& state : definition_->states) {
    EXPECT_THAT(dot, HasSubstr("\"" + state.id + "\" [label=\"" + state.display_name)) << state.id;
  }
  for (const TransitionDef& transition : definition_->transitions) {
    for (const std::string& from : transition.from) {
      EXPECT_THAT(dot, HasSubstr("\"" + from + "\" -> \"" + transition.to + "\" [label=\"" +
                                 transition.id + "\\n["))
          << transition.id << " from " << from;
    }
  }
  EXPECT_THAT(dot, HasSubstr("__create -> \"editing\""));
  EXPECT_THAT(dot, HasSubstr("\"approve\\n[reviewer]\""));
}

TEST_F(GraphTest, DotShowsTimersAndTerminalStates) {
  const std::string dot = RenderDot(*definition_);
  EXPECT_THAT(dot, HasSubstr("SLA review_start: 5 business days, then breach"));
  EXPECT_THAT(dot, HasSubstr("SLA overall_decision paused"));
  EXPECT_THAT(dot, HasSubstr("SLA consent_period: 7 days, then complete_consent_period"));
  EXPECT_THAT(dot, HasSubstr("(incentive_assessment)\", peripheries=2"));
  EXPECT_THAT(dot, Not(HasSubstr("(rejected)\", peripheries=2")));
  EXPECT_THAT(dot, HasSubstr("at partner_response deadline\", style=dashed]"));
}

TEST_F(GraphTest, MermaidStateDiagram) {
  const std::string mermaid = RenderMermaid(*definition_);
  EXPECT_THAT(mermaid, StartsWith("stateDiagram-v2\n"));
  EXPECT_THAT(mermaid, HasSubstr("  [*] --> editing : create ("));
  for (const TransitionDef& transition : definition_->transitions) {
    for (const std::string& from : transition.from) {
      EXPECT_THAT(mermaid,
                  HasSubstr("  " + from + " --> " + transition.to + " : " + transition.id + " ("));
    }
  }
  EXPECT_THAT(mermaid, HasSubstr("  incentive_assessment --> [*]\n"));
  EXPECT_THAT(mermaid, HasSubstr("  class incentive_assessment terminal\n"));
  EXPECT_THAT(mermaid, HasSubstr("  note right of partner_action_required\n"));
  // Inside a multi-line note a colon is text, so notes read as the dot labels do.
  EXPECT_THAT(mermaid, HasSubstr("    SLA partner_response: 5 business days, then "
                                 "expire_partner_action\n"));
}

TEST(GraphEscapingTest, QuotesAndBackslashesInNames) {
  Definition definition;
  definition.name = "odd \"name\"";
  StateDef state;
  state.id = "a";
  state.display_name = "Say \"hi\" \\ bye";
  state.terminal = true;
  definition.states.push_back(state);
  definition.create.initial_state = "a";
  const std::string dot = RenderDot(definition);
  EXPECT_THAT(dot, StartsWith("digraph \"odd \\\"name\\\"\" {"));
  EXPECT_THAT(dot, HasSubstr("[label=\"Say \\\"hi\\\" \\\\ bye\\n(a)\""));
  EXPECT_THAT(RenderMermaid(definition), HasSubstr("state \"Say 'hi' \\ bye\" as a\n"));
}

}  // namespace
}  // namespace claims::workflow
