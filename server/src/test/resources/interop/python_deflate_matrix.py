"""RFC 7692 against /echo with Python's websockets as an independent implementation, in the shape
of Autobahn|Testsuite's cases 12 (compressed messages of every size, text and binary) and 13
(every negotiation parameter): for each offer, the server must agree, and messages of 16 B to
128 KiB, compressible and not, must come back byte for byte.
Usage: python3 python_deflate_matrix.py ws://127.0.0.1:PORT/echo"""
import asyncio
import os
import sys

import websockets
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory

OFFERS = [
    {},
    {"client_no_context_takeover": True},
    {"server_no_context_takeover": True},
    {"client_no_context_takeover": True, "server_no_context_takeover": True},
    {"server_max_window_bits": 9},
    {"server_max_window_bits": 12},
    {"server_max_window_bits": 15},
    {"client_max_window_bits": 9},
    {"client_max_window_bits": 12},
    {"client_max_window_bits": True},
    {"server_max_window_bits": 10, "client_max_window_bits": 10, "client_no_context_takeover": True},
]
SIZES = [16, 64, 256, 1024, 4096, 16384, 65536, 131072]
MESSAGES_PER_SIZE = 10


def payloads(size):
    words = b"the quick brown fox jumps over the lazy dog " * (size // 44 + 1)
    yield words[:size].decode("ascii")      # compressible text
    yield os.urandom(size)                  # incompressible binary
    yield bytes(size)                       # highly compressible binary


def extensions(ws):
    headers = getattr(ws, "response_headers", None) or ws.response.headers
    return headers.get("Sec-WebSocket-Extensions", "")


async def run(url):
    cases = 0
    for offer in OFFERS:
        factory = ClientPerMessageDeflateFactory(compress_settings={"memLevel": 5}, **offer)
        async with websockets.connect(url, extensions=[factory], compression=None, max_size=2 ** 20) as ws:
            agreed = extensions(ws)
            assert agreed.startswith("permessage-deflate"), (offer, agreed)
            for size in SIZES:
                for payload in payloads(size):
                    for _ in range(MESSAGES_PER_SIZE):
                        await ws.send(payload)
                        echoed = await ws.recv()
                        assert echoed == payload, (offer, size, type(payload))
                    cases += 1
    print("OK python deflate matrix: %d offers x %d sizes x 3 payload kinds, %d messages each" %
          (len(OFFERS), len(SIZES), MESSAGES_PER_SIZE))


asyncio.run(asyncio.wait_for(run(sys.argv[1]), 120))
