"""A WebSocket echo server on Python's `websockets` (Debian's python3-websockets), for the tests.

Prints "listening PORT" once it listens. Echoes every message with its kind. Special text
messages: "whoami" answers the path, subprotocol and X-Test header as JSON; "close CODE REASON"
closes with that code; "ping me" pings the client and answers "pong received" once the pong came.
When a client's connection ends it prints "closed CODE REASON" (the client's close frame).
--reject STATUS refuses every handshake with that HTTP status; --cert/--key serve wss.
"""
import argparse
import asyncio
import http
import json
import ssl
import sys

import websockets


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--reject", type=int)
    p.add_argument("--cert")
    p.add_argument("--key")
    args = p.parse_args()

    async def process_request(path, headers):
        if args.reject:
            return http.HTTPStatus(args.reject), [], b"rejected\n"
        return None

    async def handler(ws, path=None):
        path = path if path is not None else ws.path
        try:
            async for message in ws:
                if message == "whoami":
                    await ws.send(json.dumps({
                        "path": path,
                        "subprotocol": ws.subprotocol,
                        "x-test": ws.request_headers.get("X-Test"),
                    }))
                elif isinstance(message, str) and message.startswith("close "):
                    _, code, *reason = message.split(" ", 2)
                    await ws.close(int(code), reason[0] if reason else "")
                elif message == "ping me":
                    waiter = await ws.ping(b"from python")
                    await waiter
                    await ws.send("pong received")
                else:
                    await ws.send(message)
        except websockets.ConnectionClosed:
            pass
        print(f"closed {ws.close_code} {ws.close_reason}", flush=True)

    context = None
    if args.cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.cert, args.key)
    async with websockets.serve(
        handler, "127.0.0.1", args.port, ssl=context, max_size=None,
        subprotocols=["chat", "superchat"], process_request=process_request,
    ) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"listening {port}", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
