"""A WebSocket client on Python's `websockets`, for the tests: it talks to a sockit ws listener.

Usage: ws_client.py URL [--ca CA.pem]. It prints one line per step (flushed), and expects the
server to echo: "open SUBPROTOCOL", a text and a binary echo, a pong, a 1 MiB binary echo,
an answer to a ping the server sends, and then the server's close code and reason.
"""
import argparse
import asyncio
import ssl

import websockets


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("url")
    p.add_argument("--ca")
    args = p.parse_args()
    context = None
    if args.ca:
        context = ssl.create_default_context(cafile=args.ca)
    async with websockets.connect(
        args.url, ssl=context, subprotocols=["chat"], max_size=None,
    ) as ws:
        print(f"open {ws.subprotocol}", flush=True)
        await ws.send("hello from python")
        print(f"text {await ws.recv()!r}", flush=True)
        await ws.send(bytes([0, 1, 255]))
        print(f"binary {(await ws.recv())!r}", flush=True)
        waiter = await ws.ping(b"py")
        await waiter
        print("pong", flush=True)
        big = bytes(i % 251 for i in range(1 << 20))
        await ws.send(big)
        back = await ws.recv()
        print(f"big {len(back)} {back == big}", flush=True)
        try:
            await ws.recv()
        except websockets.ConnectionClosed as e:
            print(f"closed {e.code} {e.reason}", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
