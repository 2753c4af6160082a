/** The baseline: the smallest Deno echo server (read/write on one reused buffer per conn). */
const listener = Deno.listen({ hostname: "127.0.0.1", port: 0, tcpBacklog: 4096 });
console.log(`listening on 127.0.0.1:${(listener.addr as Deno.NetAddr).port}`);
for await (const conn of listener) {
  conn.setNoDelay(true);
  (async () => {
    const buf = new Uint8Array(4096);
    try {
      while (true) {
        const n = await conn.read(buf);
        if (n === null) break;
        let off = 0;
        while (off < n) off += await conn.write(buf.subarray(off, n));
      }
    } catch { /* reset */ }
    try {
      conn.close();
    } catch { /* closed */ }
  })();
}
