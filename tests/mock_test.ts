import { match as assertMatch, ok as assert, strictEqual as equal } from "node:assert/strict";
import { parseScript, replayFile } from "../mod.ts";
import { startMock } from "../session/mock.ts";
import { startProxy } from "../session/proxy.ts";
import { closedPort, echoPeer, eventually, sockit, SOCKIT_RUN } from "./_helpers.ts";

/** Whether a program is installed (the Debian peers come from `.ci/run`). */
function installed(program: string): boolean {
  try {
    return new Deno.Command("sh", { args: ["-c", `command -v ${program}`], stdout: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

/** Runs a program to completion and returns its stdout (trimmed). */
async function run(
  program: string,
  args: string[],
): Promise<{ code: number; out: string; err: string }> {
  const out = await new Deno.Command(program, { args, stdout: "piped", stderr: "piped" }).output();
  const d = new TextDecoder();
  return { code: out.code, out: d.decode(out.stdout).trim(), err: d.decode(out.stderr).trim() };
}

/** Waits until something accepts connections on the port. */
async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`nothing listens on ${port}`);
}

/** Starts a real server as a child process; `await using` stops it. */
async function server(program: string, args: string[], port: number) {
  const child = new Deno.Command(program, { args, stdout: "null", stderr: "null" }).spawn();
  await waitForPort(port);
  return {
    child,
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      await child.status;
    },
  };
}

/** Waits (bounded, polling) until `cond` holds: the mock counts a conversation after its client is gone. */
async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const portOf = (address: string) => address.split(":").at(-1)!;

Deno.test({
  name:
    "a Redis session recorded through the proxy replays against Redis, and redis-cli gets the recorded answers from the mock",
  ignore: !installed("redis-server") || !installed("redis-cli"),
  async fn() {
    const file = await Deno.makeTempFile({ suffix: ".sockit" });
    try {
      const port = closedPort();
      {
        await using _redis = await server(
          "redis-server",
          ["--port", `${port}`, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
          port,
        );
        const proxy = await startProxy({ target: `127.0.0.1:${port}`, file });
        const via = ["-p", portOf(proxy.address)];
        equal((await run("redis-cli", [...via, "SET", "greeting", "hello"])).out, "OK");
        equal((await run("redis-cli", [...via, "GET", "greeting"])).out, "hello");
        await proxy.close();
        const replayed = await replayFile(file);
        equal(replayed.status, "passed", JSON.stringify(replayed.failure));
      }
      const text = await Deno.readTextFile(file);
      assertMatch(
        text,
        /^send c1 "\*3\\r\\n\$3\\r\\nSET\\r\\n\$8\\r\\ngreeting\\r\\n\$5\\r\\nhello\\r\\n"$/m,
      );
      assertMatch(text, /^recv c2\n {2}"\$5\\r\\nhello\\r\\n"$/m);

      // Redis is gone; the mock stands in for it.
      await using mock = await startMock(parseScript(text, file));
      const via = ["-p", portOf(mock.address)];
      equal((await run("redis-cli", [...via, "SET", "greeting", "hello"])).out, "OK");
      equal((await run("redis-cli", [...via, "GET", "greeting"])).out, "hello");
      await until(() => mock.completed === 2, "two conversations played to the end");
      equal(mock.diagnostics.length, 0, mock.diagnostics.join("\n"));

      // A client that deviates from the recording gets dropped, with a diagnostic naming the line.
      const deviant = await run("redis-cli", [...via, "GET", "other"]);
      assert(!deviant.out.includes("OK"), deviant.out);
      assert(deviant.out.includes("Server closed the connection") || deviant.code !== 0);
      await until(() => mock.deviated === 1, "one conversation deviated");
      equal(mock.completed, 2);
      assertMatch(
        mock.diagnostics[0],
        /\.sockit:5: connection 3 \(recorded as c1\): the client sent different bytes; expected "\*3\\r\\n\$3\\r\\nSET.*got "\*2\\r\\n\$3\\r\\nGET/,
      );
    } finally {
      await Deno.remove(file);
    }
  },
});

Deno.test({
  name: "an HTTP exchange recorded between curl and a real server is served by the mock to curl",
  ignore: !installed("curl") || !installed("python3"),
  async fn() {
    const dir = await Deno.makeTempDir();
    const file = `${dir}/http.sockit`;
    try {
      await Deno.writeTextFile(`${dir}/hello.txt`, "hello from a real server\n");
      const port = closedPort();
      const curl = (p: string) =>
        run("curl", ["-s", "-H", "Host: sockit.test", `http://127.0.0.1:${p}/hello.txt`]);
      {
        await using _http = await server(
          "python3",
          ["-m", "http.server", `${port}`, "--bind", "127.0.0.1", "--directory", dir],
          port,
        );
        let closed!: () => void;
        const done = new Promise<void>((r) => closed = r);
        await using proxy = await startProxy({
          target: `127.0.0.1:${port}`,
          file,
          onLog: (line) => line === "c1: closed" && closed(),
        });
        equal((await curl(portOf(proxy.address))).out, "hello from a real server");
        await done; // both sides hung up and the proxy saw it
      }
      const text = await Deno.readTextFile(file);
      assertMatch(text, /^send c\d+ "GET \/hello\.txt HTTP\/1\.1\\r\\nHost: sockit\.test\\r\\n/m);
      // HTTP/1.0: the server hangs up after the body and curl, having read Content-Length
      // bytes, hangs up too; whichever the proxy sees first ends the recording.
      assertMatch(text, /^( {2}! Cannot recv from "c\d+": end of stream, peer closed|close c\d+)/m);
      await using mock = await startMock(parseScript(text, file));
      const served = await curl(portOf(mock.address));
      equal(served.out, "hello from a real server", mock.diagnostics.join("\n"));
      equal(mock.diagnostics.length, 0, mock.diagnostics.join("\n"));

      // curl asking for another path gets no recorded answer: the request is checked first.
      const line = text.split("\n").findIndex((l) => l.startsWith("send c")) + 1;
      const missing = await run("curl", [
        "-s",
        "-H",
        "Host: sockit.test",
        `http://127.0.0.1:${portOf(mock.address)}/missing.txt`,
      ]);
      equal(missing.out, "");
      assert(missing.code !== 0, "curl saw an empty reply");
      equal(mock.diagnostics.length, 1);
      assertMatch(
        mock.diagnostics[0],
        new RegExp(
          `^${file.replaceAll("/", "\\/")}:${line}: connection 2 \\(recorded as c\\d+\\): ` +
            'the client sent different bytes; expected "GET /hello\\.txt.*got "GET /missing\\.txt',
        ),
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** A Python socket client: connects, sends `line`, prints what it hears until the server closes. */
const PYTHON_CLIENT = [
  "import socket, sys",
  "s = socket.create_connection((sys.argv[1], int(sys.argv[2])))",
  "s.sendall(sys.argv[3].encode().decode('unicode_escape').encode('latin1'))",
  "heard = b''",
  "while True:",
  "    chunk = s.recv(100)",
  "    if not chunk: break",
  "    heard += chunk",
  "    if heard.endswith(b'\\n'): break",
  "print(repr(heard))",
].join("\n");

const PING =
  'open tcp c1 127.0.0.1:6379\nsend c1 "PING\\r\\n"\nrecv c1\n  "+PONG\\r\\n"\nclose c1\n';

Deno.test({
  name:
    "a Python client sending a wrong line gets no recorded answer, though its bytes arrive before the mock looks",
  ignore: !installed("python3"),
  async fn() {
    await using mock = await startMock(parseScript(PING, "ping.sockit"));
    const [host, port] = mock.address.split(":");
    const good = await run("python3", ["-c", PYTHON_CLIENT, host, port, "PING\\r\\n"]);
    equal(good.out, "b'+PONG\\r\\n'", good.err);
    const wrong = await run("python3", ["-c", PYTHON_CLIENT, host, port, "XXXX\\r\\n"]);
    equal(wrong.out, "b''", wrong.err);
    assertMatch(
      mock.diagnostics.join("\n"),
      /^ping\.sockit:2: connection 2 \(recorded as c1\): the client sent different bytes; expected "PING\\r\\n", got "XXXX\\r\\n"$/,
    );
    await until(() => mock.completed === 1, "the good client played to the end");
    equal(mock.deviated, 1);
    equal(mock.summary(), "served 2 conversations: 1 played to the end, 1 deviated");
  },
});

Deno.test({
  name:
    "sockit mock keeps serving after a deviation and exits 1 at the end, saying how many deviated",
  ignore: !installed("python3"),
  async fn() {
    const file = await Deno.makeTempFile({ suffix: ".sockit" });
    await Deno.writeTextFile(file, PING);
    try {
      const child = new Deno.Command(Deno.execPath(), {
        args: [...SOCKIT_RUN, "mock", file],
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).spawn();
      let stderr = "";
      const stderrDone = (async () => {
        for await (const chunk of child.stderr) stderr += new TextDecoder().decode(chunk);
      })();
      const reader = child.stdout.getReader();
      const first = new TextDecoder().decode((await reader.read()).value);
      const port = /^mock listening on 127\.0\.0\.1:(\d+), /.exec(first)?.[1];
      assert(port, first);
      const wrong = await run("python3", ["-c", PYTHON_CLIENT, "127.0.0.1", port, "PONG\\r\\n"]);
      equal(wrong.out, "b''", wrong.err);
      const good = await run("python3", ["-c", PYTHON_CLIENT, "127.0.0.1", port, "PING\\r\\n"]);
      equal(good.out, "b'+PONG\\r\\n'", good.err);
      await until(() => stderr.includes("played to the end"), "the good client was served");
      child.kill("SIGTERM");
      let rest = "";
      for (let r = await reader.read(); !r.done; r = await reader.read()) {
        rest += new TextDecoder().decode(r.value);
      }
      equal((await child.status).code, 1);
      await stderrDone;
      assertMatch(
        stderr,
        /^mock: .*:2: connection 1 \(recorded as c1\): the client sent different bytes; expected "PING\\r\\n", got "PONG\\r\\n"$/m,
      );
      assertMatch(stderr, /^mock: connection 2 \(c1\): played to the end$/m);
      assertMatch(rest, /^mock: served 2 conversations: 1 played to the end, 1 deviated$/m);
    } finally {
      await Deno.remove(file);
    }
  },
});

Deno.test("sockit mock names what it cannot serve, by file:line", async () => {
  const file = await Deno.makeTempFile({ suffix: ".sockit" });
  try {
    await Deno.writeTextFile(file, "open tcp c1 127.0.0.1:1\nsend c1 hi\nrecv c1\n  /h.*/\n");
    const run = await sockit(["mock", file]);
    equal(run.code, 1);
    assertMatch(
      run.stderr,
      /:3:1: the mock cannot answer a \/REGEX\/ observation; record the exact bytes/,
    );
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("sockit mock serves a recording until stopped, and says where it listens", async () => {
  const file = await Deno.makeTempFile({ suffix: ".sockit" });
  await Deno.writeTextFile(
    file,
    'open tcp c1 127.0.0.1:1\nsend c1 "hi\\n"\nrecv c1\n  "hello\\n"\n',
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: [...SOCKIT_RUN, "mock", file],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  let log = "";
  const logging = (async () => {
    for await (const chunk of child.stderr) log += new TextDecoder().decode(chunk);
  })();
  try {
    const reader = child.stdout.getReader();
    const { value } = await reader.read();
    reader.releaseLock();
    const line = new TextDecoder().decode(value);
    const m = /^mock listening on 127\.0\.0\.1:(\d+), serving /.exec(line);
    assert(m, line);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(m[1]) });
    await conn.write(new TextEncoder().encode("hi\n"));
    const buf = new Uint8Array(16);
    const n = await conn.read(buf);
    equal(new TextDecoder().decode(buf.subarray(0, n!)), "hello\n");
    conn.close();
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await logging;
    await child.stdout.cancel().catch(() => {});
    await Deno.remove(file);
  }
});

Deno.test("sockit record --proxy forwards a client to the target and writes the conversation on Ctrl-C", async () => {
  await using peer = echoPeer();
  const dir = await Deno.makeTempDir();
  const file = `${dir}/echo.sockit`;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      ...SOCKIT_RUN,
      "record",
      "--proxy",
      "127.0.0.1:0",
      `127.0.0.1:${peer.addr.port}`,
      file,
    ],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  let log = "";
  const logging = (async () => {
    for await (const chunk of child.stderr) log += new TextDecoder().decode(chunk);
  })();
  try {
    const reader = child.stdout.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    const m = /^proxy listening on 127\.0\.0\.1:(\d+) → /.exec(first);
    assert(m, first);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(m[1]) });
    await conn.write(new TextEncoder().encode("ping\n"));
    const buf = new Uint8Array(16);
    equal(new TextDecoder().decode(buf.subarray(0, (await conn.read(buf))!)), "ping\n");
    conn.close();
    await eventually(() => log.includes("c1: closed"), "the proxy to see the connection end");
    child.kill("SIGINT");
    let rest = "";
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      rest += new TextDecoder().decode(r.value);
    }
    equal((await child.status).code, 130, "SIGINT exits 130");
    assertMatch(rest, /^recorded 1 connection to .*echo\.sockit$/m);
    const text = await Deno.readTextFile(file);
    assertMatch(
      text,
      /^send c1 "ping\\n"\n {2}sent 5 bytes to c1\nrecv c1\n {2}"ping\\n"\nclose c1\n {2}closed c1\n$/m,
    );
    equal((await replayFile(file)).status, "passed");
  } finally {
    try {
      child.kill("SIGTERM");
    } catch { /* exited */ }
    await child.status;
    await logging;
    await Deno.remove(dir, { recursive: true });
  }
});
