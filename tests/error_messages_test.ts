/**
 * Each error a new user tripped over (issue 12) is one line that names the action and the
 * value, and says what to do instead; each is checked here through the shell or the CLI.
 */
import {
  match as assertMatch,
  ok as assert,
  strictEqual as assertEquals,
} from "node:assert/strict";
import { Shell } from "../shell/shell.ts";
import { renderError } from "../shell/renderer.ts";
import { nearest } from "../grammar/nearest.ts";
import { as, sockit } from "./_helpers.ts";
import { failure, makeTestCerts, text } from "./_peers.ts";

/** A shell with a listener `s`, a client `a` and its accepted side `s.1`. */
async function connectedShell(): Promise<Shell> {
  const shell = new Shell({ timeout: 5000 });
  const s = as(await shell.execute("listen tcp s 127.0.0.1:0"), "socket");
  await shell.execute(`open tcp a ${s.info.local}`);
  await shell.execute("accept s");
  return shell;
}

/** A failing shell line as rendered, hint included (renderError puts it after a `;`). */
async function failureWithHint(shell: Shell, line: string): Promise<string> {
  try {
    await shell.execute(line);
  } catch (error) {
    return renderError(error);
  }
  throw new Error(`expected "${line}" to fail`);
}

Deno.test("an IPv6 address in brackets without a port says the port is missing", async () => {
  await using shell = new Shell();
  assertEquals(
    await failure(shell, "open tcp d [::1]"),
    'error: Cannot open "d": bad address "[::1]": missing :PORT after the ]; for example [::1]:9000',
  );
  assertEquals(
    await failure(shell, "open tcp d [::1"),
    'error: Cannot open "d": bad address "[::1": the [ is never closed; for example [::1]:9000',
  );
});

Deno.test("send on a bound udp socket says what it is and suggests sendto", async () => {
  await using shell = new Shell();
  await shell.execute("listen udp U 127.0.0.1:0");
  const shown = await failureWithHint(shell, "send U hi");
  assertMatch(shown, /^error: Cannot send to "U": it is a bound udp socket with no peer/);
  assertMatch(shown, /sendto U HOST:PORT/);
});

Deno.test("send, shutdown and frame on a built-in server say it is one, not e.1 or e.*", async () => {
  await using shell = new Shell();
  const e = as(await shell.execute("serve echo tcp e 127.0.0.1:0"), "socket");
  for (
    const [line, action] of [["send e hi", "send to"], ["shutdown e", "shut down"], [
      "frame e line",
      "frame",
    ]]
  ) {
    const shown = await failureWithHint(shell, line);
    assertMatch(shown, new RegExp(`^error: Cannot ${action} "e": it is the built-in echo server`));
    assert(!shown.includes("e.1") && !shown.includes("e.*"), shown);
    assert(shown.includes(`open tcp c ${e.info.local}`), shown);
  }
});

Deno.test("record start into a missing folder names the folder", async () => {
  const run = await sockit(["-c", "record start /nonexistent/dir/x.sockit"]);
  assertEquals(run.code, 1);
  assertMatch(
    run.stderr,
    /Cannot record to "\/nonexistent\/dir\/x.sockit": the folder \/nonexistent\/dir does not exist\n$/,
  );
  assert(!run.stderr.includes("os error"), run.stderr);
});

Deno.test("sockit mock of a missing recording says not found", async () => {
  const run = await sockit(["mock", "/nonexist.sockit"]);
  assertEquals(run.code, 1);
  assertEquals(run.stderr, 'error: Cannot mock "/nonexist.sockit": not found\n');
});

