/**
 * The bash, zsh and fish completion scripts, each written from one {@link CompletionModel}.
 * Every script finds the subcommand and the position of the word being completed the same way:
 * options are skipped (with the value of those that take one), the first other word is the
 * subcommand, the rest are its positional arguments.
 *
 * @module
 */
import type {
  CompletionCommand,
  CompletionModel,
  CompletionOption,
  Values,
} from "./completions.ts";

function flags(o: CompletionOption): string[] {
  return o.short ? [o.short, o.long] : [o.long];
}

const takesValue = (o: CompletionOption) => o.value.kind !== "none";

// ---- bash ----

function bashValues(v: Values): string {
  switch (v.kind) {
    case "words":
      return `COMPREPLY=($(compgen -W "${v.words.join(" ")}" -- "$cur"))`;
    case "files":
      return `compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur"))`;
    case "dirs":
      return `compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- "$cur"))`;
    default:
      return ":";
  }
}

/** `eval "$(sockit completions bash)"`: a `complete -F` function. */
export function bashScript(m: CompletionModel): string {
  const fn = `_${m.program.replace(/\W/g, "_")}`;
  const all = [m.root, ...m.commands];
  const pattern = (c: CompletionCommand, o: CompletionOption) =>
    flags(o).map((f) => c === m.root ? `*" ${f}"` : `"${c.name} ${f}"`);
  // Specific subcommands first: bash's case takes the first pattern that matches.
  const valued = [...m.commands, m.root].flatMap((c) =>
    c.options.filter(takesValue).map((o) => ({ c, o }))
  );
  // One case branch per action; the subcommands' branches come before the program's, whose
  // patterns match after any subcommand.
  const grouped = (list: typeof valued) => {
    const branches = new Map<string, string[]>();
    for (const { c, o } of list) {
      const action = bashValues(o.value);
      branches.set(action, [...branches.get(action) ?? [], ...pattern(c, o)]);
    }
    return [...branches].map(([action, patterns]) => `      ${patterns.join("|")}) ${action} ;;`);
  };
  const lines = [
    `# ${m.program} completion for bash. Load it with: eval "$(${m.program} completions bash)"`,
    `${fn}() {`,
    `  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]}`,
    `  local sub= pos=0 skip= i w`,
    `  COMPREPLY=()`,
    `  for ((i = 1; i < COMP_CWORD; i++)); do`,
    `    w=\${COMP_WORDS[i]}`,
    `    if [[ -n $skip ]]; then skip=; continue; fi`,
    `    if [[ $w == -* ]]; then`,
    `      case "$sub $w" in`,
    `        ${valued.flatMap(({ c, o }) => pattern(c, o)).join("|")}) skip=1 ;;`,
    `      esac`,
    `      continue`,
    `    fi`,
    `    if [[ -z $sub ]]; then sub=$w; else pos=$((pos + 1)); fi`,
    `  done`,
    `  if [[ -n $skip ]]; then`,
    `    case "$sub $prev" in`,
    ...grouped(valued.filter(({ c }) => c !== m.root)),
    ...grouped(valued.filter(({ c }) => c === m.root)),
    `    esac`,
    `    return 0`,
    `  fi`,
    `  if [[ $cur == -* ]]; then`,
    `    case "$sub" in`,
    ...all.map((c) =>
      `      "${c.name}") COMPREPLY=($(compgen -W "${
        c.options.flatMap(flags).join(" ")
      }" -- "$cur")) ;;`
    ),
    `    esac`,
    `    return 0`,
    `  fi`,
    `  if [[ -z $sub ]]; then`,
    `    COMPREPLY=($(compgen -W "${m.commands.map((c) => c.name).join(" ")}" -- "$cur"))`,
    `    return 0`,
    `  fi`,
    `  case "$sub $pos" in`,
    ...m.commands.flatMap((c) => [
      ...c.positions.map((p, i) => `    "${c.name} ${i}") ${bashValues(p.value)} ;;`),
      ...(c.rest ? [`    "${c.name} "*) ${bashValues(c.rest.value)} ;;`] : []),
    ]),
    `  esac`,
    `  return 0`,
    `}`,
    `complete -F ${fn} ${m.program}`,
  ];
  return lines.join("\n") + "\n";
}

// ---- zsh ----

