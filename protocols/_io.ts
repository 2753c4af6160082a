/** Small byte helpers the built-in servers share. Private to `protocols/`. */

/** Writes every byte of `data` (one call in the common case, no allocation). */
export async function writeAll(
  conn: { write(p: Uint8Array): Promise<number> },
  data: Uint8Array,
): Promise<void> {
  let off = await conn.write(data);
  while (off < data.length) off += await conn.write(data.subarray(off));
}

const encoder = new TextEncoder();

/** UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}
