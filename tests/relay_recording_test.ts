/** A session with a relay in it is recorded with its addresses as variables, and replays. */
import assert from "node:assert/strict";
import { sockit } from "./_helpers.ts";

Deno.test("a recorded relay replays: its target's tcp:ADDR is written as a variable", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/relay.sockit`;
    const recorded = await sockit(
      ["--record", file],
      "serve echo tcp e :0\nrelay r :0 ${e.local}\nopen tcp a ${r.local}\n" +
        "sendline a hi\nrecvline a\nclose a\n",
    );
    assert.equal(recorded.code, 0, recorded.stderr);
    const script = await Deno.readTextFile(file);
    assert.match(script, /\(relay to tcp:\$\{e\.local\};/);
    const replayed = await sockit(["test", file]);
    assert.equal(replayed.code, 0, replayed.stdout + replayed.stderr);
    assert.match(replayed.stdout, /1 passed, 0 failed/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
