// claimsctl completion bash|zsh: a completion script made from the command tree itself, so it
// always lists exactly the commands and options this binary has.
//   bash: source <(claimsctl completion bash)
//   zsh:  claimsctl completion zsh > "${fpath[1]}/_claimsctl"   (or source it after compinit)

#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "cli/command_registry.h"

namespace claims::cli {
namespace {

// Command path ("claimsctl claims watch") -> the words that may follow it: its sub-commands
// and its options (those of the commands above it too, which CLI11 accepts after it).
using WordTable = std::map<std::string, std::string>;

void CollectWords(const CLI::App& command, const std::string& path,
                  std::vector<std::string> inherited, WordTable& table) {
  for (const CLI::Option* option : command.get_options()) {
    if (option->get_positional() && !option->nonpositional()) continue;
    for (const std::string& name : option->get_lnames()) inherited.push_back("--" + name);
    for (const std::string& name : option->get_snames()) inherited.push_back("-" + name);
  }
  // Sub-commands first, then options, each once (--help is on every level).
  std::vector<std::string> words;
  for (const CLI::App* sub : command.get_subcommands({})) words.push_back(sub->get_name());
  words.insert(words.end(), inherited.begin(), inherited.end());
  std::string line;
  std::set<std::string> seen;
  for (const std::string& word : words) {
    if (!seen.insert(word).second) continue;
    line += (line.empty() ? "" : " ") + word;
  }
  table[path] = line;
  for (const CLI::App* sub : command.get_subcommands({})) {
    CollectWords(*sub, path + " " + sub->get_name(), inherited, table);
  }
}

// Values of options that take one of a few words.
constexpr const char* kValueCases = R"(    --output) words="text json" ;;
    --format) words="dot mermaid" ;;
    --sla-breached) words="true false" ;;)";

std::string BashScript(const WordTable& table) {
  std::string script =
      "# bash completion for claimsctl: source <(claimsctl completion bash)\n"
      "# -g: bash-completion sources this file inside a function.\n"
      "declare -gA _claimsctl_words=(\n";
  for (const auto& [path, words] : table) {
    script += "  [\"" + path + "\"]=\"" + words + "\"\n";
  }
  script +=
      ")\n"
      "_claimsctl() {\n"
      "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
      "  local cmdpath=claimsctl words i\n"
      "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
      "    [[ -n ${_claimsctl_words[\"$cmdpath ${COMP_WORDS[i]}\"]+set} ]] &&\n"
      "      cmdpath=\"$cmdpath ${COMP_WORDS[i]}\"\n"
      "  done\n"
      "  case $prev in\n" +
      std::string(kValueCases) +
      "\n"
      "    *) words=${_claimsctl_words[$cmdpath]} ;;\n"
      "  esac\n"
      "  COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
      "}\n"
      "# -o default: file names where no command or option fits (workflow files, PoE).\n"
      "complete -o default -F _claimsctl claimsctl\n";
  return script;
}

std::string ZshScript(const WordTable& table) {
  std::string script =
      "#compdef claimsctl\n"
      "# zsh completion for claimsctl: put it on $fpath as _claimsctl, or source it after "
      "compinit\n"
      "typeset -gA _claimsctl_words\n"
      "_claimsctl_words=(\n";
  for (const auto& [path, words] : table) {
    script += "  \"" + path + "\" \"" + words + "\"\n";
  }
  script +=
      ")\n"
      "_claimsctl() {\n"
      "  local cmdpath=claimsctl i\n"
      "  local -a words_here\n"
      "  for ((i = 2; i < CURRENT; i++)); do\n"
      "    (( ${+_claimsctl_words[$cmdpath ${words[i]}]} )) && "
      "cmdpath=\"$cmdpath ${words[i]}\"\n"
      "  done\n"
      "  case ${words[CURRENT-1]} in\n"
      "    --output) words_here=(text json) ;;\n"
      "    --format) words_here=(dot mermaid) ;;\n"
      "    --sla-breached) words_here=(true false) ;;\n"
      "    *) words_here=(${=_claimsctl_words[$cmdpath]}) ;;\n"
      "  esac\n"
      "  compadd -- $words_here\n"
      "  _files\n"
      "}\n"
      "if [[ $zsh_eval_context[-1] == loadautofunc ]]; then\n"
      "  _claimsctl \"$@\"\n"
      "else\n"
      "  compdef _claimsctl claimsctl\n"
      "fi\n";
  return script;
}

void AddCompletionCommand(CLI::App& app, int& exit_code) {
  auto shell = std::make_shared<std::string>();
  CLI::App* command = app.add_subcommand(
      "completion", "print a shell completion script: source <(claimsctl completion bash)");
  command->add_option("shell", *shell, "bash or zsh")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh"}));
  CLI::App* root = &app;
  command->callback([root, shell, &exit_code] {
    WordTable table;
    CollectWords(*root, "claimsctl", {}, table);
    std::cout << (*shell == "bash" ? BashScript(table) : ZshScript(table));
    exit_code = 0;
  });
}

const CommandRegistration kRegistration{"completion", &AddCompletionCommand};

}  // namespace
}  // namespace claims::cli
