/** `profile-lab completion bash|zsh`: a completion script generated from the command declarations. */
import { actionNames, optionsOf, type Command, type CommandRun } from "../command.js";
import { COMMANDS } from "../commands.js";

const words = (list: readonly string[]): string => list.join(" ");

/** One `case` arm per command: its options, the options that take a value (by kind), its actions. */
function commandCase(command: Command): string {
  const options = Object.entries(optionsOf(command));
  const taking = (pick: (spec: (typeof options)[number][1]) => boolean): string => words(options.filter(([, s]) => s.type === "string" && pick(s)).map(([n]) => `--${n}`));
  return [
    `    ${command.name})`,
    `      opts="${words([...options.map(([n]) => `--${n}`), "--help"])}"`,
    `      dirs="${taking((s) => s.complete === "dir")}"`,
    `      files="${taking((s) => s.complete === "file")}"`,
    `      values="${taking((s) => s.complete === undefined)}"`,
    `      actions="${words(actionNames(command))}";;`,
  ].join("\n");
}

export function bashCompletion(): string {
  return `# profile-lab completion for bash: eval "$(profile-lab completion bash)"
_profile_lab() {
  local cur prev cmd opts dirs files values actions i
  COMPREPLY=()
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W "${words(COMMANDS.map((c) => c.name))} --help --version" -- "$cur") )
    return 0
  fi
  cmd="\${COMP_WORDS[1]}"
  case "$cmd" in
${COMMANDS.map(commandCase).join("\n")}
    *) return 0;;
  esac
  if [[ " $dirs " == *" $prev "* ]]; then COMPREPLY=( $(compgen -d -- "$cur") ); return 0; fi
  if [[ " $files " == *" $prev "* ]]; then COMPREPLY=( $(compgen -f -- "$cur") ); return 0; fi
  if [[ " $values " == *" $prev "* ]]; then return 0; fi
  if [[ "$cur" == -* ]]; then COMPREPLY=( $(compgen -W "$opts" -- "$cur") ); return 0; fi
  if [ -n "$actions" ]; then
    for ((i = 2; i < COMP_CWORD; i++)); do
      if [[ " $actions " == *" \${COMP_WORDS[i]} "* ]]; then return 0; fi
    done
    COMPREPLY=( $(compgen -W "$actions" -- "$cur") )
    return 0
  fi
  if [ "$cmd" = generate ] || [ "$cmd" = demo ]; then COMPREPLY=( $(compgen -d -- "$cur") ); fi
  return 0
}
complete -o filenames -F _profile_lab profile-lab
`;
}

/** zsh runs the same function through its bash compatibility layer. */
export function zshCompletion(): string {
  return `#compdef profile-lab
# profile-lab completion for zsh: eval "$(profile-lab completion zsh)"
autoload -U +X bashcompinit && bashcompinit
${bashCompletion()}`;
}

export const run: CommandRun = async (args, io) => {
  io.out(args.positionals[0] === "zsh" ? zshCompletion() : bashCompletion());
  return 0;
};
