// The ws package over wss:// to /echo, trusting only the test CA given: a text and a binary
// message come back unchanged. Usage: node ws_wss_client.js wss://localhost:PORT/echo CA.pem
const fs = require('fs');
const WebSocket = require('ws');

const [url, caFile] = process.argv.slice(2);
const timer = setTimeout(() => fail('timed out'), 20000);
function fail(why) {
  console.error('FAIL node ws wss: ' + why);
  process.exit(1);
}

const ws = new WebSocket(url, { ca: fs.readFileSync(caFile) });
const expected = ['hello over TLS', Buffer.from([0, 1, 255])];
ws.on('error', e => fail(e.message));
ws.on('open', () => {
  ws.send(expected[0]);
  ws.send(expected[1]);
});
ws.on('message', (data, isBinary) => {
  const next = expected.shift();
  const same = isBinary ? Buffer.isBuffer(next) && data.equals(next) : data.toString() === next;
  if (!same) {
    fail('echo differs');
  }
  if (expected.length === 0) {
    clearTimeout(timer);
    console.log('OK node ws wss ' + ws._socket.getProtocol());
    ws.close();
  }
});
