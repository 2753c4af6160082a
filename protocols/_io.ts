/** Small byte helpers the built-in servers share. Private to `protocols/`. */

/** Writes every byte of `data` (one call in the common case, no allocation). */
export async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let off = await conn.write(data);
  while (off < data.length) off += await conn.write(data.subarray(off));
}

/** Joins chunks into one array. */
export function concat(chunks: Uint8Array[], total?: number): Uint8Array {
  const size = total ?? chunks.reduce((n, c) => n + c.length, 0);
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

const encoder = new TextEncoder();

/** UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/**
 * Quotes bytes the way sockit payload literals are written: `"…"` with `\\ \" \n \r \t \0`
 * and `\xHH` for other control bytes and bytes that are not valid UTF-8. The result reads back
 * with `send` unchanged, so an ack can be pasted into a script.
 */
export function quoteBytes(bytes: Uint8Array): string {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    // Not UTF-8: show ASCII as itself and every other byte as \xHH.
    text = String.fromCharCode(...bytes);
    return '"' + [...text].map((ch) => escapeChar(ch, true)).join("") + '"';
  }
  return '"' + [...text].map((ch) => escapeChar(ch, false)).join("") + '"';
}

function escapeChar(ch: string, latin1: boolean): string {
  const code = ch.codePointAt(0)!;
  switch (ch) {
    case "\\":
      return "\\\\";
    case '"':
      return '\\"';
    case "\n":
      return "\\n";
    case "\r":
      return "\\r";
    case "\t":
      return "\\t";
    case "\0":
      return "\\0";
  }
  if (code < 0x20 || code === 0x7f || (latin1 && code >= 0x80)) return hex(code);
  // A C1 control in UTF-8 text: escape its two UTF-8 bytes (\xHH is one raw byte).
  if (code >= 0x80 && code < 0xa0) return [...encoder.encode(ch)].map(hex).join("");
  return ch;
}

function hex(byte: number): string {
  return "\\x" + byte.toString(16).padStart(2, "0");
}
