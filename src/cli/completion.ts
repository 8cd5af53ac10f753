import type { Command } from 'commander';
import { lineage } from './options.js';

export const SHELLS = ['bash', 'zsh'] as const;
export type Shell = (typeof SHELLS)[number];

/** What may follow a command: its subcommands, its flags, or its argument's choices. */
interface Node {
  /** The command below `pubkeeper` as typed: `''`, `serve`, `admin revoke`. */
  readonly path: string;
  readonly words: readonly { readonly word: string; readonly description: string }[];
  /** Flags that take a value: after one of these, the shell completes file names instead. */
  readonly valued: readonly string[];
}

/**
 * A completion script for `shell`, generated from the commander program, so every command,
 * subcommand and flag (every setting of the schema included) completes without a list kept by
 * hand. It completes words, not flag values (file names there).
 */
export function completionScript(program: Command, shell: Shell): string {
  const nodes = tree(program, '');
  return shell === 'bash' ? bash(nodes) : zsh(nodes);
}

function tree(command: Command, path: string): Node[] {
  const words = command.commands.map((c) => ({ word: c.name(), description: c.description() }));
  for (const argument of command.registeredArguments) for (const choice of argument.argChoices ?? []) words.push({ word: choice, description: argument.description });
  // An admin subcommand takes the admin command's flags too (the program's own stay at the top).
  const options = lineage(command)
    .filter((c) => c.parent !== null || c === command)
    .flatMap((c) => c.options.filter((o) => o.long !== undefined && !o.hidden));
  for (const option of options) words.push({ word: option.long ?? '', description: option.description });
  words.push({ word: '--help', description: 'print the help' });
  const valued = options.filter((o) => o.required || o.optional).map((o) => o.long ?? '');
  // `help` is left out: after it the words that name a command complete as at the top.
  const below = command.commands.filter((c) => c.name() !== 'help').flatMap((c) => tree(c, path === '' ? c.name() : `${path} ${c.name()}`));
  return [{ path, words, valued }, ...below];
}

/** `'it'\''s'`: a shell word holding exactly `text`. */
const quote = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;

function bash(nodes: Node[]): string {
  const paths = nodes.filter((n) => n.path !== '').map((n) => quote(n.path));
  const words = nodes.map((n) => `    ${quote(n.path)}) words=${quote(n.words.map((w) => w.word).join(' '))} ;;`);
  const valued = nodes.filter((n) => n.valued.length > 0).map((n) => `    ${quote(n.path)}) valued=${quote(` ${n.valued.join(' ')} `)} ;;`);
  return `# pubkeeper completion for bash; load it with: source <(pubkeeper completion bash)
_pubkeeper() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]} cmd='' word i words='' valued=''
  # The command typed so far: the words that name a command below the previous one.
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=\${COMP_WORDS[i]}
    case "\${cmd:+$cmd }$word" in
      ${paths.join('|')}) cmd="\${cmd:+$cmd }$word" ;;
    esac
  done
  case "$cmd" in
${valued.join('\n')}
  esac
  # After a flag that takes a value, complete file names (complete -o default).
  if [[ "$valued" == *" $prev "* ]]; then COMPREPLY=(); return; fi
  case "$cmd" in
${words.join('\n')}
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _pubkeeper pubkeeper
`;
}

function zsh(nodes: Node[]): string {
  const paths = nodes.filter((n) => n.path !== '').map((n) => quote(n.path));
  // _describe splits NAME:DESCRIPTION at the first colon not escaped.
  const entry = (w: Node['words'][number]): string => quote(`${w.word.replace(/:/g, '\\:')}:${w.description.replace(/\s+/g, ' ')}`);
  const words = nodes.map((n) => `    (${quote(n.path)}) candidates=(${n.words.map(entry).join(' ')}) ;;`);
  const valued = nodes.filter((n) => n.valued.length > 0).map((n) => `    (${quote(n.path)}) valued=(${n.valued.map(quote).join(' ')}) ;;`);
  return `#compdef pubkeeper
# pubkeeper completion for zsh; load it (after compinit) with: source <(pubkeeper completion zsh)
_pubkeeper() {
  local cmd='' word i
  local -a candidates valued
  for ((i = 2; i < CURRENT; i++)); do
    word=\${words[i]}
    case "\${cmd:+$cmd }$word" in
      (${paths.join('|')}) cmd="\${cmd:+$cmd }$word" ;;
    esac
  done
  case "$cmd" in
${valued.join('\n')}
  esac
  if (( \${valued[(Ie)\${words[CURRENT-1]}]} )); then _files; return; fi
  case "$cmd" in
${words.join('\n')}
  esac
  _describe 'pubkeeper' candidates
}
compdef _pubkeeper pubkeeper
`;
}
