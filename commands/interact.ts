import { plural } from "../grammar/plural.ts";
import { render } from "../grammar/render.ts";
import { SockitError } from "../grammar/errors.ts";
import { frameOf } from "../protocols/framing.ts";
import { StreamSocket } from "../sockets/stream_socket.ts";
import { sendable } from "./_send.ts";
import { receivingSocket } from "./_sockets.ts";
import { needTerminal, readChunks, VisibleText } from "./_terminal.ts";
import type { Command, TerminalInput } from "./types.ts";

const LF = new Uint8Array([10]);
const CRLF = new Uint8Array([13, 10]);
const encoder = new TextEncoder();

/**
 * `interact NAME [--crlf] [--hex] [--eof-shutdown]`: joins the terminal to a socket as netcat
 * does, until the escape key (Ctrl-]) gives the prompt back with the socket still open.
 */
export const interact: Command = {
  name: "interact",
  usage: "interact NAME",
  summary: "join the terminal to a socket like netcat: type lines, see replies; Ctrl-] returns",
  details:
    "Every line typed is sent with \\n (--crlf: \\r\\n); on a framed socket, as one message.\n" +
    "What arrives is shown as it arrives, bytes already buffered first: text raw with control\n" +
    "bytes shown as escapes (\\x1b, \\0), or as hexdumps with --hex. It consumes what it shows.\n" +
    "Ctrl-] returns to the prompt and the socket stays open; so does Ctrl-C, and the peer\n" +
    "closing. Ctrl-D sends nothing; with --eof-shutdown it half-closes our side (the peer sees\n" +
    "end of stream) and interact goes on showing what arrives.\n" +
    "Works on any connected socket: tcp, tls, unix, udp, a listener's srv.N. It needs the\n" +
    "interactive shell; a recording leaves it out (script the exchange with send and recv).",
  options: [
    { name: "crlf", type: "flag", summary: "--crlf  end every typed line with \\r\\n" },
    { name: "hex", type: "flag", summary: "--hex  show what arrives as hexdumps" },
    {
      name: "eof-shutdown",
      type: "flag",
      summary: "--eof-shutdown  Ctrl-D half-closes our side (a stream's shutdown)",
    },
  ],
  args: ["socket"],
  minArgs: 1,
  maxArgs: 1,
  script: { unrecorded: true },
  async run(ctx, args) {
    const name = args.positional[0].text;
    const action = "interact with";
    const terminal = needTerminal(ctx, "interact", `${action} "${name}"`);
    await ctx.registry.arrival(name, { timeout: ctx.settings.timeout, signal: ctx.signal });
    const socket = receivingSocket(ctx, name, action);
    const out = sendable(socket, action);
    const eofShutdown = args.options["eof-shutdown"] === true;
    if (eofShutdown && !(socket instanceof StreamSocket)) {
      throw new SockitError(
        `Cannot ${action} "${name}" --eof-shutdown: a ${socket.kind} socket has no half-close`,
        { code: "wrong-kind" },
      );
    }
    const hex = args.options.hex === true;
    const ending = args.options.crlf ? CRLF : LF;
    const stop = new AbortController();
    const signal = AbortSignal.any([ctx.signal, stop.signal]);
    let sent = 0;
    let received = 0;
    let shut = false;
    let failure: unknown;
    let cut: unknown; // a send still waiting on the peer when interact ended
    let writes = Promise.resolve();
    const queue = (write: () => Promise<void>) => {
      writes = writes.then(write).catch((error) => {
        if (signal.aborted) cut ??= error;
        else {
          failure ??= error;
          stop.abort();
        }
      });
    };
    const ctrlD = eofShutdown ? "Ctrl-D shuts down our side" : "Ctrl-D sends nothing";
    terminal.write(
      `interact with ${name}: lines go out with ${args.options.crlf ? "\\r\\n" : "\\n"}; ` +
        `${terminal.escapeKey} returns to the prompt, ${ctrlD}\n`,
    );
    const input: TerminalInput = {
      line(text) {
        if (shut) {
          terminal.write(`(${name} is shut down for writing: nothing sent)\n`);
          return;
        }
        const typed = encoder.encode(text);
        const frame = frameOf(socket);
        const bytes = frame ? frame.encode(typed) : new Uint8Array([...typed, ...ending]);
        queue(async () => {
          sent += await out.write(bytes, { signal, total: bytes.length });
        });
      },
      eof() {
        if (!eofShutdown || shut) {
          terminal.write(
            shut
              ? `(${name} is already shut down for writing)\n`
              : `(Ctrl-D sends nothing; interact --eof-shutdown half-closes, ` +
                `${terminal.escapeKey} returns to the prompt)\n`,
          );
          return;
        }
        shut = true;
        queue(async () => {
          await (socket as StreamSocket).shutdown();
          terminal.write(`(${name} shut down for writing)\n`);
        });
      },
      escape() {
        stop.abort();
      },
    };
    const release = terminal.take(input);
    const text = new VisibleText();
    let end: "eof" | "cancelled";
    try {
      end = await readChunks(socket, signal, action, (data) => {
        received += data.length;
        terminal.write(hex ? render(data, "hex") + "\n" : text.push(data));
      });
      terminal.write(text.flush());
      stop.abort(); // a send still waiting on the peer ends here
      await writes;
    } finally {
      release();
    }
    if (failure) throw failure;
    const counts = `sent ${plural(sent, "byte")}, received ${plural(received, "byte")}`;
    const left = socket.closed ? "closed" : end === "eof" ? "peer closed" : "still open";
    const note = cut instanceof Error ? `; ${cut.message}` : "";
    return {
      kind: "message",
      text: `left interact with ${name} (${counts}); ${name} ${left}${note}`,
    };
  },
};
