// socket.io-client 4.x against Pulse's /socket.io/, written as a tutorial's client code would be.
// Usage: node socketio_clients.js SCENARIO http://127.0.0.1:PORT [arguments]
// Prints "OK <scenario>: ..." and exits 0, or prints "FAIL ..." and exits 1.
const { io } = require('socket.io-client');

const [scenario, url, ...rest] = process.argv.slice(2);
const timer = setTimeout(() => fail('timed out'), 30000);
const sockets = [];

function fail(why) {
  console.log('FAIL ' + scenario + ': ' + why);
  process.exit(1);
}

function ok(what) {
  clearTimeout(timer);
  sockets.forEach(s => s.close());
  console.log('OK ' + scenario + ': ' + what);
  process.exit(0);
}

function connect(options) {
  const socket = io(url, Object.assign({ reconnection: false, forceNew: true }, options));
  socket.on('connect_error', e => options && options.expectError ? null : fail('connect_error: ' + e.message));
  sockets.push(socket);
  return socket;
}

function connected(socket) {
  return socket.connected ? Promise.resolve(socket) : new Promise(resolve => socket.once('connect', () => resolve(socket)));
}

function request(socket, event, fields) {
  return new Promise(resolve => socket.emit(event, fields, resolve));
}

async function join(socket, channel, name) {
  const answer = await request(socket, 'join', { channel, name });
  if (answer.type !== 'joined' || answer.channel !== channel) {
    fail('join ' + channel + ' answered ' + JSON.stringify(answer));
  }
  return answer;
}

function sleep(ms) {
  return new Promise(resolve => setTimeout(resolve, ms));
}

