import { match as assertMatch, strictEqual as equal } from "node:assert/strict";
import { parseScript } from "../mod.ts";
import { startMock } from "../session/mock.ts";
import { startServer } from "../protocols/mod.ts";
import { formatAddr } from "../sockets/address.ts";
import { sockit, SOCKIT_RUN } from "./_helpers.ts";
import { spawnPeer } from "./_peers.ts";

const PYTHON_UDP_CLIENT = new URL("./python/udp_client.py", import.meta.url).pathname;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Waits (bounded, polling) until `cond` holds: the mock counts a conversation after its client is gone. */
async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Runs a real client to the end with `input` on its stdin; returns what it printed. */
async function client(program: string, args: string[], input = "") {
  await using peer = spawnPeer(program, args);
  if (input) await peer.write(input);
  await peer.exited();
  return { out: peer.stdout(), err: peer.stderr() };
}

/** A UDP client socket on loopback that sends to one address and reads datagrams one by one. */
function udpClient(to: string): Deno.DatagramConn & Disposable & {
  say(text: string): Promise<void>;
  hear(): Promise<string>;
} {
  const conn = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
  const [hostname, port] = to.split(":");
  return Object.assign(conn, {
    async say(text: string) {
      await conn.send(encoder.encode(text), { transport: "udp", hostname, port: Number(port) });
    },
    async hear() {
      return decoder.decode((await conn.receive())[0]);
    },
    [Symbol.dispose]() {
      conn.close();
    },
  });
}

/** A promise of the next diagnostic, and the option that delivers it. */
function nextDiagnostic() {
  const { promise, resolve } = Promise.withResolvers<string>();
  return { promise, onDiagnostic: resolve };
}

/** Calls `fn` with a temporary script file holding `text`, removed afterwards. */
async function withScript(text: string, fn: (file: string) => Promise<void>): Promise<void> {
  const file = await Deno.makeTempFile({ suffix: ".sockit" });
  try {
    await Deno.writeTextFile(file, text);
    await fn(file);
  } finally {
    await Deno.remove(file);
  }
}

/** Two UDP clients: c1 hears two datagrams, then says bye; c2 hears one (truncated) datagram. */
const TWO_PEERS = [
  "open udp c1 127.0.0.1:9",
  "send c1 hello",
  "recv c1",
  '  from 127.0.0.1:9 "one"',
  "recv c1",
  '  "one more"',
  "open udp c2 127.0.0.1:9",
  "send c2 hello",
  "recv c2",
  '  "two" (truncated)',
  "close c2",
  "send c1 bye",
  "recv c1",
  '  "bye, one"',
  "close c1",
  "",
].join("\n");

Deno.test("a UDP session recorded against a real ack server is answered by the mock to the Python tutorial client", async () => {
  await withScript("", async (file) => {
    {
      await using ack = await startServer("ack", "udp", "127.0.0.1:0");
      const recorded = await sockit([
        "--record",
        file,
        "-c",
        `open udp c ${formatAddr(ack.addr)}; send c ping; recv c; send c two; recv c`,
      ]);
      equal(recorded.code, 0, recorded.stderr);
    }
    const text = await Deno.readTextFile(file);
    assertMatch(text, /^recv c\n {2}"ACK 2 \\"two\\""$/m);

    // The ack server is gone; the mock stands in for it.
    await using mock = await startMock(parseScript(text, file));
    equal(mock.transport, "udp");
    const [host, port] = mock.address.split(":");
    const python = await client("python3", [PYTHON_UDP_CLIENT, host, port, "ping", "two"]);
    equal(python.out, 'ACK 1 "ping"\nACK 2 "two"\n', python.err);
    await until(() => mock.completed === 1, "the Python client played to the end");
    equal(mock.diagnostics.length, 0, mock.diagnostics.join("\n"));
  });
});

Deno.test("a UDP client that sends a different datagram gets no answer, and the mock says which line it expected", async () => {
  const script = parseScript(
    'open udp c 127.0.0.1:9\nsend c ping\nrecv c\n  "pong"\n',
    "ping.sockit",
  );
  const diagnostic = nextDiagnostic();
  await using mock = await startMock(script, diagnostic);
  const socat = await client("socat", ["-t", "0.3", "-", `UDP:${mock.address}`], "pint");
  equal(socat.out, "");
  equal(
    await diagnostic.promise,
    'ping.sockit:2: peer 1 (recorded as c): the client sent a different datagram; expected "ping", got "pint"',
  );
  equal(mock.completed, 0);
});

