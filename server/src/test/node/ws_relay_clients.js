// Three `ws` clients in one relay room: each sends a text and a binary message once all are in,
// and must receive the other two's, as sent (same opcode, same bytes), and never its own.
// Usage: node ws_relay_clients.js ws://127.0.0.1:PORT/rooms/NAME
const WebSocket = require('ws');

const url = process.argv[2];
const timer = setTimeout(() => fail('timed out; messages received by each client: '
  + clients.map(c => c.received.length).join(', ')), 20000);
const clients = [0, 1, 2].map(i => ({ i, ws: new WebSocket(url), received: [] }));
let open = 0;

function fail(why) {
  console.error('FAIL ws relay: ' + why);
  process.exit(1);
}

function text(i) { return 'text from ' + i; }
function binary(i) { return Buffer.from([i, 0xff, 0x00, i]); }

function check() {
  if (!clients.every(c => c.received.length === 4)) {
    return;
  }
  for (const c of clients) {
    const others = clients.filter(o => o !== c).map(o => o.i);
    for (const o of others) {
      if (!c.received.some(m => !m.isBinary && m.data.toString() === text(o))) {
        fail(c.i + ' missed the text of ' + o);
      }
      if (!c.received.some(m => m.isBinary && m.data.equals(binary(o)))) {
        fail(c.i + ' missed the binary of ' + o);
      }
    }
  }
  clearTimeout(timer);
  clients.forEach(c => c.ws.close());
  console.log('OK ws relay room: 3 clients, each got the other two\'s text and binary messages, not its own');
  process.exit(0);
}

for (const c of clients) {
  c.ws.on('error', e => fail('client ' + c.i + ': ' + e.message));
  c.ws.on('message', (data, isBinary) => {
    const own = isBinary ? data.equals(binary(c.i)) : data.toString() === text(c.i);
    if (own) {
      fail('client ' + c.i + ' got its own message back');
    }
    c.received.push({ data, isBinary });
    if (c.received.length > 4) {
      fail('client ' + c.i + ' got more than 4 messages');
    }
    check();
  });
  c.ws.on('open', () => {
    if (++open === clients.length) {
      for (const s of clients) {
        s.ws.send(text(s.i));
        s.ws.send(binary(s.i));
      }
    }
  });
}
