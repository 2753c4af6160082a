/** open tcp|tls --proxy: SOCKS5 (microsocks) and HTTP CONNECT (tinyproxy), real proxies. */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { Shell } from "../shell/shell.ts";
import { as, closedPort, echoPeer } from "./_helpers.ts";
import { failure, makeTestCerts, microsocks, spawnPeer, text, tinyproxy } from "./_peers.ts";
import { errorCode } from "../grammar/errors.ts";

const port = (l: Deno.Listener) => (l.addr as Deno.NetAddr).port;

/** The error a shell line fails with (to read its code). */
async function errorOf(shell: Shell, line: string): Promise<unknown> {
  try {
    await shell.execute(line);
  } catch (error) {
    return error;
  }
  throw new Error(`expected "${line}" to fail`);
}

/** A one-shot fake proxy: answers the first connection with `answer` in one write, then echoes. */
function fakeProxy(answer: (request: Uint8Array) => Uint8Array | null) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let open: Deno.Conn | undefined;
  const served = (async () => {
    const conn = open = await listener.accept();
    const buf = new Uint8Array(4096);
    try {
      while (true) {
        const n = await conn.read(buf);
        if (n === null) return;
        const reply = answer(buf.slice(0, n));
        if (reply === null) continue;
        await conn.write(reply);
        if (reply.length > 2) break;
      }
      while (true) {
        const n = await conn.read(buf);
        if (n === null) return;
        await conn.write(buf.subarray(0, n));
      }
    } catch {
      /* closed */
    } finally {
      try {
        conn.close();
      } catch { /* closed by dispose */ }
    }
  })();
  return Object.assign(listener, {
    async [Symbol.asyncDispose]() {
      listener.close();
      try {
        open?.close();
      } catch { /* closed */ }
      await served;
    },
  });
}

Deno.test("open tcp through microsocks (SOCKS5) talks to the target, and ls names the proxy", async () => {
  await using echo = echoPeer();
  const socks = await microsocks();
  await using _socks = socks.peer;
  await using shell = new Shell({ timeout: 5000 });
  const a = as(
    await shell.execute(
      `open tcp a 127.0.0.1:${port(echo)} --proxy socks5://127.0.0.1:${socks.port}`,
    ),
    "socket",
  );
  assertEquals(a.info.remote, `127.0.0.1:${port(echo)}`);
  assertEquals(a.info.note, `via SOCKS5 proxy 127.0.0.1:${socks.port}`);
  await shell.execute("sendline a hello");
  assertEquals(text(await shell.execute("recvline a")), "hello\n");
  const opts = as(await shell.execute("sockopt a"), "table").rows;
  assertEquals(opts.at(-1), ["proxy", `SOCKS5 proxy 127.0.0.1:${socks.port}`]);
});

Deno.test("socks5h:// lets the proxy resolve the name; socks5:// resolves it here", async () => {
  await using echo = echoPeer();
  const socks = await microsocks();
  await using _socks = socks.peer;
  await using shell = new Shell({ timeout: 5000 });
  const proxied = `--proxy socks5h://127.0.0.1:${socks.port}`;
  const a = as(await shell.execute(`open tcp a localhost:${port(echo)} ${proxied}`), "socket");
  assertEquals(a.info.remote, `localhost:${port(echo)}`);
  await shell.execute("sendline a via-name");
  assertEquals(text(await shell.execute("recvline a")), "via-name\n");
  // A name only the resolver here fails on: socks5:// says so before asking the proxy,
  // socks5h:// hands it to the proxy, whose reply names the refusal.
  const local = await failure(
    shell,
    `open tcp b no-such-host.invalid:80 --proxy socks5://127.0.0.1:${socks.port}`,
  );
  assertMatch(local, /^error: Cannot open "b": host not found: no-such-host\.invalid$/);
  const remote = await failure(shell, `open tcp c no-such-host.invalid:80 ${proxied}`);
  assertMatch(
    remote,
    new RegExp(
      `^error: Cannot open "c": SOCKS5 proxy 127\\.0\\.0\\.1:${socks.port} refused ` +
        `no-such-host\\.invalid:80: reply \\d \\([a-zA-Z ]+\\)$`,
    ),
  );
});

