// pulse.js (the browser client, unchanged) on Node's WebSocket, against a running server:
//   node pulse_delta_client.js WS_URL PULSE_JS VECTORS_JSON
// on Node's own WebSocket where it has one (22 and later), else on the ws package's.
// 1. applies every delta of VECTORS_JSON ([{source, target, delta}], made by the server's encoder)
//    with PulseClient.applyDelta and checks the target;
// 2. joins CHANNEL (snap-js) with a plain client and a {delta: true} client, publishes 20 versions
//    of a 2 KB document from the plain one, and checks that the delta client's `message` events
//    are the plain client's, while what it received were deltas after the first.
// 0. checks the server's deltas against another implementation of the format, the fossil-delta
//    package (a port of Fossil's own delta.c): it applies each of them, checksum verified, and
//    pulse.js applies the deltas it makes of the ASCII vectors;
// Prints "OK pulse.js deltas: V vectors, D of N messages as deltas" and exits 0, else exits 1.
'use strict';
const fs = require('fs');
const [url, pulseJs, vectorsFile] = process.argv.slice(2);
if (typeof globalThis.WebSocket !== 'function') {
  globalThis.WebSocket = require('ws');
}
require(pulseJs);
const PulseClient = globalThis.PulseClient;

function fail(why) {
  console.log('FAIL ' + why);
  process.exit(1);
}

const vectors = JSON.parse(fs.readFileSync(vectorsFile, 'utf8'));
vectors.forEach((v, i) => {
  const made = PulseClient.applyDelta(v.source, v.delta);
  if (made !== v.target) {
    fail('vector ' + i + ' made ' + JSON.stringify(made).slice(0, 200));
  }
});
let crossChecked = 0;
let refused = false;
try {
  PulseClient.applyDelta('abc', vectors.find(v => v.source.length > 1000 && v.delta.includes('@')).delta);
} catch (e) {
  refused = true;
}
if (!refused) {
  fail('a delta applied to the wrong source was taken');
}

// fossil-delta is an ES module: loaded before the rest runs.
import('fossil-delta').then(reference => {
  const bytes = text => new TextEncoder().encode(text);
  vectors.forEach((v, i) => {
    const made = new TextDecoder().decode(reference.applyDelta(bytes(v.source), bytes(v.delta)));
    if (made !== v.target) {
      fail('fossil-delta made another target of vector ' + i);
    }
    if (/^[\x00-\x7f]*$/.test(v.source + v.target)) {
      const theirs = new TextDecoder().decode(reference.createDelta(bytes(v.source), bytes(v.target)));
      if (PulseClient.applyDelta(v.source, theirs) !== v.target) {
        fail('pulse.js did not apply fossil-delta\'s delta of vector ' + i);
      }
      crossChecked++;
    }
  });
  live();
}, e => fail('fossil-delta: ' + e));

/** Two pulse.js clients on the server: the delta one must see exactly the plain one's messages. */
function live() {
  const CHANNEL = 'snap-js';
  const MESSAGES = 20;
  const doc = i => ({ symbol: 'PULSE', price: 100 + i, note: 'steady text '.repeat(150), unicode: 'é€😀' });
  const plain = new PulseClient(url);
  const delta = new PulseClient(url);
  const got = { plain: [], delta: [] };
  let deltas = 0;
  const receive = delta.receive.bind(delta);
  delta.receive = (m, text) => {
    if (m.type === 'message' && m.delta) {
      deltas++;
    }
    return receive(m, text);
  };
  let joined = 0;
  const started = () => {
    if (++joined === 2) {
      for (let i = 0; i < MESSAGES; i++) {
        plain.publish(CHANNEL, doc(i));
      }
    }
  };
  plain.on('joined', started);
  delta.on('joined', started);
  plain.on('message', m => got.plain.push(m));
  delta.on('message', m => {
    got.delta.push(m);
    if (got.delta.length === MESSAGES) {
      setTimeout(check, 200);
    }
  });
  delta.on('error', e => fail('error ' + JSON.stringify(e)));
  plain.join(CHANNEL, { name: 'plain' });
  delta.join(CHANNEL, { name: 'delta', delta: true });
  plain.connect();
  delta.connect();
  setTimeout(() => fail('timed out: ' + got.plain.length + ' and ' + got.delta.length + ' messages'), 20000);

  function check() {
    if (JSON.stringify(got.delta) !== JSON.stringify(got.plain.slice(0, MESSAGES))) {
      fail('the delta client saw other messages: ' + JSON.stringify(got.delta[1]).slice(0, 300));
    }
    if (deltas !== MESSAGES - 1) {
      fail(deltas + ' of ' + MESSAGES + ' messages came as deltas');
    }
    console.log('OK pulse.js deltas: ' + vectors.length + ' vectors (applied by fossil-delta too; ' + crossChecked
        + ' of its own deltas applied by pulse.js), ' + deltas + ' of ' + MESSAGES + ' messages as deltas');
    plain.close();
    delta.close();
    process.exit(0);
  }
}
