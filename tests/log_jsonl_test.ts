/**
 * The JSON Lines log: every line checked against docs/log.schema.json by Python's json module
 * (a reader that is not sockit), and the bytes it holds are the bytes that moved.
 */
import assert from "node:assert/strict";
import { Shell } from "../shell/shell.ts";
import { as, echoPeer, sockit } from "./_helpers.ts";

const SCHEMA = new URL("../docs/log.schema.json", import.meta.url).pathname;

/** A small validator for the parts of JSON Schema the log's schema uses, in Python. */
const VALIDATE = `
import json, sys, base64
schema = json.load(open(sys.argv[1]))
props = schema["properties"]
def check(o, n):
    for k in schema["required"]:
        assert k in o, f"line {n}: missing {k}"
    for k, v in o.items():
        assert k in props, f"line {n}: unknown field {k}"
        p = props[k]
        if "enum" in p: assert v in p["enum"], f"line {n}: {k}={v!r}"
        if p.get("type") == "string": assert isinstance(v, str), f"line {n}: {k} not a string"
        if p.get("type") == "integer": assert isinstance(v, int) and v >= p.get("minimum", v), f"line {n}: {k}"
    for rule in schema["allOf"]:
        if o["event"] == rule["if"]["properties"]["event"]["const"]:
            for k in rule["then"]["required"]:
                assert k in o, f"line {n}: {o['event']} without {k}"
    if o["event"] == "data":
        assert len(base64.b64decode(o["bytes"])) == o["size"], f"line {n}: size"
last = 0
for n, line in enumerate(open(sys.argv[2]), 1):
    o = json.loads(line)
    check(o, n)
    assert o["ts"] >= last, f"line {n}: time went back"
    last = o["ts"]
    print(o["socket"], o["event"], o.get("dir", ""), base64.b64decode(o.get("bytes", "")).hex())
`;

async function validate(file: string): Promise<string[]> {
  const out = await new Deno.Command("python3", {
    args: ["-c", VALIDATE, SCHEMA, file],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(out.stderr);
  assert(out.success, `the log does not match its schema: ${err}`);
  return new TextDecoder().decode(out.stdout).trim().split("\n");
}

Deno.test("every line of a JSON Lines log matches the schema, and holds the bytes that moved", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sockit-jsonl-" });
  const file = `${dir}/session.jsonl`;
  await using shell = new Shell();
  await using peer = echoPeer();
  await shell.execute(`log start ${file}`);
  const srv = as(await shell.execute("listen tcp srv 127.0.0.1:0"), "socket");
  await shell.execute(`open tcp c ${srv.info.local}`);
  await shell.execute("accept srv");
  await shell.execute('send c "hi\\n"');
  await shell.execute("recvline srv.1");
  await shell.execute(`open tcp a 127.0.0.1:${peer.addr.port}`);
  await shell.execute('send a "\\x00\\xffbin"');
  await shell.execute("recvexact a 5");
  await shell.execute("shutdown c");
  const u = as(await shell.execute("listen udp u 127.0.0.1:0"), "socket");
  await shell.execute(`open udp d ${u.info.local}`);
  await shell.execute('send d "dgram"');
  await shell.execute("recv u.1");
  await shell.execute("close a");
  await shell.execute("log stop");
  const lines = await validate(file);
  assert.deepEqual(lines.filter((l) => l.includes(" data ")), [
    "c data out 68690a",
    "srv.1 data in 68690a",
    "a data out 00ff62696e",
    "a data in 00ff62696e",
    "d data out 646772616d",
    "u.1 data in 646772616d",
  ]);
  for (
    const e of [
      "srv open",
      "srv accepted",
      "srv.1 open",
      "c shutdown",
      "srv.1 peer-closed",
      "a closed",
    ]
  ) {
    assert(lines.some((l) => l.startsWith(e)), `no "${e}" in\n${lines.join("\n")}`);
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("log refuses a second log, a stop without a log and an unknown format, naming them", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sockit-jsonl-" });
  await using shell = new Shell();
  await assert.rejects(shell.execute("log stop"), /Cannot stop logging: not logging$/);
  await assert.rejects(
    shell.execute(`log start ${dir}/x.log --format xml`),
    /Cannot log to ".*x.log": unknown log format "xml"/,
  );
  await shell.execute(`log start ${dir}/a.jsonl`);
  await assert.rejects(
    shell.execute(`log start ${dir}/b.jsonl`),
    /Cannot log to ".*b.jsonl": already logging to ".*a.jsonl"/,
  );
  assert.equal(as(await shell.execute("log"), "message").text, `logging to ${dir}/a.jsonl (jsonl)`);
  await shell.execute("log stop");
  await assert.rejects(
    shell.execute(`log start ${dir}/missing/x.pcap`),
    /Cannot log to ".*x.pcap": not found/,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("sockit --log logs a whole batch run, and --timestamps stamps the data it prints", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sockit-jsonl-" });
  await using peer = echoPeer();
  const run = await sockit([
    "--log",
    `${dir}/run.jsonl`,
    "--timestamps",
    "relative",
    "-c",
    `open tcp a 127.0.0.1:${peer.addr.port}; send a "ping"; recvexact a 4`,
  ]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^\+\d+\.\d{3} "ping"$/m);
  const lines = await validate(`${dir}/run.jsonl`);
  assert.deepEqual(lines.map((l) => l.split(" ").slice(0, 3).join(" ").trim()), [
    "a open",
    "a data out",
    "a data in",
    "a closed",
  ]);
  await Deno.remove(dir, { recursive: true });
});
