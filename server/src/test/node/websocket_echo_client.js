// The `websocket` package's client as the tutorials use it: connect to ws://host:port/ with the
// echo-protocol subprotocol, send text and binary, and expect each back unchanged.
// Usage: node websocket_echo_client.js ws://127.0.0.1:PORT/
const WebSocketClient = require('websocket').client;

const url = process.argv[2];
const client = new WebSocketClient();
const timer = setTimeout(() => fail('timed out'), 20000);

function fail(why) {
  console.error('FAIL websocket echo: ' + why);
  process.exit(1);
}

client.on('connectFailed', error => fail('connect failed: ' + error));
client.on('connect', connection => {
  if (connection.protocol !== 'echo-protocol') {
    fail('subprotocol ' + connection.protocol);
  }
  const expected = [
    { type: 'utf8', value: 'hello from the websocket package' },
    { type: 'binary', value: Buffer.from([0, 1, 2, 253, 254, 255]) },
    { type: 'utf8', value: 'ünïcödé ✓' },
  ];
  const waiting = expected.slice();
  connection.on('error', error => fail('connection error: ' + error));
  connection.on('message', message => {
    const next = waiting.shift();
    if (!next || message.type !== next.type) {
      fail('unexpected ' + message.type + ' message');
    }
    const ok = message.type === 'utf8' ? message.utf8Data === next.value : message.binaryData.equals(next.value);
    if (!ok) {
      fail('echo differs for a ' + message.type + ' message');
    }
    if (waiting.length === 0) {
      connection.close();
    }
  });
  connection.on('close', (code) => {
    clearTimeout(timer);
    if (waiting.length > 0) {
      fail('closed with ' + code + ' before every echo came back');
    }
    console.log('OK websocket echo-protocol on ' + url);
    process.exit(0);
  });
  for (const message of expected) {
    if (message.type === 'utf8') {
      connection.sendUTF(message.value);
    } else {
      connection.sendBytes(message.value);
    }
  }
});
client.connect(url, 'echo-protocol');
