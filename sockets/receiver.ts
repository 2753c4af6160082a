import type { ReadStatus } from "../grammar/errors.ts";
import type { ReadOptions, ReadResult } from "./receive_buffer.ts";

/**
 * The outcome of {@link Receiver.recvExpected}: a read's, plus status `mismatch` when the bytes
 * that arrived differ from the expected ones. Like every status but `ok`, a mismatch consumes
 * nothing: `data` is a copy of what is buffered (the differing bytes stay in the buffer).
 */
export interface ExpectedReadResult extends Omit<ReadResult, "status"> {
  /** How the read ended; `mismatch` at the first differing byte. */
  status: ReadStatus | "mismatch";
  /** For status mismatch: the index of the first byte that differs from the expected bytes. */
  at?: number;
  /** For a datagram: who sent it. */
  from?: string;
}

/**
 * The reading calls every receiving socket offers through its `buffer`: a stream's
 * ReceiveBuffer, or a datagram queue that answers the same calls within one datagram.
 */
export interface Receiver {
  readonly size: number;
  recv(max: number, opts?: ReadOptions): Promise<ReadResult>;
  recvExact(n: number, opts?: ReadOptions): Promise<ReadResult>;
  recvUntil(
    delims: Uint8Array | Uint8Array[],
    opts?: ReadOptions & { drop?: boolean },
  ): Promise<ReadResult>;
  recvLine(opts?: ReadOptions & { drop?: boolean }): Promise<ReadResult>;
  recvMatch(re: RegExp, opts?: ReadOptions): Promise<ReadResult>;
  /**
   * Reads exactly `expected`, comparing as bytes arrive: `ok` (consuming them) once they all
   * arrived equal, `mismatch` as soon as one differs (consuming nothing), else timeout, eof,
   * cancelled or error as any read, with one deadline for the call. On a stream the expected
   * bytes are a claim about the next bytes, however they are split; on datagrams they are the
   * whole next datagram. Replay and the mock check every received byte with this.
   */
  recvExpected(expected: Uint8Array, opts?: ReadOptions): Promise<ExpectedReadResult>;
}
