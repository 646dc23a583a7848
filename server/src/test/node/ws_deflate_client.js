// The ws package with permessage-deflate (threshold 0, so it compresses everything it sends):
// the server answers the extension, and /echo returns a large text and a binary message unchanged.
// Usage: node ws_deflate_client.js ws://127.0.0.1:PORT
const WebSocket = require('ws');

const base = process.argv[2];
const timer = setTimeout(() => fail('timed out'), 20000);
function fail(why) {
  console.error('FAIL node ws deflate: ' + why);
  process.exit(1);
}

const ws = new WebSocket(base + '/echo', { perMessageDeflate: { threshold: 0 } });
const text = JSON.stringify(Array.from({ length: 50 }, (_, i) => ({ type: 'message', seq: i, text: 'hello '.repeat(20) })));
const blob = Buffer.alloc(16384, 7);
const expected = [text, blob];
ws.on('error', e => fail(e.message));
ws.on('open', () => {
  if (!ws.extensions.startsWith('permessage-deflate')) {
    fail('extension not negotiated: "' + ws.extensions + '"');
  }
  ws.send(text);
  ws.send(blob);
});
ws.on('message', (data, isBinary) => {
  const next = expected.shift();
  const same = isBinary ? Buffer.isBuffer(next) && data.equals(next) : data.toString() === next;
  if (!same) {
    fail('echo differs');
  }
  if (expected.length === 0) {
    clearTimeout(timer);
    console.log('OK node ws deflate: ' + ws.extensions);
    ws.close();
  }
});
