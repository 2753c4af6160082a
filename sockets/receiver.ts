import type { ReadOptions, ReadResult } from "./receive_buffer.ts";

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
}
