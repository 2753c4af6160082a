import { SockitError } from "../grammar/errors.ts";
import { showValue } from "../grammar/show_value.ts";

/**
 * Words a runtime network error as a one-line SockitError naming the action, the socket and
 * the address: `Cannot open "a": connection refused by 127.0.0.1:65432`.
 */
export function netError(
  action: string,
  name: string,
  address: string,
  error: unknown,
): SockitError {
  if (error instanceof SockitError) return error;
  const e = error as Error;
  // Both can echo what the user typed: kept on one line and short.
  const message = showValue(e?.message ?? String(error), { quotes: false, max: 120 });
  address = showValue(address, { quotes: false, max: 80 });
  let why: string;
  if (e instanceof Deno.errors.ConnectionRefused) why = `connection refused by ${address}`;
  else if (e instanceof Deno.errors.AddrInUse) why = `address ${address} already in use`;
  else if (e instanceof Deno.errors.AddrNotAvailable) {
    why = `address ${address} is not available here`;
  } else if (e instanceof Deno.errors.PermissionDenied) why = `permission denied for ${address}`;
  else if (e instanceof Deno.errors.TimedOut) why = `timed out connecting to ${address}`;
  else if (e instanceof Deno.errors.ConnectionReset) why = `connection reset by ${address}`;
  else if (
    /lookup|Name or service not known|nodename nor servname|No address associated/i.test(message)
  ) {
    why = `host not found: ${address.replace(/:\d+$/, "")}`;
  } else if (e?.name === "AbortError" || e?.name === "TimeoutError") why = `cancelled`;
  else why = `${message} (${address})`;
  return new SockitError(`Cannot ${action} "${name}": ${why}`, { cause: error });
}
