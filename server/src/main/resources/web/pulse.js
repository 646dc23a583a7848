/*
 * pulse.js — a small client for Pulse's /ws protocol (docs/PROTOCOL.md), for browsers.
 *
 *   const client = new PulseClient('ws://' + location.host + '/ws');
 *   client.on('state', s => console.log(s));            // connecting | open | reconnecting | closed
 *   client.on('message', m => console.log(m.channel, m.seq, m.text !== undefined ? m.text : m.data));
 *   client.join('lobby', { name: 'ann' });
 *   client.publish('lobby', 'hello').then(ack => console.log('seq', ack.seq));
 *   client.publish('lobby', { temperature: 21.5 });   // structured data arrives as m.data
 *   client.connect();
 *
 * The URL may be a list of the nodes of a cluster (docs/CLUSTER.md):
 *   new PulseClient(['wss://a.example/ws', 'wss://b.example/ws'])
 * connects to the first and, each time a connection ends, tries the next one.
 *
 * What it does for you:
 * - reconnects with exponential backoff and jitter (options.minDelayMs .. maxDelayMs), at once
 *   after 4000 (heartbeat) and 4002 (slow consumer), and not at all after the close codes that say
 *   the client is at fault (1002, 1003, 1007, 1008, 1009, 1010) or after close() — the close-code
 *   table of docs/PROTOCOL.md; after 4001 (token expired) only when options.token is a function;
 * - sends an application ping every options.heartbeatMs and reconnects when the pong does not come
 *   within options.heartbeatTimeoutMs (a dead path the browser has not noticed);
 * - re-joins every channel after a reconnect with `since` and `epoch`, so the messages published
 *   while it was away arrive from history; every message is delivered once (deduplicated by
 *   epoch and seq), also when the server itself restarted; a history longer than one `joined`
 *   holds (`more`) is fetched part by part;
 * - queues publishes, direct messages and joins made while not connected (up to
 *   options.maxQueued) and sends them once connected;
 * - with options.token a function, calls it again and sends `refresh` a little before the
 *   connection token expires (docs/AUTH.md); join(channel, {token}) takes a subscription token (or
 *   a function of the channel giving one), renewed the same way before it expires and after
 *   `left` with reason subscription_expired; a channel left as `forbidden` is not joined again.
 *
 *   const client = new PulseClient(url, { token: () => fetchToken() });
 *   client.join('private-7', { token: channel => fetchSubscriptionToken(channel) });
 *   client.rpc('add', [2, 3]).then(answer => console.log(answer.data));
 *
 * join(channel, {delta: true}) asks for the channel's messages as deltas (where its namespace
 * allows them, and for $metrics): each arrives as a small patch against the one before, which
 * pulse.js applies, so `message` handlers see whole messages as ever (docs/PROTOCOL.md, Deltas).
 *
 * Where WebSocket cannot go (a proxy that breaks it): after options.sseAfter attempts in a row
 * that never opened, the client falls back to Server-Sent Events (options.sse, by default the
 * /sse beside the first URL's /ws; false to never fall back) and emits 'transport' with 'sse'.
 * Over SSE it only listens: its channels arrive as before, deduplicated and resumed (the browser's
 * Last-Event-ID, or the positions it knows when it reopens the stream to join or leave); publish,
 * direct and rpc fail with {code: 'read_only'}. client.transport says which is in use.
 *
 * Events: state (string), transport ('websocket' or 'sse'), welcome, joined, message, presence,
 * direct, left, error, refreshed, close ({code, reason}).
 */
