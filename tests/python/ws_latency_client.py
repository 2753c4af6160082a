"""Round-trip latency of a Python `websockets` client: ws_latency_client.py URL N.

Sends N small text messages one at a time, each after the echo of the last, and prints the mean
round trip in microseconds."""
import asyncio
import sys
import time

import websockets


async def main():
    url, n = sys.argv[1], int(sys.argv[2])
    async with websockets.connect(url) as ws:
        for _ in range(100):
            await ws.send("warm")
            await ws.recv()
        start = time.perf_counter()
        for _ in range(n):
            await ws.send("ping")
            await ws.recv()
        print(f"{(time.perf_counter() - start) / n * 1e6:.1f}", flush=True)


asyncio.run(main())
