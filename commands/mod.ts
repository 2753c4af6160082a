/**
 * Every shell command, in the order `help` lists them. One file per command; a command
 * added elsewhere (a transport, the recorder, a server) is registered here.
 *
 * @module
 */
import type { Command } from "./types.ts";
import { open } from "./open.ts";
import { listen } from "./listen.ts";
import { accept } from "./accept.ts";
import { send } from "./send.ts";
import { sendline } from "./sendline.ts";
import { recv } from "./recv.ts";
import { recvexact } from "./recvexact.ts";
import { recvline } from "./recvline.ts";
import { recvuntil } from "./recvuntil.ts";
import { expect } from "./expect.ts";
import { recvall } from "./recvall.ts";
import { recvrepeat } from "./recvrepeat.ts";
import { sendafter } from "./sendafter.ts";
import { sendlineafter } from "./sendlineafter.ts";
import { clean } from "./clean.ts";
import { vars } from "./vars.ts";
import { repeat } from "./repeat.ts";
import { shutdown } from "./shutdown.ts";
import { close } from "./close.ts";
import { ls } from "./ls.ts";
import { set } from "./set.ts";
import { sleep } from "./sleep.ts";
import { record } from "./record.ts";
import { log } from "./log.ts";
import { help } from "./help.ts";
import { quit } from "./quit.ts";
import { sendto } from "./sendto.ts";
import { recvfrom } from "./recvfrom.ts";
import { multicast } from "./multicast.ts";
import { starttls } from "./starttls.ts";
import { serve } from "./serve.ts";
import { relay } from "./relay.ts";
import { toxic } from "./toxic.ts";
import { frame } from "./frame.ts";
import { sockopt } from "./sockopt.ts";
import { ping } from "./ping.ts";
import { interact } from "./interact.ts";
import { watch } from "./watch.ts";

/** The built-in commands. */
export const COMMANDS: readonly Command[] = [
  open,
  listen,
  accept,
  send,
  sendline,
  recv,
  recvexact,
  recvline,
  recvuntil,
  expect,
  interact,
  watch,
  recvall,
  recvrepeat,
  sendafter,
  sendlineafter,
  clean,
  sendto,
  recvfrom,
  multicast,
  starttls,
  frame,
  sockopt,
  ping,
  serve,
  relay,
  toxic,
  shutdown,
  close,
  ls,
  set,
  vars,
  sleep,
  repeat,
  record,
  log,
  help,
  quit,
];
