/**
 * `serve exec` and `sockit listen --exec`: a program per connection (ncat's `--exec`), driven
 * by ncat and socat clients. The CLI runs with `--allow-run` only where a test needs it.
 */
import { deepStrictEqual as assertEquals, match as assertMatch } from "node:assert/strict";
import { Shell } from "../shell/shell.ts";
import { as, eventually, sockit } from "./_helpers.ts";
import { runPeer, spawnSockit } from "./_pipes.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const bytes = (s: string) => new TextEncoder().encode(s);

Deno.test("listen --exec tr a-z A-Z upper-cases what an ncat client sends, then exits", async () => {
  await using server = spawnSockit(["listen", "127.0.0.1:0", "--exec", "tr", "a-z", "A-Z"], {
    exec: true,
  });
  const port = await server.port();
  const client = await runPeer("ncat", ["127.0.0.1", String(port)], bytes("hello\nworld\n"));
  assertEquals(text(client.stdout), "HELLO\nWORLD\n");
  assertEquals(await server.exited(), 0);
});

Deno.test("listen --crlf --exec sends the program's line endings as \\r\\n, never doubled", async () => {
  await using server = spawnSockit(
    ["listen", "--crlf", "127.0.0.1:0", "--exec", "--", "tr", "a-z", "A-Z"],
    { exec: true },
  );
  const port = await server.port();
  const client = await runPeer("socat", ["-", `TCP:127.0.0.1:${port}`], bytes("one\ntwo\r\n"));
  assertEquals(text(client.stdout), "ONE\r\nTWO\r\n");
  assertEquals(await server.exited(), 0);
});

Deno.test("serve exec sets SOCKIT_* variables, and the program's exit closes the connection", async () => {
  await using shell = new Shell();
  const local = as(
    await shell.execute(
      'serve exec tcp x :0 -- sh -c "echo $SOCKIT_PROTO $SOCKIT_REMOTE_ADDR $SOCKIT_LOCAL_PORT"',
    ),
    "socket",
  ).info.local;
  const port = local.split(":")[1];
  const client = await runPeer("ncat", ["--recv-only", "127.0.0.1", port]);
  assertEquals(text(client.stdout), `tcp 127.0.0.1 ${port}\n`);
  assertEquals(client.code, 0);
});

Deno.test("serve exec's program stderr goes to the server log", async () => {
  await using server = spawnSockit(
    ["serve", "exec", "tcp", "127.0.0.1:0", "--", "sh", "-c", "echo oops >&2"],
    { exec: true },
  );
  const [, port] = await eventually(
    () => /listening on tcp 127\.0\.0\.1:(\d+)/.exec(text(server.stdout())),
    "the listening line",
  );
  await runPeer("ncat", ["--recv-only", "127.0.0.1", port]);
  await eventually(() => /#1 stderr: oops\n/.test(text(server.stdout())), "the stderr line");
});

Deno.test("serve exec without Deno's run permission says in one line how to grant it", async () => {
  const run = await sockit(["-c", "serve exec tcp x :0 -- tr a-z A-Z"]);
  assertEquals(run.code, 1);
  assertMatch(
    run.stderr,
    /Cannot serve "x": running "tr" needs Deno's run permission; .*--allow-run/,
  );
  const listen = await sockit(["listen", ":0", "--exec", "tr", "a-z", "A-Z"]);
  assertEquals(listen.code, 1);
  assertMatch(listen.stderr, /needs Deno's run permission/);
});

Deno.test("serve exec needs a program, and other servers take none", async () => {
  await using shell = new Shell();
  await shell.execute("serve exec tcp x :0").then(
    () => assertEquals("no error", "an error"),
    (e) => assertMatch(e.message, /Cannot serve "x": exec needs a program to run/),
  );
  await shell.execute("serve echo tcp e :0 -- cat").then(
    () => assertEquals("no error", "an error"),
    (e) => assertMatch(e.message, /too many arguments for echo/),
  );
});
