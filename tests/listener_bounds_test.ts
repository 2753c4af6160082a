/** Listener bounds: released children, the registry's limit on finished rows, close --all. */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { Shell } from "../shell/shell.ts";
import { MAX_FINISHED_ROWS } from "../sockets/registry.ts";
import type { StreamSocket } from "../sockets/stream_socket.ts";
import { as, eventually } from "./_helpers.ts";
import { failure, text } from "./_peers.ts";

async function listen(shell: Shell): Promise<number> {
  const info = as(await shell.execute("listen tcp srv :0"), "socket").info;
  return Number(info.local.split(":").pop());
}

Deno.test("an unclaimed child whose peer closed releases its descriptor and keeps its bytes", async () => {
  await using shell = new Shell({ timeout: 3000 });
  const port = await listen(shell);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(new TextEncoder().encode("last words\n"));
  conn.close();
  const child = await eventually(
    () => shell.registry.has("srv.1") && (shell.registry.get("srv.1", "t") as StreamSocket),
    "srv.1",
  );
  await eventually(() => child.released, "the release");
  assertEquals(as(await shell.execute("ls srv.1"), "table").rows[0][2], "peer-closed");
  assertEquals(text(await shell.execute("recvline srv.1")), "last words\n");
  assertMatch(await failure(shell, "send srv.1 x"), /descriptor was released/);
});

Deno.test("ls keeps the latest finished rows only, and says how many in help", async () => {
  await using shell = new Shell({ timeout: 3000 });
  const port = await listen(shell);
  const n = MAX_FINISHED_ROWS + 100;
  for (let i = 0; i < n; i++) (await Deno.connect({ hostname: "127.0.0.1", port })).close();
  const last = `srv.${n}`;
  await eventually(
    () => shell.registry.has(last) && (shell.registry.get(last, "t") as StreamSocket).released,
    "the last child's release",
  );
  const rows = as(await shell.execute("ls"), "table").rows;
  assertEquals(rows.length, 1 + MAX_FINISHED_ROWS);
  assertEquals(rows.at(-1)![0], `srv.${n}`);
  assert(!shell.registry.has("srv.1"));
  const help = as(await shell.execute("help ls"), "text");
  assertMatch(JSON.stringify(help), new RegExp(`latest ${MAX_FINISHED_ROWS}`));
});

Deno.test("close LISTENER leaves its children open; close LISTENER --all closes them too", async () => {
  await using shell = new Shell({ timeout: 3000 });
  const port = await listen(shell);
  const a = await Deno.connect({ hostname: "127.0.0.1", port });
  await shell.execute("accept srv");
  await shell.execute("close srv");
  assertEquals(as(await shell.execute("ls srv.1"), "table").rows[0][2], "open");
  const port2 = await listen(shell);
  const b = await Deno.connect({ hostname: "127.0.0.1", port: port2 });
  await shell.execute("accept srv");
  const closed = as(await shell.execute("close srv --all"), "message").text;
  assertEquals(closed, "closed srv, srv.2");
  assertEquals(as(await shell.execute("ls srv.1 srv.2"), "table").rows.map((r) => r[2]), [
    "open",
    "closed",
  ]);
  assertEquals(await b.read(new Uint8Array(1)), null);
  a.close();
  b.close();
});
