// The page: chat on the left, live dashboard on the right, both over one PulseClient.
(function () {
  'use strict';
  const $ = id => document.getElementById(id);
  const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
  // ?servers=host:port,host:port lists the nodes of a cluster to fail over between; default: this one.
  const servers = new URLSearchParams(location.search).get('servers');
  // Signed in: a token from ?token= or the sign-in field, kept for this tab (sessionStorage).
  const given = new URLSearchParams(location.search).get('token');
  if (given !== null) {
    sessionStorage.setItem('pulse.token', given);
  }
  const token = () => sessionStorage.getItem('pulse.token') || null;
  // Where WebSocket cannot go (a proxy that breaks it), the page listens over SSE from its own server.
  const client = new PulseClient(servers ? servers.split(',').map(host => scheme + host + '/ws')
      : scheme + location.host + '/ws', { token: token, sse: location.origin + '/sse' });
  const subject = t => {
    try {
      return JSON.parse(atob(t.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))).sub;
    } catch (e) {
      return null;
    }
  };
  let current = null; // the chat channel joined
  const members = new Map();

  // --- connection state --------------------------------------------------------------
  client.on('state', state => {
    $('state').textContent = state;
    $('state').dataset.state = state;
  });
  client.on('transport', transport => {
    if (transport === 'sse') {
      $('transport').textContent = 'WebSocket unavailable: live over SSE, read-only';
      $('text').disabled = true;
      $('text').placeholder = 'read-only: this browser cannot reach the server over WebSocket';
    }
  });
  client.on('welcome', w => {
    const user = token() && subject(token());
    $('whoami').textContent = user ? 'signed in as ' + user : 'connection ' + w.id;
    $('whoami').title = 'connection ' + w.id;
    if (user) {
      $('name').value = user;
      $('name').readOnly = true; // the token's subject is the name
    }
  });
  $('token').value = token() || '';
  $('login-form').addEventListener('submit', event => {
    event.preventDefault();
    sessionStorage.setItem('pulse.token', $('token').value.trim());
    location.reload(); // a new connection, with the new token
  });
  client.on('refreshed', r => line('presence', 'token refreshed' + (r.expiresAt ? ' until ' + new Date(r.expiresAt).toLocaleTimeString() : '')));
  // Errors of requests with a ref are shown where they were made (a publish's "not sent"); the rest here.
  client.on('error', e => {
    if (!e.ref) {
      line('error', escape(e.code + ': ' + e.message));
    }
  });
  client.on('left', l => {
    if (l.reason) {
      line('error', escape('left ' + l.channel + ': ' + l.reason));
    }
  });

  // --- chat --------------------------------------------------------------------------
  function line(className, html) {
    const li = document.createElement('li');
    li.className = className;
    li.innerHTML = html;
    $('messages').appendChild(li);
    $('messages').scrollTop = $('messages').scrollHeight;
    return li;
  }
  function escape(text) {
    return String(text).replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
  }
  function renderMembers() {
    $('members').innerHTML = '';
    for (const [id, name] of members) {
      const li = document.createElement('li');
      li.textContent = (name || id) + (id === client.id ? ' (you)' : '');
      li.dataset.id = id;
      $('members').appendChild(li);
    }
  }

  $('join-form').addEventListener('submit', event => {
    event.preventDefault();
    const channel = $('channel').value.trim();
    if (current && current !== channel) {
      client.leave(current).catch(() => {});
    }
    current = channel;
    $('current-channel').textContent = channel;
    $('messages').innerHTML = '';
    members.clear();
    renderMembers();
    const channelToken = $('channel-token').value.trim();
    client.join(channel, channelToken ? { name: $('name').value.trim(), token: channelToken } : { name: $('name').value.trim() });
    $('text').disabled = client.transport === 'sse';
    $('text').focus();
  });
  $('leave').addEventListener('click', () => {
    if (current) {
      client.leave(current).catch(() => {});
      current = null;
      members.clear();
      renderMembers();
      $('text').disabled = true;
    }
  });
  $('text').addEventListener('keydown', event => {
    if (event.key === 'Enter' && current && $('text').value) {
      client.publish(current, $('text').value).catch(e => line('error', 'not sent: ' + escape(e.message)));
      $('text').value = '';
    }
  });

  client.on('joined', j => {
    if (j.channel !== current) {
      return;
    }
    members.clear();
    j.members.forEach(m => members.set(m.id, m.name));
    renderMembers();
  });
  client.on('presence', p => {
    if (p.channel !== current) {
      return;
    }
    if (p.event === 'join') {
      members.set(p.id, p.name);
    } else {
      members.delete(p.id);
    }
    renderMembers();
    line('presence', escape(p.name || p.id) + (p.event === 'join' ? ' joined' : ' left'));
  });

  // --- dashboard ---------------------------------------------------------------------
  const WINDOW = 300; // points kept: five minutes at one snapshot a second
  function chart(canvas, datasets, unit) {
    return new Chart(canvas, {
      type: 'line',
      data: { labels: [], datasets: datasets.map(label => ({ label: label, data: [], pointRadius: 0, borderWidth: 1.5, tension: 0.2 })) },
      options: { animation: false, responsive: true, maintainAspectRatio: false, scales: { x: { display: false }, y: { beginAtZero: true, title: { display: !!unit, text: unit } } } }
    });
  }
  const charts = {
    connections: chart($('chart-connections'), ['connections', 'members']),
    rates: chart($('chart-rates'), ['messages in/s', 'messages out/s']),
    memory: chart($('chart-memory'), ['heap MiB', 'direct MiB'])
  };
  function plot(c, label, values) {
    c.data.labels.push(label);
    values.forEach((v, i) => c.data.datasets[i].data.push(v));
    if (c.data.labels.length > WINDOW) {
      c.data.labels.shift();
      c.data.datasets.forEach(d => d.data.shift());
    }
    c.update('none');
  }
  const mib = bytes => Math.round(bytes / 1048576 * 10) / 10;
  let lastLogSeq = 0;
  let logsMissed = 0;

  client.on('message', m => {
    if (m.channel === '$metrics') {
      const d = m.data;
      $('m-connections').textContent = d.connections;
      $('m-channels').textContent = d.channels;
      $('m-in').textContent = d.messagesInPerSec;
      $('m-out').textContent = d.messagesOutPerSec;
      $('m-heap').textContent = mib(d.heapUsedBytes) + ' MiB';
      $('m-direct').textContent = mib(d.directMemoryBytes) + ' MiB';
      $('m-cpu').textContent = Math.round(d.processCpuLoad * 100) + ' %';
      $('m-slow').textContent = d.slowConsumers.dropped + d.slowConsumers.coalesced + d.slowConsumers.disconnected;
      $('m-api').textContent = d.apiRequestsPerSec;
      $('m-nodes').textContent = d.nodes;
      const label = new Date(m.ts).toLocaleTimeString();
      plot(charts.connections, label, [d.connections, d.members]);
      plot(charts.rates, label, [d.messagesInPerSec, d.messagesOutPerSec]);
      plot(charts.memory, label, [mib(d.heapUsedBytes), mib(d.directMemoryBytes)]);
    } else if (m.channel === '$logs') {
      // A gap in seq is what this viewer missed (the channel drops for slow viewers).
      if (lastLogSeq && m.seq > lastLogSeq + 1) {
        logsMissed += m.seq - lastLogSeq - 1;
        $('logs-missed').textContent = logsMissed + ' lines missed';
      }
      lastLogSeq = m.seq;
      const li = document.createElement('li');
      li.className = m.data.level;
      li.textContent = new Date(m.data.ts).toLocaleTimeString() + ' ' + m.data.level + ' ' + m.data.logger.replace(/^.*\./, '') + ' — ' + m.data.message;
      $('logs').appendChild(li);
      while ($('logs').children.length > 500) {
        $('logs').removeChild($('logs').firstChild);
      }
      $('logs').scrollTop = $('logs').scrollHeight;
    } else if (m.channel === current) {
      // Structured data (from a backend through the API, say) is shown as compact JSON.
      const body = m.text !== undefined ? m.text : JSON.stringify(m.data);
      const li = line('message' + (m.text !== undefined ? '' : ' data'), '<span class="from">' + escape(m.name || m.from)
        + '</span>' + escape(body));
      li.dataset.seq = m.seq;
    }
  });

  client.join('$metrics', { delta: true }); // snapshots that differ little: each as a small patch (docs/PROTOCOL.md, Deltas)
  client.join('$logs');
  client.connect();
  window.pulseClient = client; // for the console, and for tests
})();
