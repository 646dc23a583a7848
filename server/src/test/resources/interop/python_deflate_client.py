"""Python's websockets with permessage-deflate (its default): the server answers the extension,
/echo returns a large compressible text and a binary message unchanged, and /ws delivers a chat
message. Usage: python3 python_deflate_client.py ws://127.0.0.1:PORT"""
import asyncio
import json
import sys

import websockets


def extensions(ws):
    headers = getattr(ws, "response_headers", None) or ws.response.headers
    return headers.get("Sec-WebSocket-Extensions", "")


async def main(base):
    async with websockets.connect(base + "/echo", max_size=2 ** 20) as ws:
        negotiated = extensions(ws)
        assert negotiated.startswith("permessage-deflate"), negotiated
        text = json.dumps([{"type": "message", "channel": "lobby", "seq": i, "text": "hello " * 20} for i in range(50)])
        await ws.send(text)
        assert await ws.recv() == text
        blob = bytes(range(256)) * 64
        await ws.send(blob)
        assert await ws.recv() == blob
    async with websockets.connect(base + "/ws") as ws:
        json.loads(await ws.recv())  # welcome
        await ws.send(json.dumps({"type": "join", "channel": "py", "name": "py"}))
        assert json.loads(await ws.recv())["type"] == "joined"
        long_text = "compressed chat " * 40
        await ws.send(json.dumps({"type": "publish", "channel": "py", "text": long_text}))
        message = json.loads(await ws.recv())
        assert message["type"] == "message" and message["text"] == long_text, message
    print("OK python deflate: " + negotiated)


asyncio.run(asyncio.wait_for(main(sys.argv[1]), 30))