Deno.test("SOCKS5 with credentials: the right ones connect, wrong or missing ones fail in one line", async () => {
  await using echo = echoPeer();
  const socks = await microsocks({ user: "me", password: "secret" });
  await using _socks = socks.peer;
  await using shell = new Shell({ timeout: 5000 });
  const at = `127.0.0.1:${socks.port}`;
  await shell.execute(`open tcp a 127.0.0.1:${port(echo)} --proxy socks5://me:secret@${at}`);
  await shell.execute("sendline a ok");
  assertEquals(text(await shell.execute("recvline a")), "ok\n");
  const wrong = `open tcp b 127.0.0.1:${port(echo)} --proxy socks5://me:nope@${at}`;
  assertEquals(
    await failure(shell, wrong),
    `error: Cannot open "b": SOCKS5 proxy ${at} rejected the username and password for "me"`,
  );
  assertEquals(errorCode(await errorOf(shell, wrong)), "permission");
  assertEquals(
    await failure(shell, `open tcp c 127.0.0.1:${port(echo)} --proxy socks5://${at}`),
    `error: Cannot open "c": SOCKS5 proxy ${at} requires authentication (give socks5://USER:PASS@…)`,
  );
  assert(!shell.registry.has("b") && !shell.registry.has("c"));
});

Deno.test("a target the SOCKS5 proxy finds refused: reply 5 and its meaning, code refused", async () => {
  const socks = await microsocks();
  await using _socks = socks.peer;
  await using shell = new Shell({ timeout: 5000 });
  const dead = closedPort();
  const line = `open tcp a 127.0.0.1:${dead} --proxy socks5://127.0.0.1:${socks.port}`;
  assertEquals(
    await failure(shell, line),
    `error: Cannot open "a": SOCKS5 proxy 127.0.0.1:${socks.port} refused 127.0.0.1:${dead}: ` +
      "reply 5 (connection refused)",
  );
  assertEquals(errorCode(await errorOf(shell, line)), "refused");
});

Deno.test("an unreachable proxy, an unknown scheme and a bad proxy URL are one-line errors", async () => {
  await using shell = new Shell({ timeout: 5000 });
  const dead = closedPort();
  assertEquals(
    await failure(shell, `open tcp a 127.0.0.1:80 --proxy socks5://127.0.0.1:${dead}`),
    `error: Cannot open "a": connection refused by SOCKS5 proxy 127.0.0.1:${dead}`,
  );
  assertEquals(
    await failure(shell, `open tcp a 127.0.0.1:80 --proxy http://127.0.0.1:${dead}`),
    `error: Cannot open "a": connection refused by HTTP proxy 127.0.0.1:${dead}`,
  );
  const scheme = await errorOf(shell, "open tcp a 127.0.0.1:80 --proxy ftp://127.0.0.1:21");
  assertEquals((scheme as Error).message, 'Cannot open "a": unknown proxy scheme "ftp" in --proxy');
  assertEquals(errorCode(scheme), "usage");
  assertMatch(
    await failure(shell, "open tcp a 127.0.0.1:80 --proxy socks5://127.0.0.1"),
    /^error: Cannot open "a": bad --proxy "socks5:\/\/127\.0\.0\.1": missing :PORT; for example/,
  );
  assertEquals(
    await failure(shell, "open udp u 127.0.0.1:80 --proxy socks5://127.0.0.1:1"),
    'error: Cannot open "u": --proxy is for tcp and tls sockets, not udp',
  );
});