/** A description inside `_arguments`' brackets, in single quotes. */
function zshText(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/([[\]:])/g, "\\$1").replace(/'/g, `'\\''`);
}

function zshAction(v: Values): string {
  switch (v.kind) {
    case "words":
      return `(${v.words.join(" ")})`;
    case "files":
      return "_files";
    case "dirs":
      return "_files -/";
    default:
      return " ";
  }
}

function zshOption(o: CompletionOption): string {
  const value = takesValue(o)
    ? `${o.optional ? "::" : ":"}${o.valueName}:${zshAction(o.value)}`
    : "";
  const spec = `[${zshText(o.description)}]${value}`;
  return o.short ? `'(${o.short} ${o.long})'{${o.short},${o.long}}'${spec}'` : `'${o.long}${spec}'`;
}

function zshSpecs(c: CompletionCommand): string[] {
  return [
    ...c.options.map(zshOption),
    ...c.positions.map((p, i) => `'${i + 1}:${p.name}:${zshAction(p.value)}'`),
    ...(c.rest ? [`'*:${c.rest.name}:${zshAction(c.rest.value)}'`] : []),
  ];
}

/** `eval "$(sockit completions zsh)"` after `compinit`: an `_arguments` function. */
export function zshScript(m: CompletionModel): string {
  const fn = `_${m.program.replace(/\W/g, "_")}`;
  const join = (specs: string[], indent: string) => specs.join(` \\\n${indent}`);
  const lines = [
    `#compdef ${m.program}`,
    `# ${m.program} completion for zsh. Load it with: eval "$(${m.program} completions zsh)"`,
    `# (after compinit), or save it as _${m.program} in a directory on $fpath.`,
    `${fn}() {`,
    `  local curcontext=$curcontext state line ret=1`,
    `  typeset -A opt_args`,
    `  _arguments -C \\`,
    `    ${join([...zshSpecs(m.root), `'1: :->subcommand'`, `'*:: :->args'`], "    ")} && ret=0`,
    `  case $state in`,
    `    subcommand)`,
    `      local -a subcommands`,
    `      subcommands=(`,
    ...m.commands.map((c) => `        '${c.name}:${c.description.replace(/'/g, `'\\''`)}'`),
    `      )`,
    `      _describe -t subcommands '${m.program} subcommand' subcommands && ret=0`,
    `      ;;`,
    `    args)`,
    `      curcontext=\${curcontext%:*:*}:${m.program}-$words[1]:`,
    `      case $words[1] in`,
    ...m.commands.flatMap((c) => [
      `        ${c.name})`,
      `          _arguments \\`,
      `            ${join(zshSpecs(c), "            ")} && ret=0`,
      `          ;;`,
    ]),
    `      esac`,
    `      ;;`,
    `  esac`,
    `  return ret`,
    `}`,
    `if [[ $zsh_eval_context[-1] == loadautofunc ]]; then`,
    `  ${fn} "$@"`,
    `else`,
    `  compdef ${fn} ${m.program}`,
    `fi`,
  ];
  return lines.join("\n") + "\n";
}

// ---- fish ----

function fishQuote(text: string): string {
  return `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

function fishValues(v: Values): string {
  switch (v.kind) {
    case "words":
      return `-x -a ${fishQuote(v.words.join(" "))}`;
    case "files":
      return "-r -F";
    case "dirs":
      return `-x -a '(__fish_complete_directories)'`;
    case "any":
      return "-x";
    case "none":
      return "";
  }
}

/** `sockit completions fish | source`: `complete` lines and one helper function. */
export function fishScript(m: CompletionModel): string {
  const p = m.program;
  const at = `__${p.replace(/\W/g, "_")}_at`;
  const valued = [
    ...m.root.options.filter(takesValue).flatMap(flags),
    ...m.commands.flatMap((c) =>
      c.options.filter(takesValue).flatMap(flags).map((f) => `${c.name}:${f}`)
    ),
  ];
  const optionLine = (c: CompletionCommand, o: CompletionOption) => {
    const names = [
      o.short ? `-s ${o.short.slice(1)}` : "",
      o.long.startsWith("--") ? `-l ${o.long.slice(2)}` : `-s ${o.long.slice(1)}`,
    ].filter(Boolean).join(" ");
    const value = fishValues(o.value);
    return `complete -c ${p} -n "${at} '${c.name}'" ${names}${value ? ` ${value}` : ""} -d ${
      fishQuote(o.description)
    }`;
  };
  const argLine = (c: CompletionCommand, where: string, v: Values) =>
    v.kind === "words" || v.kind === "files" || v.kind === "dirs"
      ? [`complete -c ${p} -n "${at} ${c.name} ${where}" ${fishValues(v).replace(/^-[xr] /, "")}`]
      : [];
  const lines = [
    `# ${p} completion for fish. Load it with: ${p} completions fish | source`,
    `function ${at} --description 'completing ${p}: is the subcommand $argv[1] (at argument $argv[2])?'`,
    `    set -l valued ${valued.join(" ")}`,
    `    set -l tokens (commandline -opc)`,
    `    set -l sub ''`,
    `    set -l pos 0`,
    `    set -l skip 0`,
    `    for t in $tokens[2..-1]`,
    `        if test $skip -eq 1`,
    `            set skip 0`,
    `            continue`,
    `        end`,
    `        if string match -q -- '-*' $t`,
    `            if contains -- $t $valued; or contains -- "$sub:$t" $valued`,
    `                set skip 1`,
    `            end`,
    `            continue`,
    `        end`,
    `        if test -z "$sub"`,
    `            set sub $t`,
    `        else`,
    `            set pos (math $pos + 1)`,
    `        end`,
    `    end`,
    `    test "$sub" = "$argv[1]"; or return 1`,
    `    test (count $argv) -lt 2; and return 0`,
    `    test $skip -eq 1; and return 1`,
    `    if string match -q -- '*+' $argv[2]`,
    `        test $pos -ge (string trim -r -c + -- $argv[2])`,
    `    else`,
    `        test $pos -eq $argv[2]`,
    `    end`,
    `end`,
    `complete -c ${p} -f`,
    ...m.root.options.map((o) => optionLine(m.root, o)),
    ...m.commands.map((c) =>
      `complete -c ${p} -n "${at} ''" -a ${c.name} -d ${fishQuote(c.description)}`
    ),
    ...m.commands.flatMap((c) => [
      ...c.options.map((o) => optionLine(c, o)),
      ...c.positions.flatMap((pos, i) => argLine(c, String(i), pos.value)),
      ...(c.rest ? argLine(c, `${c.positions.length}+`, c.rest.value) : []),
    ]),
  ];
  return lines.join("\n") + "\n";
}
