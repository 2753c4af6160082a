/**
 * `sockit completions bash|zsh|fish`: each script loads in the real shell, and completes what
 * the program defines. bash, zsh and fish must be installed (.ci/run installs them): a missing
 * shell fails these tests rather than skipping them.
 */
import assert from "node:assert/strict";
import { program } from "../cli.ts";
import { PROTOCOLS } from "../protocols/mod.ts";
import { sockit } from "./_helpers.ts";
import { Tmux } from "./_tmux.ts";

const scripts = new Map<string, string>();
globalThis.addEventListener("unload", () => {
  for (const file of scripts.values()) Deno.removeSync(file);
});

/** The script `sockit completions SHELL` prints, saved to a file; its path. */
async function scriptFile(shell: string): Promise<string> {
  const cached = scripts.get(shell);
  if (cached) return cached;
  const run = await sockit(["completions", shell]);
  assert.equal(run.stderr, "");
  assert.equal(run.code, 0);
  const file = await Deno.makeTempFile({ prefix: "sockit-completion-", suffix: `.${shell}` });
  await Deno.writeTextFile(file, run.stdout);
  scripts.set(shell, file);
  return file;
}

async function shellRun(shell: string, args: string[]): Promise<{ code: number; out: string }> {
  const { code, stdout, stderr } = await new Deno.Command(shell, {
    args,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const decoder = new TextDecoder();
  return { code, out: decoder.decode(stdout) + decoder.decode(stderr) };
}

/** What bash's completion function offers for the words typed (the last one being completed). */
async function bashComplete(...words: string[]): Promise<string[]> {
  const file = await scriptFile("bash");
  const { code, out } = await shellRun("bash", [
    "-c",
    'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _sockit; ' +
    'printf "%s\\n" "${COMPREPLY[@]}"',
    "bash",
    file,
    ...words,
  ]);
  assert.equal(code, 0, out);
  return out.split("\n").filter((w) => w !== "");
}

/** What fish offers for the command line typed so far. */
async function fishComplete(line: string): Promise<string[]> {
  const file = await scriptFile("fish");
  const { code, out } = await shellRun("fish", [
    "--no-config",
    "-c",
    `source ${file}; complete -C ${JSON.stringify(line)}`,
  ]);
  assert.equal(code, 0, out);
  return out.split("\n").filter((w) => w !== "").map((w) => w.split("\t")[0]);
}

for (const shell of ["bash", "zsh", "fish"]) {
  Deno.test(`the ${shell} script passes ${shell} -n`, async () => {
    const { code, out } = await shellRun(shell, ["-n", await scriptFile(shell)]);
    assert.equal(out, "");
    assert.equal(code, 0);
  });
}

Deno.test("bash completes sockit se<TAB> to serve, and serve's protocols, transports and --frame", async () => {
  assert.deepEqual(await bashComplete("sockit", "se"), ["serve"]);
  assert.deepEqual(await bashComplete("sockit", "serve", ""), [...PROTOCOLS.keys()]);
  assert.deepEqual(await bashComplete("sockit", "serve", "echo", ""), [
    "tcp",
    "udp",
    "unix",
    "tls",
  ]);
  assert.deepEqual(await bashComplete("sockit", "serve", "--frame", "n"), ["netstring", "none"]);
  // An option's value is no positional argument: `--frame line` leaves the protocol to come.
  assert.ok((await bashComplete("sockit", "serve", "--frame", "line", "")).includes("echo"));
});

Deno.test("bash completes global option values, help topics and completions' shells", async () => {
  assert.deepEqual(await bashComplete("sockit", "--display", ""), ["auto", "text", "hex"]);
  assert.deepEqual(await bashComplete("sockit", "--log-format", ""), ["jsonl", "pcap"]);
  assert.deepEqual(await bashComplete("sockit", "--display", "hex", "se"), ["serve"]);
  assert.deepEqual(await bashComplete("sockit", "completions", ""), ["bash", "zsh", "fish"]);
  assert.deepEqual(await bashComplete("sockit", "connect", ""), ["tcp", "tls", "udp", "unix"]);
  // help takes subcommands and shell commands alike, each once.
  const topics = await bashComplete("sockit", "help", "rec");
  assert.deepEqual(topics, [...new Set(topics)]);
  assert.ok(topics.includes("record") && topics.includes("recvline"), topics.join(" "));
});

Deno.test("bash completes every subcommand and every option the program defines", async () => {
  const cli = program();
  assert.deepEqual(await bashComplete("sockit", ""), cli.commands.map((c) => c.name()));
  for (const command of cli.commands) {
    const offered = await bashComplete("sockit", command.name(), "--");
    const defined = command.options.map((o) => o.long!);
    assert.deepEqual(offered.filter((o) => o !== "--help"), defined, command.name());
  }
});

Deno.test("fish completes sockit se to serve, and serve's protocols and frames", async () => {
  assert.deepEqual(await fishComplete("sockit se"), ["serve"]);
  assert.deepEqual(
    (await fishComplete("sockit serve ")).sort(),
    [...PROTOCOLS.keys()].sort(),
  );
  assert.deepEqual((await fishComplete("sockit serve echo ")).sort(), [
    "tcp",
    "tls",
    "udp",
    "unix",
  ]);
  assert.deepEqual((await fishComplete("sockit --display ")).sort(), ["auto", "hex", "text"]);
  assert.ok((await fishComplete("sockit serve --fr")).includes("--frame"));
});

Deno.test("zsh registers _sockit for sockit after compinit", async () => {
  const file = await scriptFile("zsh");
  const { code, out } = await shellRun("zsh", [
    "-fc",
    `autoload -U compinit && compinit -u -D && eval "$(<${file})" && print -r -- $_comps[sockit]`,
  ]);
  assert.equal(out, "_sockit\n");
  assert.equal(code, 0);
});

Deno.test("zsh, in a terminal, completes sockit se<TAB> to serve and lists serve's protocols", async () => {
  const file = await scriptFile("zsh");
  await using tmux = new Tmux();
  await tmux.run("new-session", "-d", "-s", "t", "-x", "120", "-y", "30", "zsh -f -i");
  await tmux.keys(
    `PS1='zsh> '; autoload -U compinit && compinit -u -D && eval "$(<${file})"; echo loaded`,
    "Enter",
  );
  await tmux.waitFor(/^loaded\nzsh>/m);
  await tmux.keys("sockit se", "Tab");
  await tmux.waitFor(/^zsh> sockit serve\s*$/m);
  await tmux.keys("Tab");
  const screen = await tmux.waitFor(/broker/);
  for (const name of PROTOCOLS.keys()) assert.match(screen, new RegExp(`\\b${name}\\b`));
});

Deno.test("sockit completions with an unknown shell says so in one line, with the shells", async () => {
  const run = await sockit(["completions", "fsh"]);
  assert.equal(
    run.stderr,
    'error: Cannot print completions for "fsh": unknown shell; did you mean fish? ' +
      "shells: bash, zsh, fish\n",
  );
  assert.equal(run.stdout, "");
  assert.notEqual(run.code, 0);
});
