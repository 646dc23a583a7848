"""Python's websockets over wss:// to /echo, trusting only the test CA given: a text and a binary
message come back unchanged. Usage: python3 python_wss_client.py wss://localhost:PORT/echo CA.pem"""
import asyncio
import ssl
import sys

import websockets


async def main(url, ca):
    context = ssl.create_default_context(cafile=ca)
    async with websockets.connect(url, ssl=context) as ws:
        await ws.send("hello over TLS")
        assert await ws.recv() == "hello over TLS"
        await ws.send(b"\x00\x01\xff")
        assert await ws.recv() == b"\x00\x01\xff"
        version = ws.transport.get_extra_info("ssl_object").version()
    print("OK python wss " + version)


asyncio.run(asyncio.wait_for(main(sys.argv[1], sys.argv[2]), 30))