(function (global) {
  'use strict';

  const CLIENT_FAULT = new Set([1002, 1003, 1007, 1008, 1009, 1010]);

  class PulseClient {
    constructor(url, options) {
      this.urls = Array.isArray(url) ? url.slice() : [url];
      this.url = this.urls[0];
      this.options = Object.assign({
        minDelayMs: 500,
        maxDelayMs: 15000,
        heartbeatMs: 20000,
        heartbeatTimeoutMs: 10000,
        maxQueued: 1000,
        token: null, // a string, or a function returning one (called before each connect, and to refresh)
        refreshBeforeMs: 10000, // how long before a token's exp it is renewed
        sse: null, // the /sse URL to fall back to; null: beside the first URL's /ws; false: never
        sseAfter: 2 // WebSocket attempts in a row that never opened before falling back
      }, options || {});
      this.transport = 'websocket';
      this.es = null;
      this.neverOpened = 0;
      this.state = 'idle';
      this.id = null;
      this.epoch = null;
      this.channels = new Map(); // name -> { name, displayName, lastSeq, epoch }
      this.queue = [];
      this.pending = new Map(); // ref -> { resolve, reject }
      this.handlers = {};
      this.attempt = 0;
      this.nextRef = 1;
      this.ws = null;
      this.timers = { reconnect: null, heartbeat: null, pongDeadline: null, refresh: null };
      this.stopped = false;
    }

    on(event, handler) {
      (this.handlers[event] = this.handlers[event] || []).push(handler);
      return this;
    }

    off(event, handler) {
      this.handlers[event] = (this.handlers[event] || []).filter(h => h !== handler);
      return this;
    }

    emit(event, value) {
      for (const handler of this.handlers[event] || []) {
        try {
          handler(value);
        } catch (e) {
          console.error('pulse.js handler for ' + event + ' failed', e);
        }
      }
    }

    connect() {
      this.stopped = false;
      this.open();
      return this;
    }

    /** Closes for good: no reconnect. */
    close() {
      this.stopped = true;
      clearTimeout(this.timers.reconnect);
      this.stopHeartbeat();
      if (this.ws) {
        this.ws.close(1000, 'bye');
      }
      if (this.es) {
        this.es.close();
        this.es = null;
      }
      this.setState('closed');
    }

    join(channel, opts) {
      const entry = this.channels.get(channel) || { name: channel, lastSeq: 0, epoch: null };
      entry.displayName = opts && opts.name ? opts.name : entry.displayName;
      entry.token = opts && opts.token ? opts.token : entry.token;
      entry.delta = opts && opts.delta !== undefined ? Boolean(opts.delta) : entry.delta;
      this.channels.set(channel, entry);
      if (this.transport === 'sse') {
        this.openSse(); // a stream names its channels: a new one, from where the others stood
      } else if (this.state === 'open') {
        this.sendJoin(entry);
      }
    }

    leave(channel) {
      this.channels.delete(channel);
      if (this.transport === 'sse') {
        this.openSse();
        return Promise.resolve({ type: 'left', channel: channel });
      }
      return this.request({ type: 'leave', channel: channel });
    }

    /**
     * Publishes a text (a string) or structured data (any other JSON value) and resolves with the
     * ack ({channel, seq}) once the server has numbered the message. Members receive data as `data`.
     */
    publish(channel, content) {
      const message = { type: 'publish', channel: channel };
      if (typeof content === 'string') {
        message.text = content;
      } else {
        message.data = content;
      }
      return this.request(message);
    }

    direct(to, text) {
      return this.request({ type: 'direct', to: to, text: text });
    }

    /** Calls the server's backend (docs/AUTH.md, --proxy-rpc-url); resolves with the answer ({data}). */
    rpc(method, data) {
      const message = { type: 'rpc', method: method };
      if (data !== undefined) {
        message.data = data;
      }
      return this.request(message);
    }

    /** Sends a new connection token for the same user; resolves with {expiresAt}. */
    refresh(token) {
      return this.request({ type: 'refresh', token: token }).then(answer => {
        this.scheduleRefresh(token);
        this.emit('refreshed', answer);
        return answer;
      });
    }

    /** The exp of a JWT, in ms, or null (the client only reads it, to know when to renew). */
    static expiry(token) {
      try {
        const payload = JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
        return typeof payload.exp === 'number' ? payload.exp * 1000 : null;
      } catch (e) {
        return null;
      }
    }

    scheduleRefresh(token) {
      clearTimeout(this.timers.refresh);
      const exp = PulseClient.expiry(token);
      if (exp === null || typeof this.options.token !== 'function') {
        return;
      }
      const delay = Math.max(0, exp - Date.now() - this.options.refreshBeforeMs);
      this.timers.refresh = setTimeout(() => {
        Promise.resolve(this.options.token()).then(fresh => {
          if (fresh && this.state === 'open') {
            this.refresh(fresh).catch(e => this.emit('error', e));
          }
        });
      }, delay);
    }

    request(message) {
      message.ref = 'r' + (this.nextRef++);
      return new Promise((resolve, reject) => {
        this.pending.set(message.ref, { resolve: resolve, reject: reject });
        this.send(message);
      });
    }

    send(message) {
      if (this.transport === 'sse') {
        this.fail(message.ref, { code: 'read_only', message: 'connected over SSE (WebSocket unavailable): read-only' });
        return;
      }
      if (this.state === 'open' && this.ws && this.ws.readyState === 1) {
        this.ws.send(JSON.stringify(message));
      } else if (this.queue.length < this.options.maxQueued) {
        this.queue.push(message);
      } else {
        this.fail(message.ref, { code: 'queue_full', message: 'not connected and the send queue is full' });
      }
    }

    // --- connection -----------------------------------------------------------------------

    open() {
      this.setState(this.attempt === 0 ? 'connecting' : 'reconnecting');
      // With several nodes, each attempt after a lost connection goes to the next one.
      this.url = this.urls[this.attempt % this.urls.length];
      let url = this.url;
      const token = typeof this.options.token === 'function' ? this.options.token() : this.options.token;
      if (token) {
        url += (url.indexOf('?') < 0 ? '?' : '&') + 'token=' + encodeURIComponent(token);
        this.connectedWith = token;
      }
      const ws = new WebSocket(url);
      this.ws = ws;
      let opened = false;
      ws.onopen = () => {
        opened = true;
        this.neverOpened = 0;
      };
      ws.onmessage = event => this.receive(JSON.parse(event.data), event.data);
      ws.onclose = event => {
        if (this.ws === ws) {
          if (!opened) {
            this.neverOpened++;
          }
          this.onClose(event.code, event.reason);
        }
      };
    }

    // --- the SSE fallback ------------------------------------------------------------------

    sseUrl() {
      if (this.options.sse) {
        return this.options.sse;
      }
      return this.urls[0].replace(/^ws/, 'http').replace(/\/ws(\?.*)?$/, '/sse');
    }

    /** Opens (or reopens, for a changed list of channels) the stream of every channel joined. */
    openSse() {
      if (this.es) {
        this.es.close();
        this.es = null;
      }
      const names = Array.from(this.channels.keys());
      if (names.length === 0) {
        this.setState('open'); // nothing to listen to yet: the stream opens with the first join
        return;
      }
      const params = names.map(name => 'channel=' + encodeURIComponent(name));
      const named = names.map(name => this.channels.get(name).displayName).find(name => name);
      if (named) {
        params.push('name=' + encodeURIComponent(named));
      }
      const token = typeof this.options.token === 'function' ? this.options.token() : this.options.token;
      if (token) {
        params.push('token=' + encodeURIComponent(token));
      }
      // Where each channel stood, in the order of the channel parameters (docs/PROTOCOL.md).
      const positions = names.map(name => {
        const entry = this.channels.get(name);
        return entry.epoch ? entry.epoch + ':' + entry.lastSeq : '-';
      });
      if (positions.some(p => p !== '-')) {
        params.push('lastEventId=' + encodeURIComponent(positions.join(' ')));
      }
      const es = new EventSource(this.sseUrl() + '?' + params.join('&'));
      this.es = es;
      const take = event => {
        if (this.es === es) {
          this.receive(JSON.parse(event.data), event.data);
        }
      };
      es.onmessage = take;
      ['welcome', 'joined', 'presence', 'left', 'direct', 'pulse-error'].forEach(type => es.addEventListener(type, take));
      es.addEventListener('close', event => this.emit('close', JSON.parse(event.data)));
      es.onerror = () => {
        if (this.es !== es) {
          return;
        }
        // The browser reconnects by itself (with Last-Event-ID) unless it gave up (readyState 2).
        this.setState('reconnecting');
        if (es.readyState === 2 && !this.stopped) {
          this.timers.reconnect = setTimeout(() => this.openSse(), this.options.minDelayMs);
        }
      };
    }

    onClose(code, reason) {
      this.ws = null;
      this.stopHeartbeat();
      this.emit('close', { code: code, reason: reason });
      if (!this.stopped && this.options.sse !== false && this.neverOpened >= this.options.sseAfter
          && typeof EventSource !== 'undefined') {
        this.transport = 'sse';
        this.emit('transport', 'sse');
        this.openSse();
        return;
      }
      if (this.stopped || CLIENT_FAULT.has(code) || (code === 4001 && typeof this.options.token !== 'function')) {
        this.setState('closed');
        return;
      }
      this.attempt++;
      const immediate = code === 4000 || code === 4002 || code === 4001;
      const ceiling = Math.min(this.options.maxDelayMs, this.options.minDelayMs * Math.pow(2, this.attempt - 1));
      // Full jitter spreads the reconnects of many clients after a server restart.
      const delay = immediate && this.attempt === 1 ? 0 : Math.random() * ceiling;
      this.setState('reconnecting');
      this.timers.reconnect = setTimeout(() => this.open(), delay);
    }

    setState(state) {
      if (this.state !== state) {
        this.state = state;
        this.emit('state', state);
      }
    }

    // --- heartbeat ------------------------------------------------------------------------

    startHeartbeat() {
      this.stopHeartbeat();
      this.timers.heartbeat = setInterval(() => {
        if (!this.ws || this.ws.readyState !== 1) {
          return;
        }
        this.ws.send(JSON.stringify({ type: 'ping', ref: 'hb' }));
        clearTimeout(this.timers.pongDeadline);
        this.timers.pongDeadline = setTimeout(() => {
          if (this.ws) {
            this.ws.close(4000, 'no pong');
          }
        }, this.options.heartbeatTimeoutMs);
      }, this.options.heartbeatMs);
    }

    stopHeartbeat() {
      clearInterval(this.timers.heartbeat);
      clearTimeout(this.timers.pongDeadline);
      clearTimeout(this.timers.refresh);
    }

    // --- messages -------------------------------------------------------------------------

    sendJoin(entry) {
      const join = { type: 'join', channel: entry.name };
      if (entry.token) {
        join.token = typeof entry.token === 'function' ? entry.token(entry.name) : entry.token;
        // Renewed by joining again with a fresh one a little before it expires.
        clearTimeout(entry.renew);
        const exp = join.token ? PulseClient.expiry(join.token) : null;
        if (exp !== null && typeof entry.token === 'function') {
          entry.renew = setTimeout(() => {
            if (this.state === 'open' && this.channels.get(entry.name) === entry) {
              this.sendJoin(entry);
            }
          }, Math.max(0, exp - Date.now() - this.options.refreshBeforeMs));
        }
      }
      if (entry.displayName) {
        join.name = entry.displayName;
      }
      if (entry.delta) {
        join.delta = true;
      }
      if (entry.epoch !== null) {
        join.since = entry.lastSeq;
        join.epoch = entry.epoch;
      }
      this.ws.send(JSON.stringify(join));
    }

    /** Handles one message from the server; {@code text} is it as sent (the base of the next delta). */
    receive(m, text) {
      switch (m.type) {
        case 'welcome':
          this.id = m.id;
          this.epoch = m.epoch;
          this.attempt = 0;
          this.setState('open');
          if (this.transport === 'sse') {
            this.emit('welcome', m); // the stream joins its channels itself
            break;
          }
          for (const entry of this.channels.values()) {
            this.sendJoin(entry);
          }
          const queued = this.queue;
          this.queue = [];
          queued.forEach(message => this.send(message));
          this.startHeartbeat();
          if (this.connectedWith) {
            this.scheduleRefresh(this.connectedWith);
          }
          this.emit('welcome', m);
          break;
        case 'joined': {
          const entry = this.channels.get(m.channel) || { name: m.channel, lastSeq: 0 };
          if (entry.epoch !== m.epoch) {
            // First join, or the server restarted: seq starts again in this epoch.
            entry.epoch = m.epoch;
            entry.lastSeq = 0;
          }
          this.channels.set(m.channel, entry);
          this.emit('joined', m);
          (m.history || []).forEach(message => this.deliver(message)); // over SSE, history comes as messages
          if (m.more && this.transport !== 'sse') {
            // History longer than one answer holds: ask for the next part, from the last seq delivered.
            this.sendJoin(entry);
          }
          break;
        }
        case 'message':
          m = this.undelta(m, text);
          if (m) {
            this.deliver(m);
          }
          break;
        case 'ack':
        case 'rpc':
        case 'refreshed':
        case 'left':
          this.settle(m.ref, m);
          if (m.type === 'left') {
            const entry = this.channels.get(m.channel);
            if (m.reason === 'subscription_expired' && entry && typeof entry.token === 'function') {
              this.sendJoin(entry); // a fresh subscription token
            } else if (m.reason) {
              this.channels.delete(m.channel); // the server said no: not joined again on reconnect
            }
            this.emit('left', m);
          }
          break;
        case 'pong':
          clearTimeout(this.timers.pongDeadline);
          break;
        case 'error':
        case 'pulse-error':
          this.fail(m.ref, m);
          this.emit('error', m);
          break;
        default:
          this.emit(m.type, m);
      }
    }

    /**
     * The whole message: {@code m} itself, kept as the base of the next delta where the channel
     * takes deltas, or the message a delta makes of the one before. A delta on another base than
     * the one kept (which the server never sends) is dropped and the channel joined again: the
     * server then sends the next message whole, and history what was skipped.
     */
    undelta(m, text) {
      const entry = this.channels.get(m.channel);
      if (!m.delta) {
        if (entry && entry.delta && typeof text === 'string') {
          entry.base = { seq: m.seq, text: text };
        }
        return m;
      }
      let whole = null;
      if (entry && entry.base && entry.base.seq === m.base) {
        try {
          whole = PulseClient.applyDelta(entry.base.text, m.patch);
        } catch (e) {
          whole = null;
        }
      }
      if (whole === null) {
        if (entry) {
          entry.base = null;
          if (this.state === 'open') {
            this.sendJoin(entry);
          }
        }
        this.emit('error', { code: 'bad_delta', message: 'a delta of ' + m.channel + ' did not apply; joined again' });
        return null;
      }
      entry.base = { seq: m.seq, text: whole };
      return JSON.parse(whole);
    }

    deliver(m) {
      const entry = this.channels.get(m.channel);
      if (entry) {
        if (m.seq <= entry.lastSeq) {
          return; // seen before this reconnect
        }
        entry.lastSeq = m.seq;
      }
      this.emit('message', m);
    }

    settle(ref, value) {
      const waiting = ref && this.pending.get(ref);
      if (waiting) {
        this.pending.delete(ref);
        waiting.resolve(value);
      }
    }

    fail(ref, error) {
      const waiting = ref && this.pending.get(ref);
      if (waiting) {
        this.pending.delete(ref);
        waiting.reject(error);
      }
    }
  }

  const DIGITS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz~';
  const DIGIT = new Map(Array.from(DIGITS, (c, i) => [c.charCodeAt(0), i]));

  /**
   * Applies a delta in the Fossil format (https://fossil-scm.org/home/doc/tip/www/delta_format.wiki)
   * to {@code source}: both strings, taken as their UTF-8 bytes, which the format counts. Throws
   * on a malformed delta, a copy out of range, a wrong length or a checksum that does not match.
   */
  PulseClient.applyDelta = function (source, delta) {
    const src = new TextEncoder().encode(source);
    const d = new TextEncoder().encode(delta);
    let at = 0;
    const number = () => {
      let value = 0;
      const start = at;
      while (at < d.length && DIGIT.has(d[at])) {
        value = value * 64 + DIGIT.get(d[at++]);
      }
      if (at === start || at - start > 6) {
        throw new Error('delta: bad number at ' + start);
      }
      return value;
    };
    const size = number();
    if (d[at++] !== 0x0a) {
      throw new Error('delta: no newline after the size');
    }
    const out = new Uint8Array(size);
    let written = 0;
    for (;;) {
      const count = number();
      const command = d[at++];
      if (command === 0x40) { // '@': copy count bytes of the source from an offset
        const offset = number();
        if (d[at++] !== 0x2c || offset + count > src.length || written + count > size) {
          throw new Error('delta: bad copy');
        }
        out.set(src.subarray(offset, offset + count), written);
        written += count;
      } else if (command === 0x3a) { // ':': insert the next count bytes of the delta
        if (at + count > d.length || written + count > size) {
          throw new Error('delta: bad insert');
        }
        out.set(d.subarray(at, at + count), written);
        at += count;
        written += count;
      } else if (command === 0x3b) { // ';': count is the checksum of the target
        if (written !== size || at !== d.length || checksum(out) !== count) {
          throw new Error('delta: target does not check out');
        }
        return new TextDecoder('utf-8', { fatal: true }).decode(out);
      } else {
        throw new Error('delta: unknown command at ' + (at - 1));
      }
    }
  };

  /** The sum of the bytes as big-endian 32-bit words, the last padded with zeros, modulo 2^32. */
  function checksum(bytes) {
    let sum = 0;
    let i = 0;
    for (; i + 4 <= bytes.length; i += 4) {
      sum = (sum + ((bytes[i] << 24 | bytes[i + 1] << 16 | bytes[i + 2] << 8 | bytes[i + 3]) >>> 0)) >>> 0;
    }
    for (let shift = 24; i < bytes.length; i++, shift -= 8) {
      sum = (sum + ((bytes[i] << shift) >>> 0)) >>> 0;
    }
    return sum;
  }

  global.PulseClient = PulseClient;
})(typeof window !== 'undefined' ? window : globalThis);