Deno.test("two UDP client addresses each get their own conversation, one recorded datagram per reply", async () => {
  await using mock = await startMock(parseScript(TWO_PEERS, "two.sockit"));
  using a = udpClient(mock.address);
  using b = udpClient(mock.address);
  await a.say("hello");
  equal(await a.hear(), "one");
  equal(await a.hear(), "one more");
  await b.say("hello");
  equal(await b.hear(), "two");
  await a.say("bye");
  equal(await a.hear(), "bye, one");

  // Played to the end, a is a new peer when it starts again: the third, so conversation c1.
  await a.say("hello");
  equal(await a.hear(), "one");
  await until(() => mock.completed === 2, "both peers played to the end");
  equal(mock.diagnostics.length, 0, mock.diagnostics.join("\n"));
});

Deno.test("a UDP peer quiet for the timeout is forgotten, and starts a fresh conversation when it speaks again", async () => {
  const diagnostic = nextDiagnostic();
  await using mock = await startMock(parseScript(TWO_PEERS, "two.sockit"), {
    timeout: 100,
    ...diagnostic,
  });
  using a = udpClient(mock.address);
  await a.say("hello");
  equal(await a.hear(), "one");
  equal(await a.hear(), "one more");
  equal(
    await diagnostic.promise,
    'two.sockit:12: peer 1 (recorded as c1): the client sent nothing more for 100ms; expected "bye"',
  );
  await a.say("hello");
  equal(await a.hear(), "two");
});

Deno.test("sockit mock refuses, by file:line, a UDP script where the server speaks first, tcp and udp together, and unix", async () => {
  const cases: [string, RegExp][] = [
    [
      'open udp c 127.0.0.1:9\nrecv c\n  "welcome"\nsend c hi\n',
      /:2:1: a UDP mock can only answer: the client must send first; "c" receives before it sends$/,
    ],
    [
      "open tcp a 127.0.0.1:9\nsend a hi\nopen udp c 127.0.0.1:9\nsend c hi\n",
      /:3:1: the mock serves one transport; this script opens tcp and udp; mock each transport/,
    ],
    [
      "open unix a /tmp/sockit-mock.sock\nsend a hi\n",
      /:1:1: the mock serves tcp, udp and ws sockets; "a" is unix; record a tcp, udp or ws session/,
    ],
  ];
  for (const [text, expected] of cases) {
    await withScript(text, async (file) => {
      const refused = await sockit(["mock", file]);
      equal(refused.code, 1);
      equal(refused.stdout, "");
      const lines = refused.stderr.trimEnd().split("\n");
      equal(lines.length, 1, refused.stderr);
      assertMatch(lines[0], expected);
    });
  }
});

Deno.test("sockit mock says it listens on udp, serves the Python client, and reports a peer that goes quiet", async () => {
  await withScript(
    'open udp c 127.0.0.1:9\nsend c ping\nrecv c\n  "pong"\nsend c two\nrecv c\n  "three"\n',
    async (file) => {
      const args = [...SOCKIT_RUN, "mock", "--timeout", "200ms", file];
      await using mock = spawnPeer(Deno.execPath(), args);
      const [line, port] = await mock.waitFor(/^mock listening on udp 127\.0\.0\.1:(\d+), .*$/m);
      equal(line, `mock listening on udp 127.0.0.1:${port}, serving ${file}`);
      const served = await client("python3", [PYTHON_UDP_CLIENT, "127.0.0.1", port, "ping", "two"]);
      equal(served.out, "pong\nthree\n", served.err);
      const quiet = await client("socat", ["-t", "0.3", "-", `UDP:127.0.0.1:${port}`], "ping");
      equal(quiet.out, "pong");
      await mock.waitFor(/nothing more/, 5000, "stderr");
      equal(
        mock.stderr(),
        "mock: peer 1 (c): played to the end\n" +
          `mock: ${file}:5: peer 2 (recorded as c): the client sent nothing more for 200ms; expected "two"\n`,
      );
    },
  );
});