Deno.test("open tcp through tinyproxy (HTTP CONNECT): the 200 response is not in the stream", async () => {
  await using echo = echoPeer();
  const dead = closedPort();
  await using proxy = await tinyproxy([port(echo), dead]);
  await using shell = new Shell({ timeout: 5000 });
  const via = `--proxy http://127.0.0.1:${proxy.port}`;
  const a = as(await shell.execute(`open tcp a 127.0.0.1:${port(echo)} ${via}`), "socket");
  assertEquals(a.info.note, `via HTTP proxy 127.0.0.1:${proxy.port}`);
  await shell.execute("sendline a first");
  // The first bytes read are the target's: no "HTTP/1.0 200 Connection established".
  assertEquals(text(await shell.execute("recvline a")), "first\n");
  const refused = await errorOf(shell, `open tcp b 127.0.0.1:${dead} ${via}`);
  assertMatch(
    (refused as Error).message,
    new RegExp(
      `^Cannot open "b": HTTP proxy 127\\.0\\.0\\.1:${proxy.port} refused CONNECT ` +
        `127\\.0\\.0\\.1:${dead}: "HTTP/1\\.[01] 5\\d\\d [^"]+"$`,
    ),
  );
  const forbidden = await errorOf(shell, `open tcp c 127.0.0.1:1 ${via}`);
  assertEquals(
    (forbidden as Error).message,
    `Cannot open "c": HTTP proxy 127.0.0.1:${proxy.port} refused CONNECT 127.0.0.1:1: ` +
      '"HTTP/1.1 403 Access violation"',
  );
  assertEquals(errorCode(forbidden), "permission");
});

Deno.test("tinyproxy with BasicAuth: the right credentials connect, wrong ones get 401", async () => {
  await using echo = echoPeer();
  await using proxy = await tinyproxy([port(echo)], { user: "me", password: "secret" });
  await using shell = new Shell({ timeout: 5000 });
  const target = `127.0.0.1:${port(echo)}`;
  await shell.execute(`open tcp a ${target} --proxy http://me:secret@127.0.0.1:${proxy.port}`);
  await shell.execute("sendline a in");
  assertEquals(text(await shell.execute("recvline a")), "in\n");
  const wrong = await errorOf(
    shell,
    `open tcp b ${target} --proxy http://me:nope@127.0.0.1:${proxy.port}`,
  );
  assertMatch((wrong as Error).message, /refused CONNECT .*: "HTTP\/1\.[01] 40[17] [^"]+"$/);
  assertEquals(errorCode(wrong), "permission");
});

Deno.test("bytes the target sends in the same read as the HTTP proxy's 200 are kept", async () => {
  await using shell = new Shell({ timeout: 5000 });
  // HTTP: the 200 header and the target's banner in one write.
  await using http = fakeProxy(() =>
    new TextEncoder().encode("HTTP/1.1 200 OK\r\nX-Any: 1\r\n\r\nbanner from target\n")
  );
  await shell.execute(`open tcp a 127.0.0.1:9 --proxy http://127.0.0.1:${port(http)}`);
  assertEquals(text(await shell.execute("recvline a")), "banner from target\n");
});

Deno.test("bytes the target sends in the same read as the SOCKS5 reply are kept", async () => {
  await using shell = new Shell({ timeout: 5000 });
  // The method choice, then the reply and the target's banner in one write.
  await using socks = fakeProxy((req) =>
    req[0] === 5 && req[1] === 1 && req.length === 3 ? Uint8Array.of(5, 0) : Uint8Array.of(
      5,
      0,
      0,
      1,
      127,
      0,
      0,
      1,
      0,
      9,
      ...new TextEncoder().encode("socks banner\n"),
    )
  );
  await shell.execute(`open tcp b 127.0.0.1:9 --proxy socks5://127.0.0.1:${port(socks)}`);
  assertEquals(text(await shell.execute("recvline b")), "socks banner\n");
});

Deno.test("open tls through a SOCKS5 proxy runs the handshake inside the tunnel", async () => {
  await using certs = await makeTestCerts();
  const server = spawnPeer("openssl", [
    "s_server",
    "-accept",
    "0",
    "-rev",
    "-cert",
    certs.leaf,
    "-key",
    certs.leafKey,
  ]);
  await using _server = server;
  const tlsPort = Number((await server.waitFor(/ACCEPT .*:(\d+)/))[1]);
  const socks = await microsocks();
  await using _socks = socks.peer;
  await using shell = new Shell({ timeout: 5000 });
  const a = as(
    await shell.execute(
      `open tls a localhost:${tlsPort} --ca ${certs.ca} --proxy socks5h://127.0.0.1:${socks.port}`,
    ),
    "socket",
  );
  assertMatch(a.info.note ?? "", /^tls TLSv1\.[23]; peer CN=localhost; via SOCKS5 proxy /);
  await shell.execute("sendline a tunnel");
  assertEquals(text(await shell.execute("recvline a")), "lennut\n");
});
