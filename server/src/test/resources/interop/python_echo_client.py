"""Drives Pulse's /echo with Python's `websockets` library, an independent RFC 6455 client.

Usage: python3 python_echo_client.py ws://127.0.0.1:PORT/echo
Exits non-zero, with the failed assertion on stderr, if anything is not as RFC 6455 says.
"""
import asyncio
import os
import sys

import websockets


async def main(uri):
    async with websockets.connect(uri, subprotocols=["echo-protocol"], max_size=4 * 1024 * 1024) as ws:
        assert ws.subprotocol == "echo-protocol", ws.subprotocol

        await ws.send("héllo from python ✓")
        assert await ws.recv() == "héllo from python ✓"

        data = os.urandom(100_000)
        await ws.send(data)
        assert await ws.recv() == data

        # An iterable is sent as one message in several frames.
        await ws.send(["frag", "men", "ted"])
        assert await ws.recv() == "fragmented"

        pong = await ws.ping(b"python ping")
        await asyncio.wait_for(pong, 10)

        big = "x" * (1024 * 1024)
        await ws.send(big)
        assert await ws.recv() == big

        await ws.close(code=4100, reason="bye")
        assert ws.close_code == 4100, ws.close_code

    async with websockets.connect(uri, max_size=4 * 1024 * 1024) as ws:
        await ws.send(b"\0" * (1024 * 1024 + 1))
        try:
            await asyncio.wait_for(ws.recv(), 10)
            raise AssertionError("expected the server to close with 1009")
        except websockets.ConnectionClosed as closed:
            assert closed.rcvd is not None and closed.rcvd.code == 1009, closed

    print("OK python websockets", websockets.__version__)


asyncio.run(main(sys.argv[1]))