const scenarios = {
  // Two sockets on one transport set: join with an ack, publish with an ack, the message arrives as an event.
  async chat() {
    const transports = rest[0] === 'websocket' ? ['websocket'] : ['polling', 'websocket'];
    const ann = await connected(connect({ transports }));
    const bobSocket = connect({ transports });
    const welcome = new Promise(resolve => bobSocket.once('welcome', resolve));
    const bob = await connected(bobSocket);
    await join(ann, 'lobby', 'ann');
    const joined = await join(bob, 'lobby', 'bob');
    if (!joined.members.some(m => m.name === 'ann')) {
      fail('bob does not see ann in ' + JSON.stringify(joined.members));
    }
    const arrived = new Promise(resolve => bob.on('message', m => resolve(m)));
    const ack = await request(ann, 'publish', { channel: 'lobby', text: 'hello from ann' });
    if (ack.type !== 'ack' || !(ack.seq > 0)) {
      fail('publish answered ' + JSON.stringify(ack));
    }
    const message = await arrived;
    if (message.text !== 'hello from ann' || message.name !== 'ann' || message.seq !== ack.seq || message.from !== ann.id) {
      fail('bob got ' + JSON.stringify(message));
    }
    const error = await request(bob, 'publish', { channel: 'elsewhere', text: 'x' });
    if (error.type !== 'error' || error.code !== 'not_joined') {
      fail('a publish to a channel not joined answered ' + JSON.stringify(error));
    }
    await sleep(300);
    ok('ids ' + ann.id + ', ' + bob.id + ', transport ' + ann.io.engine.transport.name + ', welcome '
      + ((await welcome).type) + ', message seq ' + message.seq);
  },

  // A custom event goes to the other sockets of the sender's channels, binary attachments included,
  // and to nobody else; from a socket in no channel it goes to every socket in no channel (the
  // sender too, as io.emit would), never to a channel's members.
  async relay() {
    const [a, b, c, d, e] = await Promise.all([0, 1, 2, 3, 4].map(() => connected(connect({ transports: ['websocket'] }))));
    await join(a, 'room1', 'a');
    await join(b, 'room1', 'b');
    // As many tutorials write it: the room's name alone.
    const joinedByName = await new Promise(resolve => c.emit('join', 'room2', resolve));
    if (joinedByName.type !== 'joined' || joinedByName.channel !== 'room2') {
      fail('join by name answered ' + JSON.stringify(joinedByName));
    }
    const got = { a: [], b: [], c: [], d: [], e: [] };
    for (const [name, socket] of Object.entries({ a, b, c, d, e })) {
      socket.on('chat message', (...args) => got[name].push(['chat message', ...args]));
      socket.on('file', (...args) => got[name].push(['file', ...args]));
      socket.on('announce', (...args) => got[name].push(['announce', ...args]));
    }
    const relayed = await new Promise(resolve => a.emit('chat message', 'hi room1', { n: 1 }, resolve));
    a.emit('file', { name: 'three.bin' }, Buffer.from([1, 2, 3]));
    d.emit('announce', 'to everyone');
    await sleep(700);
    const b1 = got.b.find(e => e[0] === 'chat message');
    if (!b1 || b1[1] !== 'hi room1' || b1[2].n !== 1) {
      fail('b got ' + JSON.stringify(got.b));
    }
    const file = got.b.find(e => e[0] === 'file');
    if (!file || file[1].name !== 'three.bin' || !Buffer.isBuffer(file[2]) || !file[2].equals(Buffer.from([1, 2, 3]))) {
      fail('b did not get the binary attachment: ' + JSON.stringify(got.b));
    }
    if (got.a.length > 0 || got.c.length > 0) {
      fail('the sender, another room or a channel-less socket reached a member: a ' + JSON.stringify(got.a)
        + ' c ' + JSON.stringify(got.c));
    }
    if (got.b.some(e => e[0] === 'announce')) {
      fail('a socket in no channel reached a member of room1: ' + JSON.stringify(got.b));
    }
    for (const name of ['d', 'e']) {
      if (got[name].filter(x => x[0] === 'announce').length !== 1) {
        fail(name + ' did not get the announce once: ' + JSON.stringify(got[name]));
      }
    }
    ok('room event to b only, binary attachment intact, ack called back' + (relayed === undefined ? ' with no arguments' : ' with ' + JSON.stringify(relayed)) + ', announce to the 2 sockets in no channel only');
  },

  // A socket that starts on polling (the default) and upgrades while a publisher streams to it:
  // nothing lost, nothing twice, in order. Its join is emitted before the connection is up, so it
  // leaves over polling; the upgrade runs meanwhile.
  async upgrade() {
    const total = 300;
    const publisher = await connected(connect({ transports: ['websocket'] }));
    await join(publisher, 'stream', 'publisher');
    const reader = connect({ rememberUpgrade: false });
    const seqs = [];
    const overPolling = [];
    reader.on('message', m => {
      seqs.push(m.seq);
      if (reader.io.engine.transport.name === 'polling') {
        overPolling.push(m.seq);
      }
    });
    const joined = request(reader, 'join', { channel: 'stream', name: 'reader' });
    let published = 0;
    const streaming = (async () => {
      for (; published < total; published++) {
        const ack = await request(publisher, 'publish', { channel: 'stream', text: 'm' + published });
        if (ack.type !== 'ack') {
          fail('publish answered ' + JSON.stringify(ack));
        }
      }
    })();
    await joined;
    await streaming;
    const deadline = Date.now() + 10000;
    const last = () => seqs.length === 0 ? -1 : seqs[seqs.length - 1];
    while (seqs.length > 0 && last() < seqs[0] + total && Date.now() < deadline && seqs.length < total) {
      await sleep(50);
    }
    await sleep(200);
    for (let i = 1; i < seqs.length; i++) {
      if (seqs[i] !== seqs[i - 1] + 1) {
        fail('seq ' + seqs[i] + ' after ' + seqs[i - 1]);
      }
    }
    if (seqs.length === 0 || reader.io.engine.transport.name !== 'websocket') {
      fail('got ' + seqs.length + ' messages, transport ' + reader.io.engine.transport.name);
    }
    ok(seqs.length + ' messages from seq ' + seqs[0] + ' in order without a gap or a repeat, ' + overPolling.length
      + ' of them over polling, the rest after the upgrade to WebSocket');
  },

  // Two sockets on long-polling only, through a balancer that sends each request to the next node
  // (StickyFreePollingTest): each publishes N messages while reading the other's, and gets all of
  // them, once each, in the order they were sent.
  async pollingchat() {
    const total = Number(rest[0] || 100);
    const names = ['ann', 'bob'];
    const sockets = await Promise.all(names.map(() => connected(connect({ transports: ['polling'] }))));
    const got = { ann: [], bob: [] };
    for (let i = 0; i < 2; i++) {
      await join(sockets[i], 'lobby', names[i]);
      sockets[i].on('message', m => got[names[i]].push(m));
    }
    await Promise.all(sockets.map(async (socket, i) => {
      for (let n = 0; n < total; n++) {
        const ack = await request(socket, 'publish', { channel: 'lobby', text: names[i] + ' ' + n });
        if (ack.type !== 'ack') {
          fail(names[i] + "'s publish " + n + ' answered ' + JSON.stringify(ack));
        }
      }
    }));
    const fromOther = name => got[name].filter(m => m.name !== name);
    const deadline = Date.now() + 20000;
    while (names.some(name => fromOther(name).length < total) && Date.now() < deadline) {
      await sleep(50);
    }
    for (const name of names) {
      const other = names.find(n => n !== name);
      const texts = fromOther(name).map(m => m.text);
      const expected = Array.from({ length: total }, (_, n) => other + ' ' + n);
      if (JSON.stringify(texts) !== JSON.stringify(expected)) {
        fail(name + ' got ' + texts.length + ' of ' + other + "'s " + total + ' messages, or out of order: '
          + JSON.stringify(texts.slice(0, 20)));
      }
      const seqs = got[name].map(m => m.seq);
      if (seqs.some((seq, k) => k > 0 && seq <= seqs[k - 1])) {
        fail(name + ' got seqs out of order: ' + JSON.stringify(seqs));
      }
    }
    if (sockets.some(socket => socket.io.engine.transport.name !== 'polling')) {
      fail('a socket left polling');
    }
    ok(total + ' messages each way, all received once in order; sessions ' + sockets.map(s => s.io.engine.id).join(', '));
  },

  // With --jwt-secret the token goes in auth; without it, or with a bad one, CONNECT_ERROR.
  async jwt() {
    const [good, bad] = rest;
    const errors = [];
    for (const auth of [undefined, { token: bad }]) {
      const socket = connect({ transports: ['websocket'], auth, expectError: true });
      errors.push(await new Promise(resolve => socket.once('connect_error', e => resolve(e.message))));
      socket.close();
    }
    const socket = await connected(connect({ transports: ['websocket'], auth: { token: good } }));
    const joined = await join(socket, 'private', 'ignored');
    const me = joined.members.find(m => m.id === socket.id);
    if (!me || me.name !== 'alice') {
      fail('the member is not named after the token: ' + JSON.stringify(joined.members));
    }
    ok('refused with "' + errors.join('" and "') + '", admitted as ' + me.name);
  },

  // The server restarts: the client reconnects on its own and joins again in its connect handler.
  async reconnect() {
    const socket = connect({ transports: ['websocket'], reconnection: true, reconnectionDelay: 200,
      reconnectionDelayMax: 500 });
    let connects = 0;
    let reasons = [];
    socket.on('disconnect', reason => reasons.push(reason));
    socket.on('connect', async () => {
      connects++;
      await join(socket, 'lobby', 'phoenix');
      if (connects === 1) {
        console.log('READY');
      } else {
        ok('connected ' + connects + ' times, disconnected for ' + JSON.stringify(reasons) + ', joined again');
      }
    });
    socket.io.on('reconnect_error', () => {});
    socket.off('connect_error');
  },
};

if (!scenarios[scenario]) {
  fail('no scenario ' + scenario);
}
scenarios[scenario]().catch(e => fail(e.stack || String(e)));
