/** open --retry N --retry-delay D and --wait D: trying again while refused, every wait cancellable. */
import { deepStrictEqual as assertEquals, match as assertMatch } from "node:assert/strict";
import { Shell } from "../shell/shell.ts";
import { errorCode } from "../grammar/errors.ts";
import { as, closedPort } from "./_helpers.ts";
import { failure, microsocks, spawnPeer, text } from "./_peers.ts";

async function errorOf(run: Promise<unknown>): Promise<unknown> {
  try {
    await run;
  } catch (error) {
    return error;
  }
  throw new Error("expected it to fail");
}

Deno.test("open --wait keeps trying until a server that is still starting accepts", async () => {
  await using shell = new Shell({ timeout: 5000 });
  const port = closedPort();
  // A server process that starts listening a moment after the script starts, as in CI.
  const server = spawnPeer("sh", [
    "-c",
    `sleep 1; exec socat TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr EXEC:cat`,
  ]);
  await using _server = server;
  // Right now nothing listens: a plain open is refused at once.
  assertMatch(await failure(shell, `open tcp early 127.0.0.1:${port}`), /connection refused/);
  const a = as(
    await shell.execute(`open tcp a 127.0.0.1:${port} --wait 30s --retry-delay 50ms`),
    "socket",
  );
  assertEquals(a.info.remote, `127.0.0.1:${port}`);
  await shell.execute("sendline a up");
  assertEquals(text(await shell.execute("recvline a")), "up\n");
});

Deno.test("open --retry N tries N more times, then says how many tries it made", async () => {
  await using shell = new Shell({ timeout: 5000 });
  const port = closedPort();
  const error = await errorOf(
    shell.execute(`open tcp a 127.0.0.1:${port} --retry 3 --retry-delay 10ms`),
  );
  assertMatch(
    (error as Error).message,
    new RegExp(
      `^Cannot open "a": connection refused by 127\\.0\\.0\\.1:${port} ` +
        `\\(after 4 tries in \\d+(\\.\\d+)?m?s\\)$`,
    ),
  );
  assertEquals(errorCode(error), "refused");
});

Deno.test("a refusal by the proxy's target is retried too; other errors are not", async () => {
  await using shell = new Shell({ timeout: 5000 });
  const socks = await microsocks();
  await using _socks = socks.peer;
  const refused = await errorOf(
    shell.execute(
      `open tcp p 127.0.0.1:${closedPort()} --proxy socks5://127.0.0.1:${socks.port} ` +
        "--retry 1 --retry-delay 10ms",
    ),
  );
  assertMatch((refused as Error).message, /reply 5 \(connection refused\) \(after 2 tries in /);
  const error = await errorOf(
    shell.execute("open tcp a no-such-host.invalid:80 --retry 5 --retry-delay 10ms"),
  );
  // Not refused: one try, no "(after …)".
  assertEquals((error as Error).message, 'Cannot open "a": host not found: no-such-host.invalid');
});

Deno.test("Ctrl-C ends open --wait none, which would otherwise wait forever", async () => {
  await using shell = new Shell({ timeout: 5000 });
  const port = closedPort();
  const stop = new AbortController();
  const waiting = shell.execute(`open tcp a 127.0.0.1:${port} --wait none --retry-delay 20ms`, {
    signal: stop.signal,
  });
  stop.abort();
  const error = await errorOf(waiting);
  assertEquals(errorCode(error), "cancelled");
  assertMatch((error as Error).message, /^Cannot open "a": cancelled/);
  assertEquals(shell.registry.has("a"), false);
});

Deno.test("bad --retry and --retry-delay values are one-line errors", async () => {
  await using shell = new Shell({ timeout: 5000 });
  assertMatch(await failure(shell, "open tcp a 127.0.0.1:1 --retry -1"), /must be a whole number/);
  assertMatch(
    await failure(shell, "open tcp a 127.0.0.1:1 --retry-delay none"),
    /--retry-delay "none": give a duration/,
  );
  assertMatch(
    await failure(shell, "open udp a 127.0.0.1:1 --wait 1s"),
    /--wait is for tcp and tls sockets, not udp/,
  );
});
