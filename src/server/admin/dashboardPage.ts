/**
 * GET /dashboard (ADM-READ-4): the live topology page, one self-contained HTML document (inline CSS
 * and JS, no external resource, no build step).
 *
 * The admin pastes a token; the page opens GET /admin/events (with `fetch`, reading the body
 * stream: EventSource cannot send an Authorization header), then reads /admin/sessions and
 * /admin/topics once, page after page, and from then on applies each event to its model. Events
 * that arrive while the state is being read are held and applied after it: every event is an
 * upsert or a removal of one key, so replaying them over a snapshot taken after the stream opened
 * gives the current state. The token stays in memory, never in a URL. Every server-provided string
 * goes into the DOM as text (textContent, attributes), never as markup.
 *
 * The text is a `String.raw` template so the script's backslashes reach the browser unchanged; the
 * script itself uses no backtick and no dollar-brace.
 */
export const DASHBOARD_HTML = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>pubkeeper · live topology</title>
<link rel="icon" href="data:,">
<style>
  :root {
    --fg: #1f2328; --muted: #6e7781; --line: #e4e7eb; --head: #f6f8fa; --accent: #0969da;
    --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --chip: #eff2f5;
  }
  * { box-sizing: border-box; }
  body { margin: 0; font: 13px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Ubuntu, sans-serif; color: var(--fg); background: #fff; }
  header { display: flex; align-items: center; gap: 16px; padding: 10px 20px; border-bottom: 1px solid var(--line); background: var(--head); }
  h1 { margin: 0; font-size: 15px; font-weight: 600; }
  h1 .sub { color: var(--muted); font-weight: 400; }
  form { margin-left: auto; display: flex; gap: 6px; }
  input#token { width: 340px; padding: 4px 8px; font: inherit; border: 1px solid #d0d7de; border-radius: 6px; background: #fff; }
  input#token:focus { outline: 2px solid #0969da33; border-color: var(--accent); }
  button { padding: 4px 12px; font: inherit; font-weight: 500; color: #fff; background: var(--ok); border: 1px solid #1a7f37; border-radius: 6px; cursor: pointer; }
  button:hover { background: #176f30; }
  main { padding: 12px 20px 24px; }
  #status { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 14px; margin: 0 0 10px; color: var(--muted); }
  #status .state { display: inline-flex; align-items: center; gap: 6px; font-weight: 600; color: var(--fg); }
  #status .dot { width: 8px; height: 8px; border-radius: 50%; background: #afb8c1; }
  #status.live .dot { background: #2da44e; box-shadow: 0 0 0 3px #2da44e33; }
  #status.live .state { color: var(--ok); }
  #status.disconnected .dot { background: var(--bad); }
  #status.disconnected .state { color: var(--bad); }
  #status .count b { color: var(--fg); font-weight: 600; }
  #error { margin: 0 0 10px; padding: 6px 10px; color: var(--bad); background: #ffebe9; border: 1px solid #ff818266; border-radius: 6px; }
  #error:empty { display: none; }
  section { margin-top: 14px; }
  h2 { margin: 0 0 6px; font-size: 13px; font-weight: 600; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
  table { width: 100%; border-collapse: collapse; border: 1px solid var(--line); border-radius: 6px; }
  th, td { padding: 5px 10px; text-align: left; vertical-align: baseline; border-bottom: 1px solid var(--line); }
  th { font-weight: 600; font-size: 12px; color: var(--muted); background: var(--head); white-space: nowrap; }
  tbody tr:last-child td { border-bottom: 0; }
  tbody tr:hover td { background: #f9fafb; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; width: 1%; white-space: nowrap; }
  td.empty { color: var(--muted); font-style: italic; }
  .mono, code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
  .muted { color: var(--muted); }
  .brewer { display: inline-flex; align-items: baseline; gap: 5px; margin: 0 10px 2px 0; white-space: nowrap; }
  .tag { display: inline-block; padding: 0 6px; font-size: 11px; line-height: 17px; border-radius: 9px; background: var(--chip); color: #424a53; }
  .tag.static { background: #fff8c5; color: var(--warn); }
  .tag.d-json { background: #dafbe1; color: #116329; }
  .tag.d-pcp { background: #ddf4ff; color: #0550ae; }
  .tag.d-v1 { background: #fbefff; color: #6639ba; }
  .pattern { display: inline-block; margin: 0 4px 2px 0; padding: 0 5px; border: 1px solid var(--line); border-radius: 4px; background: #fafbfc; }
  .pattern.patron { border-style: dashed; }
  .pattern .kind { margin-left: 4px; font-family: system-ui, sans-serif; font-size: 10px; color: var(--muted); }
  th.topic { width: 30%; }
  .stale tbody { opacity: .55; }
  @keyframes flash { from { background: #fff8c5; } to { background: transparent; } }
  tr.flash td { animation: flash 1.6s ease-out; }
  @media (prefers-reduced-motion: reduce) { tr.flash td { animation: none; } }
</style>
</head>
<body>
<header>
  <h1>pubkeeper <span class="sub">· live topology</span> <span class="sub">·</span> <span class="sub" id="host"></span></h1>
  <form id="login" autocomplete="off">
    <input id="token" type="password" placeholder="Admin token (JWT with admin:*)" aria-label="Admin token" autocomplete="off" spellcheck="false">
    <button id="connect" type="submit">Connect</button>
  </form>
</header>
<main>
  <div id="status" role="status"><span class="state"><span class="dot"></span><span class="label">not connected</span></span><span class="detail">paste an admin token and connect</span></div>
  <div id="error" role="alert"></div>
  <section id="topics-section">
    <h2>Topics</h2>
    <table>
      <thead><tr><th class="topic">Topic</th><th>Brewers</th><th class="num">Subscribers</th></tr></thead>
      <tbody id="topics"></tbody>
    </table>
  </section>
  <section id="sessions-section">
    <h2>Sessions</h2>
    <table>
      <thead><tr><th>Sub</th><th>Dialect</th><th>URI</th><th>Remote address</th><th>Connected since</th><th class="num">Brewers</th><th>Subscriptions</th></tr></thead>
      <tbody id="sessions"></tbody>
    </table>
  </section>
</main>
<script>
(function () {
  'use strict';

  var RETRY_MS = 3000;
  var SILENCE_MS = 45000; // the server writes a comment every 15 s: three missed means the stream is dead
  var PAGE = 1000;

  // The model: what the server said, updated by each event.
  var sessions = new Map(); // session id -> session entry (ADM-READ-1)
  var topics = new Map(); // topic -> Map(uuid -> brewer entry) (ADM-READ-2)
  var subscriberCache = new Map(); // topic -> count, cleared whenever a session changes

  var token = '';
  var run = 0; // each connection attempt; callbacks of an older one are ignored
  var controller = null;
  var retryTimer = 0;
  var loaded = false; // the first state has been read: later changes flash
  var renderQueued = false;

  var $ = function (id) { return document.getElementById(id); };
  $('host').textContent = location.host;

  $('login').addEventListener('submit', function (event) {
    event.preventDefault();
    var value = $('token').value.trim();
    if (!value) { showError('Paste an admin token first.'); return; }
    token = value;
    connect();
  });

  // ---- connection --------------------------------------------------------------------------

  function Refused(status, message) {
    this.status = status;
    this.message = message;
  }

  function connect() {
    var mine = ++run;
    clearTimeout(retryTimer);
    if (controller) controller.abort();
    var ctl = new AbortController();
    controller = ctl;
    setStatus('connecting', 'connecting…');
    follow(mine, ctl.signal).catch(function (err) {
      ctl.abort();
      if (mine !== run) return;
      if (err instanceof Refused) {
        showError('Refused (' + err.status + '): ' + err.message);
        setStatus('idle', 'not connected');
        return;
      }
      setStatus('disconnected', 'disconnected', 'retrying in ' + Math.round(RETRY_MS / 1000) + ' s (' + describe(err) + ')');
      retryTimer = setTimeout(function () { if (mine === run) connect(); }, RETRY_MS);
    });
  }

  /** Opens the event stream, reads the state once, then applies events until the stream ends. */
  async function follow(mine, signal) {
    var res = await request('/admin/events', signal);
    var held = []; // events that came while the state was being read
    var reading = true;
    var ended = readEvents(res.body, function (type, data) {
      if (mine !== run) return;
      if (reading) held.push([type, data]);
      else { apply(type, data); queueRender(); }
    });
    ended.catch(function () { /* rethrown below, once the state is read */ });

    var sessionList = await readAll('/admin/sessions', 'sessions', signal);
    var topicList = await readAll('/admin/topics', 'topics', signal);
    if (mine !== run) return;
    sessions = new Map();
    topics = new Map();
    subscriberCache = new Map();
    sessionList.forEach(function (s) { sessions.set(s.id, s); });
    topicList.forEach(function (t) {
      var brewers = new Map();
      t.brewers.forEach(function (b) { brewers.set(b.uuid, b); });
      if (brewers.size) topics.set(t.topic, brewers);
    });
    held.forEach(function (e) { apply(e[0], e[1]); });
    reading = false;
    clearError();
    setStatus('live', 'live');
    render();
    loaded = true;

    await ended;
    throw new Error('the event stream ended');
  }

  async function request(path, signal) {
    var res = await fetch(path, { headers: { Authorization: 'Bearer ' + token }, cache: 'no-store', signal: signal });
    if (res.status === 401 || res.status === 403) {
      var why = res.statusText;
      try { why = (await res.json()).error || why; } catch (e) { /* not JSON: keep the status text */ }
      throw new Refused(res.status, why);
    }
    if (!res.ok) throw new Error('HTTP ' + res.status + ' on ' + path);
    return res;
  }

  /** Every entry of a paged list, following next until it is null. */
  async function readAll(path, key, signal) {
    var out = [];
    var after = null;
    do {
      var url = path + '?limit=' + PAGE + (after === null ? '' : '&after=' + encodeURIComponent(after));
      var body = await (await request(url, signal)).json();
      out = out.concat(body[key]);
      after = body.next;
    } while (after !== null && after !== undefined);
    return out;
  }

  /**
   * Server-Sent Events from a response body: "event:" and "data:" fields, a blank line ends an
   * event, lines starting with ":" are comments. Resolves when the stream ends, or is given up
   * after SILENCE_MS without a byte.
   */
  async function readEvents(body, onEvent) {
    var reader = body.getReader();
    var watchdog = 0;
    var silent = false;
    var heard = function () {
      clearTimeout(watchdog);
      watchdog = setTimeout(function () {
        silent = true;
        reader.cancel().catch(function () { /* ends the read below either way */ });
      }, SILENCE_MS);
    };
    try {
      heard();
      await readLines(reader, heard, onEvent);
    } finally {
      clearTimeout(watchdog);
    }
    if (silent) throw new Error('nothing heard for ' + SILENCE_MS / 1000 + ' s');
  }

  async function readLines(reader, heard, onEvent) {
    var decoder = new TextDecoder();
    var buffer = '';
    var type = '';
    var data = [];
    for (;;) {
      var chunk = await reader.read();
      if (chunk.done) return;
      heard();
      buffer += decoder.decode(chunk.value, { stream: true });
      var nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        var line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line.endsWith('\r')) line = line.slice(0, -1);
        if (line === '') {
          if (data.length) dispatch(type || 'message', data.join('\n'));
          type = '';
          data = [];
          continue;
        }
        if (line[0] === ':') continue;
        var colon = line.indexOf(':');
        var field = colon < 0 ? line : line.slice(0, colon);
        var value = colon < 0 ? '' : line.slice(colon + 1);
        if (value[0] === ' ') value = value.slice(1);
        if (field === 'event') type = value;
        else if (field === 'data') data.push(value);
      }
    }
    function dispatch(eventType, text) {
      var parsed;
      // Shown on the page, where the operator looks (the browser's console is not).
      try { parsed = JSON.parse(text); } catch (e) { showError('Skipped an unreadable ' + eventType + ' event from the server.'); return; }
      onEvent(eventType, parsed);
    }
  }

  // ---- model -------------------------------------------------------------------------------

  function apply(type, d) {
    switch (type) {
      case 'session.opened':
      case 'session.updated':
        sessions.set(d.id, d);
        subscriberCache.clear();
        break;
      case 'session.closed':
        sessions.delete(d.id);
        subscriberCache.clear();
        break;
      case 'brewer.added': { // also a replaced brewer, or one that moved to another session
        var brewers = topics.get(d.topic);
        if (!brewers) { brewers = new Map(); topics.set(d.topic, brewers); }
        brewers.set(d.uuid, { uuid: d.uuid, sub: d.sub, static: d.static, session: d.session, brewer: d.brewer });
        break;
      }
      case 'brewer.removed': {
        var held = topics.get(d.topic);
        if (held) {
          held.delete(d.uuid);
          if (!held.size) topics.delete(d.topic);
        }
        break;
      }
    }
  }

  /** Patterns: segments split on ".", "*" is exactly one segment, "**" zero or more. */
  function matches(pattern, topic) {
    var p = pattern.split('.');
    var t = topic.split('.');
    var memo = new Uint8Array((p.length + 1) * (t.length + 1)); // 0 unknown, 1 no, 2 yes
    function at(i, j) {
      var k = i * (t.length + 1) + j;
      if (memo[k]) return memo[k] === 2;
      var r;
      if (i === p.length) r = j === t.length;
      else if (p[i] === '**') r = at(i + 1, j) || (j < t.length && at(i, j + 1));
      else r = j < t.length && (p[i] === '*' || p[i] === t[j]) && at(i + 1, j + 1);
      memo[k] = r ? 2 : 1;
      return r;
    }
    return at(0, 0);
  }

  /** Sessions with a subscription or a 1.x patron matching the topic. */
  function subscribers(topic) {
    var cached = subscriberCache.get(topic);
    if (cached !== undefined) return cached;
    var n = 0;
    sessions.forEach(function (s) {
      var patterns = (s.subscriptions || []).concat(s.patrons || []);
      if (patterns.some(function (p) { return matches(p, topic); })) n++;
    });
    subscriberCache.set(topic, n);
    return n;
  }

  /** A session's brewers, counted from the topics (brewer events carry the session). */
  function brewersBySession() {
    var counts = new Map();
    topics.forEach(function (brewers) {
      brewers.forEach(function (b) { if (b.session) counts.set(b.session, (counts.get(b.session) || 0) + 1); });
    });
    return counts;
  }

  // ---- rendering ---------------------------------------------------------------------------

  function queueRender() {
    if (renderQueued) return;
    renderQueued = true;
    requestAnimationFrame(function () { renderQueued = false; render(); });
  }

  function render() {
    var topicNames = Array.from(topics.keys()).sort();
    var brewerTotal = 0;
    var staticTotal = 0;
    syncRows($('topics'), 'data-topic', 3, 'No topic has a brewer.', topicNames.map(function (name) {
      var brewers = Array.from(topics.get(name).values()).sort(function (a, b) { return a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0; });
      brewerTotal += brewers.length;
      brewers.forEach(function (b) { if (b.static) staticTotal++; });
      var count = subscribers(name);
      return { key: name, sig: JSON.stringify([brewers, count]), build: function () { return topicRow(name, brewers, count); } };
    }));

    var held = brewersBySession();
    var subscriptionTotal = 0;
    var patronTotal = 0;
    var list = Array.from(sessions.values());
    syncRows($('sessions'), 'data-session', 7, 'No session.', list.map(function (s) {
      var brewers = held.has(s.id) ? held.get(s.id) : 0;
      subscriptionTotal += (s.subscriptions || []).length;
      patronTotal += (s.patrons || []).length;
      return { key: s.id, sig: JSON.stringify([s, brewers]), build: function () { return sessionRow(s, brewers); } };
    }));

    var status = $('status');
    if (status.className === 'live') {
      setDetail([
        [topicNames.length, 'topic'], [brewerTotal, 'brewer', staticTotal ? staticTotal + ' static' : ''],
        [list.length, 'session'], [subscriptionTotal, 'subscription'], [patronTotal, 'patron'],
      ]);
    }
  }

  function topicRow(name, brewers, count) {
    var tr = document.createElement('tr');
    tr.appendChild(cell(name, 'mono'));
    var cellBrewers = document.createElement('td');
    brewers.forEach(function (b) {
      var item = el('span', 'brewer');
      item.setAttribute('data-brewer', b.uuid);
      item.title = JSON.stringify(b.brewer);
      item.appendChild(el('code', '', b.uuid));
      if (b.static) item.appendChild(el('span', 'tag static', 'static'));
      else item.appendChild(el('span', 'tag', b.sub === null ? '?' : b.sub));
      var where = address(b.brewer);
      if (where) item.appendChild(el('span', 'muted mono', where));
      cellBrewers.appendChild(item);
    });
    tr.appendChild(cellBrewers);
    tr.appendChild(cell(String(count), 'num subscribers'));
    return tr;
  }

  function sessionRow(s, brewers) {
    var tr = document.createElement('tr');
    tr.appendChild(s.sub === null ? cell('anonymous', 'muted') : cell(s.sub));
    var dialect = document.createElement('td');
    dialect.appendChild(el('span', 'tag ' + dialectClass(s.dialect), s.dialect));
    tr.appendChild(dialect);
    tr.appendChild(s.uri === null ? cell('—', 'muted') : cell(s.uri, 'mono'));
    tr.appendChild(s.remoteAddress === null ? cell('—', 'muted') : cell(s.remoteAddress, 'mono'));
    var since = cell(when(s.connectedSince));
    since.title = s.connectedSince;
    tr.appendChild(since);
    tr.appendChild(cell(String(brewers), 'num'));
    var subs = document.createElement('td');
    (s.subscriptions || []).forEach(function (p) { subs.appendChild(el('code', 'pattern', p)); });
    (s.patrons || []).forEach(function (p) {
      var chip = el('code', 'pattern patron', p);
      chip.title = '1.x patron';
      chip.appendChild(el('span', 'kind', 'patron'));
      subs.appendChild(chip);
    });
    if (!subs.childNodes.length) subs.appendChild(el('span', 'muted', '—'));
    tr.appendChild(subs);
    return tr;
  }

  /**
   * Brings a table body to the given rows, keyed by an attribute: a row whose content did not
   * change is kept as it is, a changed one is replaced, the order is fixed, the rest removed.
   */
  var signatures = new WeakMap();
  function syncRows(tbody, attr, columns, emptyText, rows) {
    var existing = new Map();
    Array.from(tbody.children).forEach(function (tr) {
      var key = tr.getAttribute(attr);
      if (key === null) tr.remove();
      else existing.set(key, tr);
    });
    var previous = null;
    rows.forEach(function (row) {
      var tr = existing.get(row.key);
      existing.delete(row.key);
      if (!tr || signatures.get(tr) !== row.sig) {
        var fresh = row.build();
        fresh.setAttribute(attr, row.key);
        signatures.set(fresh, row.sig);
        if (loaded) fresh.className = 'flash';
        if (tr) tr.replaceWith(fresh);
        tr = fresh;
      }
      var wanted = previous ? previous.nextSibling : tbody.firstChild;
      if (wanted !== tr) tbody.insertBefore(tr, wanted);
      previous = tr;
    });
    existing.forEach(function (tr) { tr.remove(); });
    if (!rows.length) {
      var empty = document.createElement('tr');
      var td = cell(emptyText, 'empty');
      td.colSpan = columns;
      empty.appendChild(td);
      tbody.appendChild(empty);
    }
  }

  function setStatus(state, label, detail) {
    var status = $('status');
    status.className = state;
    status.querySelector('.label').textContent = label;
    var stale = state !== 'live';
    $('topics-section').classList.toggle('stale', stale);
    $('sessions-section').classList.toggle('stale', stale);
    status.querySelector('.detail').textContent = detail || '';
  }

  function setDetail(counts) {
    var detail = $('status').querySelector('.detail');
    detail.textContent = '';
    counts.forEach(function (c) {
      var span = el('span', 'count');
      span.appendChild(el('b', '', String(c[0])));
      span.appendChild(document.createTextNode(' ' + c[1] + (c[0] === 1 ? '' : 's') + (c[2] ? ' (' + c[2] + ')' : '')));
      detail.appendChild(span);
      detail.appendChild(document.createTextNode('  ·  '));
    });
    detail.lastChild.remove();
  }

  function showError(text) { $('error').textContent = text; }
  function clearError() { $('error').textContent = ''; }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function cell(text, className) { return el('td', className, text); }

  function dialectClass(dialect) {
    if (dialect.indexOf('pcp') === 0) return 'd-pcp';
    if (dialect.indexOf('pubkeeper-v1') === 0) return 'd-v1';
    if (dialect.indexOf('json') >= 0) return 'd-json';
    return '';
  }

  function address(brewer) {
    if (!brewer || typeof brewer !== 'object') return '';
    var host = typeof brewer.hostname === 'string' ? brewer.hostname : typeof brewer.host === 'string' ? brewer.host : '';
    if (!host) return '';
    return typeof brewer.port === 'number' || typeof brewer.port === 'string' ? host + ':' + brewer.port : host;
  }

  function when(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return iso;
    var time = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
    return d.toDateString() === new Date().toDateString() ? time : d.toLocaleDateString() + ' ' + time;
  }

  function describe(err) { return err && err.message ? err.message : String(err); }

  render();
})();
</script>
</body>
</html>
`;
