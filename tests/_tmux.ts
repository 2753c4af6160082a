/** A real pseudo-terminal for the shell tests: a private tmux server running one window. */

const CONFIG = new URL("../deno.json", import.meta.url).pathname;

/** One tmux server (its own socket) with one window `t`; killed on dispose. */
export class Tmux implements AsyncDisposable {
  /** The tmux server's socket name, unique per test. */
  readonly socket = `sockit-test-${crypto.randomUUID().slice(0, 8)}`;

  /** Runs a tmux command against this server; its stdout. */
  async run(...args: string[]): Promise<string> {
    const out = await new Deno.Command("tmux", { args: ["-L", this.socket, ...args] }).output();
    return new TextDecoder().decode(out.stdout);
  }

  /** Types keys (tmux key names such as Enter, Tab, C-c). */
  keys(...keys: string[]): Promise<string> {
    return this.run("send-keys", "-t", "t", ...keys);
  }

  /** What the window shows now. */
  screen(): Promise<string> {
    return this.run("capture-pane", "-t", "t", "-p");
  }

  /** Waits until the screen matches, up to 10 s; returns the screen. */
  async waitFor(pattern: RegExp): Promise<string> {
    const deadline = Date.now() + 10_000;
    let screen = "";
    while (Date.now() < deadline) {
      screen = await this.screen();
      if (pattern.test(screen)) return screen;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`screen never matched ${pattern}:\n${screen}`);
  }

  /**
   * Starts the shell as users start it (`deno task shell`, so the test sees what Deno itself
   * writes) in a window of `columns` × `rows`, with its state (history) under `state`; the
   * window then says `exit code N` and stays. Resolves once the prompt shows.
   */
  async startShell(state: string, columns = 100, rows = 40): Promise<void> {
    const command = [
      "env",
      "NO_COLOR=1",
      `XDG_STATE_HOME=${state}`,
      Deno.execPath(),
      "task",
      "--config",
      CONFIG,
      "shell",
    ].join(" ");
    await this.run(
      "new-session",
      "-d",
      "-s",
      "t",
      "-x",
      String(columns),
      "-y",
      String(rows),
      `${command}; echo "exit code $?"; sleep 30`,
    );
    await this.waitFor(/^sockit>$/m);
  }

  /** Kills the tmux server and the shell in it. */
  async [Symbol.asyncDispose]() {
    await this.run("kill-server");
  }
}
