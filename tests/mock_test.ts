import { equal, match as assertMatch, ok as assert } from "node:assert/strict";
import { parseScript, replayFile } from "../mod.ts";
import { startMock } from "../session/mock.ts";
import { startProxy } from "../session/proxy.ts";
import { closedPort, echoPeer, sockit } from "./_helpers.ts";

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
      await using mock = startMock(parseScript(text, file));
      const via = ["-p", portOf(mock.address)];
      equal((await run("redis-cli", [...via, "SET", "greeting", "hello"])).out, "OK");
      equal((await run("redis-cli", [...via, "GET", "greeting"])).out, "hello");
      equal(mock.completed, 2);
      equal(mock.diagnostics.length, 0, mock.diagnostics.join("\n"));

      // A client that deviates from the recording gets dropped, with a diagnostic naming the line.
      const deviant = await run("redis-cli", [...via, "GET", "other"]);
      assert(deviant.out.includes("Server closed the connection") || deviant.code !== 0);
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
        await using proxy = await startProxy({ target: `127.0.0.1:${port}`, file });
        equal((await curl(portOf(proxy.address))).out, "hello from a real server");
        await new Promise((r) => setTimeout(r, 50));
      }
      const text = await Deno.readTextFile(file);
      assertMatch(text, /^send c\d+ "GET \/hello\.txt HTTP\/1\.1\\r\\nHost: sockit\.test\\r\\n/m);
      // HTTP/1.0: the server hangs up after the body and curl, having read Content-Length
      // bytes, hangs up too; whichever the proxy sees first ends the recording.
      assertMatch(text, /^( {2}! Cannot recv from "c\d+": end of stream, peer closed|close c\d+)/m);
      await using mock = startMock(parseScript(text, file));
      const served = await curl(portOf(mock.address));
      equal(served.out, "hello from a real server", mock.diagnostics.join("\n"));
      equal(mock.diagnostics.length, 0, mock.diagnostics.join("\n"));
    } finally {
      await Deno.remove(dir, { recursive: true });
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
    args: ["run", "-A", new URL("../main.ts", import.meta.url).pathname, "mock", file],
    stdout: "piped",
    stderr: "null",
    env: { NO_COLOR: "1" },
  }).spawn();
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
      "run",
      "-A",
      new URL("../main.ts", import.meta.url).pathname,
      "record",
      "--proxy",
      "127.0.0.1:0",
      `127.0.0.1:${peer.addr.port}`,
      file,
    ],
    stdout: "piped",
    stderr: "null",
    env: { NO_COLOR: "1" },
  }).spawn();
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
    await new Promise((r) => setTimeout(r, 100));
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
    await Deno.remove(dir, { recursive: true });
  }
});