Deno.test("mock --listen and record --proxy on a busy port say the address is in use", async () => {
  using busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const at = `127.0.0.1:${busy.addr.port}`;
  const dir = await Deno.makeTempDir();
  try {
    const script = `${dir}/s.sockit`;
    await Deno.writeTextFile(script, "open tcp a 127.0.0.1:9\n");
    const mock = await sockit(["mock", "--listen", at, script]);
    assertEquals(mock.stderr, `error: Cannot mock "${script}" on ${at}: address already in use\n`);
    const proxy = await sockit(["record", "--proxy", at, "127.0.0.1:9", `${dir}/out.sockit`]);
    assertMatch(
      proxy.stderr,
      new RegExp(`Cannot record through a proxy on ${at} .*: address already in use\n$`),
    );
    assertEquals(mock.code, 1);
    assertEquals(proxy.code, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("@- and @/dev/stdin send standard input, not a permission error", async () => {
  const run = await sockit(
    ["-c", "listen tcp s :0; open tcp a ${s.local}; accept s; send a @-; recvexact s.1 5"],
    "hello",
  );
  assertEquals(run.stderr, "");
  assertMatch(run.stdout, /sent 5 bytes to a\n"hello"/);
  const dev = await sockit(
    ["-c", "listen tcp s :0; open tcp a ${s.local}; accept s; send a @/dev/stdin; recv s.1"],
    "hi",
  );
  assertMatch(dev.stdout, /"hi"/);
});

Deno.test("a FIFO is read to its end and sent", async () => {
  await using shell = await connectedShell();
  const dir = await Deno.makeTempDir();
  try {
    const fifo = `${dir}/fifo`;
    const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
    assert(made.success);
    const writer = Deno.open(fifo, { write: true }).then(async (f) => {
      await f.write(new TextEncoder().encode("through a fifo"));
      f.close();
    });
    assertEquals(as(await shell.execute(`send a @${fifo}`), "message").text, "sent 14 bytes to a");
    await writer;
    assertEquals(text(await shell.execute("recvexact s.1 14")), "through a fifo");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("@/dev/urandom sends its first --max bytes, and without --max says to add it", async () => {
  await using shell = await connectedShell();
  assertEquals(
    as(await shell.execute("send a @/dev/urandom --max 32"), "message").text,
    "sent 32 bytes to a",
  );
  assertEquals((as(await shell.execute("recvexact s.1 32"), "data")).data.length, 32);
  const shown = await failureWithHint(shell, "send a @/dev/urandom");
  assertMatch(shown, /^error: Cannot read "@\/dev\/urandom": more than \d+ bytes before its end/);
  assertMatch(shown, /add --max BYTES/);
});

Deno.test("@~/file reads from the home folder", async () => {
  await using shell = await connectedShell();
  const home = Deno.env.get("HOME")!;
  const name = `.sockit-test-${crypto.randomUUID()}`;
  await Deno.writeTextFile(`${home}/${name}`, "at home");
  try {
    await shell.execute(`send a @~/${name}`);
    assertEquals(text(await shell.execute("recvexact s.1 7")), "at home");
  } finally {
    await Deno.remove(`${home}/${name}`);
  }
});

Deno.test("open on port 0 says port 0 is not a peer address", async () => {
  await using shell = new Shell();
  assertEquals(
    await failure(shell, "open tcp d 127.0.0.1:0"),
    'error: Cannot open "d": port 0 is not a peer address; ' +
      "port 0 means any free port only when listening; give the peer's port",
  );
});

Deno.test("sendto an IPv6 address from an IPv4 socket names both families", async () => {
  await using shell = new Shell();
  const u = as(await shell.execute("listen udp U 127.0.0.1:0"), "socket");
  assertEquals(
    await failure(shell, "sendto U [::1]:9 hi"),
    `error: Cannot send to "U": [::1]:9 is IPv6, and "U" is bound to IPv4 ${u.info.local}; ` +
      "for IPv6, listen udp NAME [::1]:0 (or [::]:0)",
  );
});

Deno.test("joining a unicast address as a multicast group says it is not one", async () => {
  await using shell = new Shell();
  await shell.execute("listen udp M 0.0.0.0:0");
  assertEquals(
    await failure(shell, "multicast M join 10.0.0.1"),
    'error: Cannot join multicast group 10.0.0.1 on "M": 10.0.0.1 is not a multicast address; ' +
      "IPv4 groups are 224.0.0.0-239.255.255.255 (e.g. 239.1.2.3); IPv6 ones start ff",
  );
});

Deno.test("a bad regex flag and a bad regex are named, not raw RegExp errors", async () => {
  await using shell = await connectedShell();
  assertEquals(
    await failure(shell, "expect a /x/z"),
    'error: Cannot expect on "a": unknown regex flag "z" in /x/z; ' +
      "flags: i (ignore case), m (^ and $ per line), s (. matches \\n), u (unicode)",
  );
  assertEquals(
    await failure(shell, "expect a /x(/"),
    'error: Cannot expect on "a": bad regex /x(/: unterminated group',
  );
});

Deno.test("open unix on a regular file says it is a file, not a stale socket", async () => {
  await using shell = new Shell();
  const file = await Deno.makeTempFile();
  try {
    assertEquals(
      await failure(shell, `open unix x ${file}`),
      `error: Cannot open "x": ${file} is a file, not a socket file`,
    );
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("open unix without a path shows the usage of open unix", async () => {
  await using shell = new Shell();
  assertEquals(
    await failureWithHint(shell, "open unix x"),
    "error: open unix: missing PATH; usage: open unix NAME PATH",
  );
});

Deno.test("--ca given a key file says the file holds no certificate", async () => {
  await using certs = await makeTestCerts();
  await using shell = new Shell();
  const s = as(
    await shell.execute(`listen tls s 127.0.0.1:0 --cert ${certs.leaf} --key ${certs.leafKey}`),
    "socket",
  );
  assertEquals(
    await failure(shell, `open tls a ${s.info.local} --ca ${certs.leafKey}`),
    `error: Cannot open "a": --ca file "${certs.leafKey}" holds no certificate (it holds a private key); ` +
      "--ca takes a PEM file with -----BEGIN CERTIFICATE-----",
  );
});

Deno.test("an expired certificate is reported as expired, also with --ca", async () => {
  await using certs = await makeTestCerts();
  const d = certs.dir;
  const openssl = (args: string[]) =>
    new Deno.Command("openssl", { args, stderr: "null" }).output();
  assert(
    (await openssl([
      "req",
      "-new",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-subj",
      "/CN=localhost",
      "-keyout",
      `${d}/old.key`,
      "-out",
      `${d}/old.csr`,
    ])).success,
  );
  await Deno.writeTextFile(`${d}/old.ext`, "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
  // -days -1: the certificate ended a day before it was made.
  assert(
    (await openssl([
      "x509",
      "-req",
      "-in",
      `${d}/old.csr`,
      "-CA",
      certs.ca,
      "-CAkey",
      `${d}/ca.key`,
      "-days",
      "-1",
      "-extfile",
      `${d}/old.ext`,
      "-out",
      `${d}/old.pem`,
    ])).success,
  );
  await using shell = new Shell();
  const s = as(
    await shell.execute(`listen tls s 127.0.0.1:0 --cert ${d}/old.pem --key ${d}/old.key`),
    "socket",
  );
  assertMatch(
    await failure(shell, `open tls a ${s.info.local} --ca ${certs.ca}`),
    /^error: Cannot open "a": TLS handshake with 127\.0\.0\.1:\d+ failed: certificate expired$/,
  );
});

Deno.test("recv with a negative count says it must be positive", async () => {
  await using shell = await connectedShell();
  assertEquals(
    await failure(shell, "recv a -5"),
    'error: recv MAX: "-5" must be a positive whole number',
  );
});

Deno.test("sockit sevre suggests serve; sockit read suggests the shell's recv", async () => {
  const sevre = await sockit(["sevre", "echo", "tcp", ":0"]);
  assertEquals(sevre.code, 1);
  assertEquals(sevre.stderr, 'error: Unknown command "sevre"; did you mean sockit serve?\n');
  // (`sockit connect` is a subcommand of its own now: netcat for pipes.)
  const read = await sockit(["read"]);
  assertMatch(read.stderr, /did you mean recv\? recv is a shell command/);
});

Deno.test("sockit help lists the subcommands; sockit help COMMAND shows one", async () => {
  const all = await sockit(["help"]);
  assertEquals(all.code, 0);
  assertMatch(all.stdout, /Usage: sockit/);
  assertMatch(all.stdout, /serve/);
  const serve = await sockit(["help", "serve"]);
  assertMatch(serve.stdout, /Usage: sockit serve/);
  const send = await sockit(["help", "send"]);
  assertEquals(send.code, 0);
  assertMatch(send.stdout, /^usage: send NAME PAYLOAD…/);
});

Deno.test("unknown shell commands get the command users meant; exit is quit", async () => {
  const commands = [...new Shell().commands.keys()];
  const wanted: Record<string, string> = {
    read: "recv",
    write: "send",
    list: "ls",
    connect: "open",
    sned: "send",
    lisetn: "listen",
    recvlin: "recvline",
    clsoe: "close",
  };
  for (const [typed, meant] of Object.entries(wanted)) {
    assertEquals(nearest(typed, commands), meant, `${typed} → ${meant}`);
  }
  await using shell = new Shell();
  assertEquals((await shell.execute("exit")).kind, "quit");
  assertMatch(await failureWithHint(shell, "connect tcp a :1"), /did you mean open\?/);
});
