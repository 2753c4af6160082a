import type { Command } from "./types.ts";

/** `vars`: the session's variables (captures), as a table. */
export const vars: Command = {
  name: "vars",
  usage: "vars",
  summary: "list the variables: named groups captured by expect (and by scripts)",
  details: "expect a /id=(?<id>\\d+)/ defines ${id}; later lines use it: send a ${id}.\n" +
    "Socket variables (${a.local}, ${srv.port}) are not listed: ls shows the addresses.",
  args: ["none"],
  maxArgs: 0,
  script: {},
  run(ctx) {
    const rows = [...ctx.variables].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)
      .map(([name, value]) => [name, value]);
    return Promise.resolve({ kind: "table", columns: ["name", "value"], rows });
  },
};
