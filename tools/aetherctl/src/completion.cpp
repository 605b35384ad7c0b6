#include "completion.hpp"

#include <functional>
#include <sstream>

namespace aether::ctl {
namespace {

// Every command path ("", "vm", "vm create", ...) with the words that may
// follow it: its subcommands and its long flags (and the global ones).
void collect(const CLI::App& app, const std::string& path,
             std::vector<std::pair<std::string, std::string>>& out) {
  std::string words;
  for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    words += sub->get_name() + " ";
  }
  for (const auto* opt : app.get_options()) {
    for (const auto& name : opt->get_lnames()) words += "--" + name + " ";
  }
  out.emplace_back(path, words);
  for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    collect(*sub, path.empty() ? sub->get_name() : path + " " + sub->get_name(), out);
  }
}

}  // namespace

std::string bash_completion(const CLI::App& app) {
  std::vector<std::pair<std::string, std::string>> paths;
  collect(app, "", paths);
  std::ostringstream s;
  s << "# bash completion for aetherctl: source <(aetherctl completion bash)\n"
    << "_aetherctl() {\n"
    << "  local cur=${COMP_WORDS[COMP_CWORD]} path=\"\" w i\n"
    << "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
    << "    w=${COMP_WORDS[i]}\n"
    << "    [[ $w == -* ]] && continue\n"
    << "    case \"${path:+$path }$w\" in\n";
  for (const auto& [p, words] : paths) {
    if (!p.empty()) s << "      \"" << p << "\") path=\"" << p << "\" ;;\n";
  }
  s << "    esac\n"
    << "  done\n"
    << "  local words=\"\"\n"
    << "  case \"$path\" in\n";
  for (const auto& [p, words] : paths) s << "    \"" << p << "\") words=\"" << words << "\" ;;\n";
  s << "  esac\n"
    << "  COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
    << "}\n"
    << "complete -o default -F _aetherctl aetherctl\n";
  return s.str();
}

std::string zsh_completion(const CLI::App& app) {
  // zsh runs bash completion functions through bashcompinit.
  return "# zsh completion for aetherctl: source <(aetherctl completion zsh)\n"
         "autoload -U +X bashcompinit && bashcompinit\n" +
         bash_completion(app);
}

}  // namespace aether::ctl
