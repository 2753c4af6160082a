import { type ErrorCode, SockitError, systemErrorCode, systemReason } from "../grammar/errors.ts";
import { showValue } from "../grammar/show_value.ts";

/** Deno's DNS failures carry no class or code of their own: this is their text. */
const LOOKUP_FAILED =
  /failed to lookup|Name or service not known|nodename nor servname|No address associated/i;

/**
 * Words a runtime network error as a one-line SockitError naming the action, the socket and
 * the address, with its {@linkcode ErrorCode}: `Cannot open "a": connection refused by
 * 127.0.0.1:65432` (`refused`). A SockitError passes through unchanged.
 *
 * @example A refused connection
 * ```ts
 * import assert from "node:assert/strict";
 * import { netError } from "./errors_map.ts";
 * const e = netError("open", "a", "127.0.0.1:9", new Deno.errors.ConnectionRefused("x"));
 * assert.equal(e.code, "refused");
 * assert.equal(e.message, 'Cannot open "a": connection refused by 127.0.0.1:9');
 * ```
 */
export function netError(
  action: string,
  name: string,
  address: string,
  error: unknown,
): SockitError {
  if (error instanceof SockitError) return error;
  // Both can echo what the user typed: kept on one line and short.
  const [code, why] = netReason(showValue(address, { quotes: false, max: 80 }), error);
  return new SockitError(`Cannot ${action} "${name}": ${why}`, { code, cause: error });
}

function netReason(address: string, error: unknown): [ErrorCode, string] {
  const code = systemErrorCode(error);
  const errno = (error as { code?: string })?.code;
  switch (code) {
    case "refused":
      return [code, `connection refused by ${address}`];
    case "address-in-use":
      return [code, `address ${address} already in use`];
    case "permission":
      return [code, `permission denied for ${address}`];
    case "timeout":
      return [code, `timed out connecting to ${address}`];
    case "reset":
      return [code, `connection reset by ${address}`];
    case "cancelled":
      return [code, "cancelled"];
    case "too-large":
      return [code, `too large for one datagram to ${address}`];
  }
  if (error instanceof Deno.errors.AddrNotAvailable) {
    return ["failed", `address ${address} is not available here`];
  }
  if (errno === "EAFNOSUPPORT") {
    return ["usage", `${address} is not of this socket's address family (IPv4 and IPv6 differ)`];
  }
  if (errno === "ENETUNREACH" || errno === "EHOSTUNREACH") {
    return ["failed", `no route to ${address}`];
  }
  if (error instanceof Error && LOOKUP_FAILED.test(error.message)) {
    return ["not-found", `host not found: ${address.replace(/:\d+$/, "")}`];
  }
  return [code, `${showValue(systemReason(error), { quotes: false, max: 120 })} (${address})`];
}
