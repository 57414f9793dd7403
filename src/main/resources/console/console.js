// The operator console: one JavaScript module, no build step, no framework.
// Every value from the server reaches the page as a text node (see el()): nothing is ever parsed
// as HTML, so a message body holding <script> shows as text. The Content-Security-Policy the
// server sends forbids inline scripts as a second line of defence.
// All data comes from /api/*, the API scripts use; the session cookie stands for the operator and
// every state change carries the session's CSRF token in X-CSRF-Token.

import uPlot from '/console/vendor/uplot/uPlot.esm.js';

const main = document.getElementById('main');
const statusLine = document.getElementById('status');
let session = null; // {name, role, csrf}

/** Builds an element; strings and numbers become text nodes, never markup. */
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.substring(2), v);
    else if (k === 'text') e.textContent = String(v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function say(text, isError = false) {
  statusLine.textContent = text;
  statusLine.classList.toggle('error', isError);
}

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

async function api(path, { method = 'GET', body } = {}) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET') {
    headers['Content-Type'] = 'application/json';
    if (session) headers['X-CSRF-Token'] = session.csrf;
  }
  const r = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  try {
    data = await r.json();
  } catch (e) {
    data = null;
  }
  if (r.status === 401 && path.startsWith('/api/')) {
    session = null;
    stopListening();
    renderSignIn('Your session has ended; sign in again.');
    throw new ApiError(401, data);
  }
  if (!r.ok) throw new ApiError(r.status, data);
  return data;
}

const canDecide = () => session && (session.role === 'approver' || session.role === 'admin');

// Each navigation gets a number; a page whose data arrives after the user (or a test) has moved on
// is dropped instead of replacing the newer page.
let routeGen = 0;

// A live refresh (refreshLive) redraws quietly: the page is swapped only when what it shows
// changed, so an unchanged page keeps its elements (and whatever the user was pointing at).
let quietRedraw = false;

function showFor(gen, ...all) {
  if (gen !== routeGen) return;
  // replaceChildren would show a null (a part a page leaves out) as the text "null".
  const nodes = all.filter((n) => n !== null && n !== undefined);
  if (!quietRedraw) {
    main.replaceChildren(...nodes);
    mountCharts();
    return;
  }
  const probe = document.createElement('div');
  probe.append(...nodes);
  // A chart drawn on the page is compared by its data (its host's data-series), not its canvas.
  const shown = main.cloneNode(true);
  for (const host of shown.querySelectorAll('.plot[data-series]')) host.replaceChildren();
  if (probe.innerHTML === shown.innerHTML) return;
  main.replaceChildren(...probe.childNodes);
  mountCharts();
  main.dataset.redrawn = String(Number(main.dataset.redrawn || 0) + 1);
}

function show(...nodes) {
  main.replaceChildren(...nodes);
  mountCharts();
}

function fields(pairs) {
  return el(
    'dl',
    { class: 'fields' },
    pairs
      .filter(([, v]) => v !== null && v !== undefined && v !== '')
      .map(([k, v]) => [el('dt', {}, k), el('dd', {}, v)])
  );
}

function table(caption, columns, rows) {
  if (!rows.length) return el('p', { class: 'muted' }, `${caption}: none.`);
  return el(
    'table',
    {},
    el('caption', { class: 'muted' }, caption),
    el('thead', {}, el('tr', {}, columns.map(([label]) => el('th', { scope: 'col' }, label)))),
    el(
      'tbody',
      {},
      rows.map((r) =>
        el('tr', {}, columns.map(([, f]) => el('td', {}, typeof f === 'function' ? f(r) : r[f] ?? '')))
      )
    )
  );
}

// ---- sign-in and session ----

function renderSignIn(message) {
  routeGen++; // a page still loading must not replace the sign-in form
  document.getElementById('nav').hidden = true;
  document.getElementById('who').hidden = true;
  const name = el('input', { id: 'signin-name', name: 'name', autocomplete: 'username', required: true });
  const password = el('input', {
    id: 'signin-password',
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const error = el('p', { id: 'signin-error', class: 'error', role: 'alert' }, message || '');
  const form = el(
    'form',
    { class: 'signin', id: 'signin-form' },
    el('label', { for: 'signin-name' }, 'User name', name),
    el('label', { for: 'signin-password' }, 'Password', password),
    el('button', { type: 'submit', id: 'signin-submit' }, 'Sign in'),
    error
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.textContent = '';
    try {
      session = await api('/console/session', {
        method: 'POST',
        body: { name: name.value, password: password.value },
      });
      password.value = '';
      signedIn();
    } catch (e) {
      error.textContent = e.message;
    }
  });
  show(el('h1', {}, 'Sign in'), form);
  document.title = 'Sign in - operator console';
}

function signedIn() {
  document.getElementById('nav').hidden = false;
  document.getElementById('who').hidden = false;
  document.getElementById('who-name').textContent = `${session.name} (${session.role})`;
  document.getElementById('nav-phone').hidden = !session.sandbox;
  listen();
  if (!location.hash || location.hash === '#/' || location.hash === '#') location.hash = '#/messages';
  else route();
}

document.getElementById('sign-out').addEventListener('click', async () => {
  try {
    await api('/console/session/end', { method: 'POST' });
  } catch (e) {
    // Signed out either way: the page forgets the session.
  }
  session = null;
  stopListening();
  renderSignIn('Signed out.');
});

// ---- routing ----

function parseHash() {
  const h = location.hash.replace(/^#/, '') || '/messages';
  const [path, query = ''] = h.split('?');
  return { parts: path.split('/').filter(Boolean), params: new URLSearchParams(query) };
}

/** Draws the page the hash names; {@code quiet}: a live refresh (keeps the status line and focus). */
async function route(quiet = false) {
  if (!session) return;
  const gen = ++routeGen;
  liveRefresh = null;
  const { parts, params } = parseHash();
  for (const a of document.querySelectorAll('nav a')) {
    if (a.dataset.page === parts[0]) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (!quiet) say('');
  try {
    if (parts[0] === 'messages' && parts.length === 1) await renderMessages(gen, params);
    else if (parts[0] === 'messages' && parts.length === 2) await renderMessage(gen, parts[1]);
    else if (parts[0] === 'approvals' && parts.length === 1) await renderApprovals(gen, params);
    else if (parts[0] === 'dashboard' && parts.length === 1) await renderDashboard(gen, params);
    else if (parts[0] === 'consent' && parts.length === 1) await renderConsent(gen, params);
    else if (parts[0] === 'failed' && parts.length === 1) await renderFailed(gen, params);
    else if (parts[0] === 'templates' && parts.length === 1) await renderTemplates(gen, params);
    else if (parts[0] === 'senders' && parts.length === 1) await renderSenders(gen);
    else if (parts[0] === 'phone' && parts.length === 1 && session.sandbox) await renderPhone(gen, params);
    else renderNotFound(gen, 'There is no such page in the console.');
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return;
    if (e instanceof ApiError && e.status === 404) renderNotFound(gen, e.message);
    else showFor(gen, el('h1', {}, 'Something went wrong'), el('p', { class: 'error', role: 'alert' }, e.message));
  }
  if (gen === routeGen && !quiet) main.focus();
}

function renderNotFound(gen, message) {
  if (gen !== routeGen) return;
  document.title = 'Not found - operator console';
  show(
    el('h1', { id: 'not-found' }, '404: not found'),
    el('p', {}, message),
    el('p', {}, el('a', { href: '#/messages' }, 'Back to the messages'))
  );
}

// ---- messages ----

const FILTERS = [
  ['phone', 'Phone number', 'text'],
  ['sid', 'Twilio SID', 'text'],
  ['crmRecord', 'CRM record', 'text'],
  ['template', 'Template', 'text'],
];
const STATUSES = ['PENDING', 'SENDING', 'RETRY', 'RECONCILE', 'RECONCILING', 'SENT', 'BLOCKED', 'FAILED', 'HELD'];
const CHANNELS = ['sms', 'mms', 'whatsapp', 'voice', 'verify'];

function select(id, name, label, options, value) {
  return el(
    'label',
    { for: id },
    label,
    el(
      'select',
      { id, name },
      el('option', { value: '' }, 'any'),
      options.map((o) => el('option', { value: o, selected: o === value }, o))
    )
  );
}

/** datetime-local (read as UTC) to an ISO instant, and back. */
const toInstant = (v) => (v ? new Date(`${v}:00Z`).toISOString() : '');
const fromInstant = (v) => (v ? v.substring(0, 16) : '');

async function renderMessages(gen, params) {
  document.title = 'Messages - operator console';
  const form = el(
    'form',
    { class: 'search', id: 'search-form', role: 'search', 'aria-label': 'Search messages' },
    FILTERS.map(([name, label, type]) =>
      el('label', { for: `f-${name}` }, label, el('input', { id: `f-${name}`, name, type, value: params.get(name) || '' }))
    ),
    select('f-status', 'status', 'Status', STATUSES, params.get('status')),
    select('f-channel', 'channel', 'Channel', CHANNELS, params.get('channel')),
    el('label', { for: 'f-since' }, 'Created from (UTC)',
      el('input', { id: 'f-since', name: 'since', type: 'datetime-local', value: fromInstant(params.get('since')) })),
    el('label', { for: 'f-until' }, 'Created before (UTC)',
      el('input', { id: 'f-until', name: 'until', type: 'datetime-local', value: fromInstant(params.get('until')) })),
    el('div', { class: 'actions' }, el('button', { type: 'submit', id: 'search-submit' }, 'Search'))
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const q = new URLSearchParams();
    for (const [k, v] of new FormData(form)) {
      const value = k === 'since' || k === 'until' ? toInstant(v) : String(v).trim();
      if (value) q.set(k, value);
    }
    location.hash = `#/messages?${q}`;
  });
  const query = new URLSearchParams(params);
  const page = await api(`/api/messages?${query}`);
  const rows = table(
    'Messages, newest first',
    [
      ['Id', (m) => el('a', { href: `#/messages/${encodeURIComponent(m.id)}` }, String(m.id))],
      ['Created', 'created_at'],
      ['Channel', 'channel'],
      ['To', 'recipient'],
      ['Status', 'status'],
      ['Twilio status', 'twilio_status'],
      ['Error', (m) => m.error_code ?? m.reason_code ?? ''],
      ['Template', 'template_name'],
      ['CRM record', 'crm_record_id'],
      ['SID', 'twilio_sid'],
    ],
    page.messages
  );
  const more = page.next
    ? el('p', {}, el('a', { id: 'older', href: `#/messages?${withParam(params, 'before', page.next)}` }, 'Older messages'))
    : null;
  // Received messages are not in the outbox: a SID that matched none may be one of them.
  const sid = (params.get('sid') || '').trim();
  const receivedHint =
    !page.messages.length && /^(SM|MM)[0-9a-fA-F]{32}$/.test(sid)
      ? el('p', { id: 'received-hint' }, 'No message sent has this SID; look for ',
          el('a', { href: `#/messages/${encodeURIComponent(sid)}` }, 'a message received with it'), '.')
      : null;
  showFor(gen, el('h1', {}, 'Messages'), form, el('div', { id: 'results' }, rows), receivedHint, more);
}

function withParam(params, k, v) {
  const q = new URLSearchParams(params);
  q.set(k, v);
  return q;
}

async function renderMessage(gen, id) {
  document.title = `Message ${id} - operator console`;
  const t = await api(`/api/messages/${encodeURIComponent(id)}`);
  const m = t.message;
  if (m.direction === 'inbound') {
    showFor(gen, ...receivedMessage(t));
    return;
  }
  const nodes = [
    el('h1', {}, `Message ${m.id}`),
    el('p', {}, el('a', { href: '#/messages' }, 'Back to the messages')),
    fields([
      ['Status', m.status],
      ['Twilio status', m.twilio_status],
      ['Reason', [m.reason_code, m.reason].filter(Boolean).join(': ')],
      ['Error code', m.error_code],
      ['Channel', m.channel],
      ['To', m.recipient],
      ['From', m.sender || m.messaging_service_sid],
      ['Template', m.template_name],
      ['Campaign', m.campaign],
      ['Requested by', m.requested_by],
      ['CRM record', [m.crm_object, m.crm_record_id].filter(Boolean).join(' ')],
      ['Twilio SID', m.twilio_sid],
      ['Idempotency key', m.idempotency_key],
      ['Created', m.created_at],
      ['Sent', m.sent_at],
      ['Updated', m.updated_at],
    ]),
    el('h2', {}, 'Body'),
    el('pre', { class: 'body', id: 'message-body' }, m.body ?? ''),
    el('h2', {}, 'Attempts'),
    table(
      'Attempts',
      [
        ['#', 'attempt'],
        ['At', 'created_at'],
        ['Kind', 'kind'],
        ['Outcome', 'outcome'],
        ['HTTP', 'http_status'],
        ['Error', 'error_code'],
        ['Detail', 'detail'],
        ['Took (ms)', 'duration_ms'],
      ],
      t.attempts
    ),
    ...webhookSection(t),
    el('h2', {}, 'Fallback steps'),
    t.fallback && t.fallback.length
      ? el('div', { id: 'fallback' }, table(
          m.fallback_chain ? `Channel fallback chain ${m.fallback_chain}, first step first` : 'Channel fallback steps, first step first',
          [
            ['Step', (f) => String(f.fallback_step ?? '')],
            ['Message', (f) => (f.current
              ? el('span', {}, `${f.id} (this one)`)
              : el('a', { href: `#/messages/${encodeURIComponent(f.id)}` }, String(f.id)))],
            ['Channel', 'channel'],
            ['Status', 'status'],
            ['Twilio status', 'twilio_status'],
            ['Error', 'error_code'],
            ['Why this step', (f) => f.fallback_reason ?? ''],
            ['Created', 'created_at'],
          ],
          t.fallback
        ))
      : el('p', { class: 'muted', id: 'fallback' }, 'No channel fallback.'),
    ...crmSection(t),
    el('h2', {}, 'Approval'),
    t.approval
      ? fields([
          ['Request', `#${t.approval.id} (${t.approval.rule}${t.approval.campaign ? `, ${t.approval.campaign}` : ''})`],
          ['Status', t.approval.status],
          ['Decided by', t.approval.decidedBy],
          ['Decided', t.approval.decidedAt],
          ['Comment', t.approval.comment],
        ])
      : el('p', { class: 'muted' }, 'No approval was needed.'),
  ];
  showFor(gen, ...nodes);
}

/** The webhooks Twilio sent about a message: each status (or the inbound message) with its time. */
function webhookSection(t) {
  return [
    el('h2', {}, 'Webhook statuses'),
    el('div', { id: 'events' }, table(
      'Webhooks from Twilio',
      [
        ['Received', 'received_at'],
        ['Kind', 'kind'],
        ['Status', 'status'],
        ['Processing', 'state'],
        ['Processed', 'processed_at'],
        ['Error', 'last_error'],
      ],
      t.events
    )),
  ];
}

/** The CRM write-back of a message's state, and the CRM actions it caused. */
function crmSection(t) {
  return [
    el('h2', {}, 'CRM write-back'),
    t.crm
      ? el('div', { id: 'crm' }, fields([
          ['Write-back', t.crm.writeBack],
          ['Status in the CRM record', t.crm.status],
          ['Delivered', t.crm.delivered_at],
          ['Changes', `${t.crm.crm_synced_version} of ${t.crm.crm_version} written`],
          ['Write attempts', t.crm.crm_attempts],
          ['Last error', t.crm.crm_last_error],
          ['Next attempt', t.crm.crm_next_attempt_at],
        ]))
      : el('p', { class: 'muted', id: 'crm' }, 'Nothing recorded for the CRM yet.'),
    table(
      'CRM actions',
      [
        ['Created', 'created_at'],
        ['Kind', 'kind'],
        ['State', 'state'],
        ['Attempts', 'attempts'],
        ['Error', 'last_error'],
      ],
      t.crmActions
    ),
  ];
}

/** A message the connector received (e.g. a reply from the sandbox phone), found by its SID. */
function receivedMessage(t) {
  const m = t.message;
  document.title = `Received message ${m.twilio_sid} - operator console`;
  return [
    el('h1', {}, `Received message ${m.twilio_sid}`),
    el('p', {}, el('a', { href: '#/messages' }, 'Back to the messages')),
    fields([
      ['Direction', 'received (inbound)'],
      ['Status', m.status],
      ['Channel', m.channel],
      ['From', m.from_number],
      ['To', m.to_number || m.messaging_service_sid],
      ['Twilio SID', m.twilio_sid],
      ['Received', m.created_at],
      ['Updated', m.updated_at],
    ]),
    m.reply_to_sid
      ? el('p', { id: 'reply-to' }, 'In reply to ',
          m.reply_to_id !== null && m.reply_to_id !== undefined
            ? el('a', { href: `#/messages/${encodeURIComponent(m.reply_to_id)}` }, `message ${m.reply_to_id}`)
            : m.reply_to_sid,
          '.')
      : null,
    el('h2', {}, 'Body'),
    el('pre', { class: 'body', id: 'message-body' }, m.body ?? ''),
    ...webhookSection(t),
    ...crmSection(t),
  ];
}

// ---- approvals ----

async function renderApprovals(gen, params) {
  document.title = 'Approvals - operator console';
  const status = params.get('status') || 'PENDING';
  const filter = el(
    'form',
    { id: 'approvals-filter', 'aria-label': 'Filter approval requests' },
    select('a-status', 'status', 'Status', ['PENDING', 'APPROVED', 'REJECTED', 'EXPIRED'], status)
  );
  filter.addEventListener('change', () => {
    const v = filter.querySelector('select').value;
    location.hash = v ? `#/approvals?status=${encodeURIComponent(v)}` : '#/approvals?status=';
  });
  const q = status === '' ? '' : `?status=${encodeURIComponent(status)}`;
  const list = await api(`/api/approvals${q}`);
  const cards = list.approvals.map(approvalCard);
  showFor(gen, 
    el('h1', {}, 'Approvals'),
    filter,
    cards.length ? el('div', { id: 'approvals' }, cards) : el('p', { class: 'muted', id: 'approvals' }, 'No approval requests.')
  );
}

function approvalCard(a) {
  const title = `Request ${a.id}: ${a.rule}${a.campaign ? ` / ${a.campaign}` : ''}`;
  const headingId = `approval-${a.id}-title`;
  const result = el('p', { class: 'result', role: 'alert' });
  const card = el(
    'section',
    { class: 'card', 'aria-labelledby': headingId, 'data-approval': a.id },
    el('h2', { id: headingId }, title),
    fields([
      ['Status', a.status],
      ['Rows held', a.rowCount],
      ['Reason', a.reason],
      ['Template', a.template],
      ['Channel', a.channel],
      ['Countries', a.countries],
      ['Requested by', a.requestedBy],
      ['Created', a.createdAt],
      ['Expires', a.expiresAt],
      ['Decided by', a.decidedBy],
      ['Decided', a.decidedAt],
      ['Comment', a.comment],
    ]),
    a.sample ? [el('h3', {}, 'Rendered sample'), el('pre', { class: 'body' }, a.sample)] : null
  );
  if (canDecide() && a.status === 'PENDING') {
    const commentId = `approval-${a.id}-comment`;
    const comment = el('textarea', { id: commentId, rows: 2, cols: 40 });
    const decide = async (action) => {
      result.textContent = '';
      try {
        const r = await api(`/api/approvals/${encodeURIComponent(a.id)}/${action}`, {
          method: 'POST',
          body: { comment: comment.value },
        });
        // Re-rendered first: route() clears the status line.
        await route();
        say(`Request ${a.id} ${r.result} (${r.rows} row(s)).`);
      } catch (e) {
        if (!(e instanceof ApiError && e.status === 401)) result.textContent = e.message;
      }
    };
    card.append(
      el(
        'div',
        { class: 'actions' },
        el('label', { for: commentId }, 'Comment (required to reject)', comment),
        el('button', { type: 'button', class: 'approve', onclick: () => decide('approve') }, 'Approve'),
        el('button', { type: 'button', class: 'reject danger', onclick: () => decide('reject') }, 'Reject')
      )
    );
  }
  card.append(result);
  return card;
}

// ---- dashboard ----

const OUTCOMES = ['sent', 'delivered', 'undelivered', 'failed'];
const COLOURS = { sent: '#0b5cad', delivered: '#1a6b2f', undelivered: '#b35c00', failed: '#a4161a' };

const hourLabel = (iso) => `${iso.substring(11, 13)}:00`;

/**
 * One channel's outcomes per hour as stacked bars. The figure holds an empty host whose
 * data-series attribute carries the numbers (hour in epoch seconds, then one array per outcome);
 * mountCharts() draws a uPlot chart into it once the page is on screen. The numbers are also in a
 * table below the charts, for screen readers and for copying.
 */
function channelChart(channel, hours) {
  const series = {
    x: hours.map((h) => Date.parse(h.hour) / 1000),
    ...Object.fromEntries(OUTCOMES.map((o) => [o, hours.map((h) => (h.channels[channel] || {})[o] || 0)])),
  };
  const sum = (o) => series[o].reduce((n, v) => n + v, 0);
  const label = `${channel}: ${OUTCOMES.map((o) => `${sum(o)} ${o}`).join(', ')} in the last ${hours.length} hours`;
  return el(
    'figure',
    { class: 'chart', 'data-channel': channel },
    el('div', { class: 'plot', role: 'img', 'aria-label': label, 'data-series': JSON.stringify(series) }),
    el('figcaption', {}, label)
  );
}

// The uPlot instances on screen, by their host element; destroyed once their host left the page.
const charts = new Map();

/** Draws a chart into every chart host on the page that has none yet; frees the ones gone. */
function mountCharts() {
  for (const [host, plot] of charts) {
    if (!host.isConnected) {
      plot.destroy();
      charts.delete(host);
    }
  }
  for (const host of main.querySelectorAll('.plot[data-series]')) {
    if (!charts.has(host)) charts.set(host, stackedBars(host, JSON.parse(host.dataset.series)));
  }
}

/**
 * Stacked bars with uPlot: each outcome is drawn as a bar up to the running total of the
 * outcomes before it and itself, the tallest first, so every outcome shows as its own band.
 */
function stackedBars(host, series) {
  const running = [];
  let acc = series.x.map(() => 0);
  for (const o of OUTCOMES) {
    acc = acc.map((n, i) => n + series[o][i]);
    running.push(acc);
  }
  const order = OUTCOMES.map((o, i) => i).reverse();
  const bars = uPlot.paths.bars({ size: [0.7, 40] });
  const x = series.x;
  const width = Math.max(280, Math.min(720, (host.parentElement && host.parentElement.clientWidth) || 720));
  return new uPlot(
    {
      width,
      height: 200,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      legend: { live: false },
      cursor: { show: false },
      scales: {
        x: { time: true, range: () => [x[0] - 1800, x[x.length - 1] + 1800] },
        y: { range: (u, min, max) => [0, Math.max(1, max)] },
      },
      axes: [{}, { size: 40 }],
      series: [
        {},
        ...order.map((i) => ({
          label: OUTCOMES[i],
          stroke: COLOURS[OUTCOMES[i]],
          fill: COLOURS[OUTCOMES[i]],
          paths: bars,
          points: { show: false },
        })),
      ],
    },
    [x, ...order.map((i) => running[i])],
    host
  );
}

const age = (s) => {
  if (s === null || s === undefined) return 'none';
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
};

async function renderDashboard(gen, params) {
  document.title = 'Dashboard - operator console';
  const hours = params.get('hours') || '24';
  const d = await api(`/api/dashboard?hours=${encodeURIComponent(hours)}`);
  const channels = [...new Set(d.hours.flatMap((h) => Object.keys(h.channels)))].sort();
  const rows = [];
  for (const h of d.hours) {
    for (const c of Object.keys(h.channels).sort()) rows.push({ hour: h.hour, channel: c, ...h.channels[c] });
  }
  // Newest hour first: what just arrived is at the top.
  const received = d.hours
    .flatMap((h) => Object.entries(h.received || {}).sort().map(([channel, n]) => ({ hour: h.hour, channel, n })))
    .reverse();
  showFor(
    gen,
    el('h1', {}, 'Dashboard'),
    el('p', { class: 'muted' }, `Messages by the hour they were created (UTC), last ${d.hours.length} hours, as of ${d.now}.`),
    el('section', { id: 'backlog', 'aria-labelledby': 'backlog-h' },
      el('h2', { id: 'backlog-h' }, 'Outbox and write-back'),
      fields([
        ['Outbox backlog (rows to send)', String(d.backlog.rows)],
        ['Oldest waiting', d.backlog.rows ? `${age(d.backlog.oldestAgeSeconds)} (since ${d.backlog.oldestCreatedAt})` : 'none'],
        ['Held for approval', String(d.backlog.held)],
        ['CRM write-backs waiting', String(d.writeBack.pending)],
        ['Of which failing', String(d.writeBack.failing)],
        ['Write-back lag', d.writeBack.pending ? age(d.writeBack.lagSeconds) : 'none'],
      ])),
    el('section', { id: 'chart', 'aria-labelledby': 'chart-h' },
      el('h2', { id: 'chart-h' }, 'Outcomes by hour and channel'),
      channels.length ? channels.map((c) => channelChart(c, d.hours)) : el('p', { class: 'muted' }, 'No messages in this window.'),
      rows.length
        ? el('details', {}, el('summary', {}, 'The numbers'),
            table('Outcomes by hour and channel', [['Hour (UTC)', 'hour'], ['Channel', 'channel'], ...OUTCOMES.map((o) => [o, o])], rows))
        : null),
    el('section', { id: 'received', 'aria-labelledby': 'received-h' },
      el('h2', { id: 'received-h' }, 'Messages received'),
      received.length
        ? table('Messages received (inbound: replies, keywords) by hour and channel',
            [['Hour (UTC)', 'hour'], ['Channel', 'channel'], ['Received', 'n']], received)
        : el('p', { class: 'muted' }, 'No messages received in this window.')),
    el('section', { id: 'errors', 'aria-labelledby': 'errors-h' },
      el('h2', { id: 'errors-h' }, 'Top error codes'),
      table(
        'Most frequent Twilio error codes in the window',
        [
          ['Code', (e) => el('a', { href: e.docs, rel: 'noopener noreferrer', target: '_blank' }, String(e.code))],
          ['Messages', 'count'],
          ['What it means', 'meaning'],
        ],
        d.errors
      ))
  );
}

// ---- consent ----

async function renderConsent(gen, params) {
  document.title = 'Consent - operator console';
  const phone = params.get('phone') || '';
  const form = el(
    'form',
    { id: 'consent-form', role: 'search', 'aria-label': 'Look up a number' },
    el('label', { for: 'c-phone' }, 'Phone number', el('input', { id: 'c-phone', name: 'phone', value: phone, required: true })),
    el('div', { class: 'actions' }, el('button', { type: 'submit', id: 'consent-lookup' }, 'Look up'))
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const v = form.querySelector('input').value.trim();
    if (v) location.hash = `#/consent?phone=${encodeURIComponent(v)}`;
  });
  const nodes = [el('h1', {}, 'Consent'), form];
  if (phone) {
    const c = await api(`/api/consent/${encodeURIComponent(phone)}`);
    const inForce = Object.entries(c.inForce).map(([purpose, v]) => ({ purpose, ...v }));
    nodes.push(
      el('section', { id: 'consent-result', 'aria-labelledby': 'consent-h' },
        el('h2', { id: 'consent-h' }, `Consent of ${c.number}`),
        inForce.length
          ? table('In force, by purpose', [['Purpose', 'purpose'], ['Status', 'status'], ['Since', 'occurredAt'], ['Source', 'source'], ['Evidence', 'evidence']], inForce)
          : el('p', { class: 'muted', id: 'consent-none' }, 'No consent recorded for this number: the policy default applies.'),
        el('div', { id: 'consent-history' },
          table('History, newest first', [
            ['When', 'occurredAt'],
            ['Purpose', 'purpose'],
            ['Status', 'status'],
            ['Source', 'source'],
            ['Evidence', 'evidence'],
            ['In force', (h) => (h.applied ? 'yes' : 'no')],
            ['Note', 'reason'],
          ], c.history)))
    );
    if (canDecide()) nodes.push(optOutForm(c.number));
  }
  showFor(gen, ...nodes);
}

function optOutForm(number) {
  const result = el('p', { class: 'result', role: 'alert', id: 'opt-out-result' });
  const purpose = el('input', { id: 'o-purpose', name: 'purpose', value: '*' });
  const reason = el('textarea', { id: 'o-reason', name: 'reason', rows: 2, cols: 40, required: true, maxlength: 500 });
  const form = el(
    'form',
    { id: 'opt-out-form', 'aria-labelledby': 'opt-out-h' },
    el('h2', { id: 'opt-out-h' }, 'Record an opt-out by hand'),
    el('label', { for: 'o-purpose' }, 'Purpose (* for all)', purpose),
    el('label', { for: 'o-reason' }, 'Reason (required, audited)', reason),
    el('div', { class: 'actions' }, el('button', { type: 'submit', id: 'opt-out-submit', class: 'danger' }, 'Record opt-out')),
    result
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    result.textContent = '';
    try {
      const r = await api('/api/consent/opt-out', {
        method: 'POST',
        body: { phone: number, purpose: purpose.value, reason: reason.value },
      });
      await route();
      say(r.applied ? `Opt-out recorded for ${number}.` : `Opt-out kept in the history; a newer event is in force.`);
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 401)) result.textContent = e.message;
    }
  });
  return form;
}

// ---- failed ----

async function renderFailed(gen, params) {
  document.title = 'Failed messages - operator console';
  const g = await api('/api/failed');
  const groupHref = (x) => {
    const q = new URLSearchParams({ group: '1' });
    if (x.reasonCode) q.set('reasonCode', x.reasonCode);
    if (x.errorCode !== null && x.errorCode !== undefined) q.set('errorCode', x.errorCode);
    return `#/failed?${q}`;
  };
  const nodes = [
    el('h1', {}, 'Failed messages'),
    el('div', { id: 'failed-groups' }, table(
      'FAILED rows by reason',
      [
        ['Reason', (x) => el('a', { href: groupHref(x) }, x.reasonCode || '(none)')],
        ['Error code', (x) => (x.errorCode === null ? '' : String(x.errorCode))],
        ['What it means', 'meaning'],
        ['Rows', 'count'],
        ['Verify rows', 'verify'],
        ['Latest', 'latest'],
        ['Can be retried', (x) => (x.retryable ? 'yes (transient)' : 'no')],
      ],
      g.groups
    )),
  ];
  if (params.get('group')) {
    const q = new URLSearchParams();
    for (const k of ['reasonCode', 'errorCode']) if (params.get(k)) q.set(k, params.get(k));
    const r = await api(`/api/failed/rows?${q}`);
    const picking = canDecide();
    const result = el('p', { class: 'result', role: 'alert', id: 'retry-result' });
    const columns = [
      ['Id', (m) => el('a', { href: `#/messages/${encodeURIComponent(m.id)}` }, String(m.id))],
      ['Channel', 'channel'],
      ['To', 'recipient'],
      ['Reason', 'reason'],
      ['Attempts', 'attempts'],
      ['Updated', 'updated_at'],
    ];
    if (picking) {
      columns.unshift([
        'Retry',
        (m) => (m.retryable
          ? el('input', { type: 'checkbox', class: 'pick', value: m.id, 'aria-label': `Retry message ${m.id}` })
          : el('span', { class: 'muted' }, m.channel === 'verify' ? 'never (Verify)' : 'not transient')),
      ]);
    }
    const section = el('section', { id: 'failed-rows', 'aria-labelledby': 'rows-h' },
      el('h2', { id: 'rows-h' }, `Rows: ${params.get('reasonCode') || '(no reason)'}${params.get('errorCode') ? ` ${params.get('errorCode')}` : ''}`),
      table('Newest first', columns, r.rows));
    if (picking && r.rows.some((m) => m.retryable)) {
      const comment = el('input', { id: 'retry-comment', name: 'comment' });
      const retry = async () => {
        result.textContent = '';
        const ids = [...section.querySelectorAll('input.pick:checked')].map((c) => Number(c.value));
        if (!ids.length) {
          result.textContent = 'Select the rows to retry first.';
          return;
        }
        try {
          const out = await api('/api/failed/retry', { method: 'POST', body: { ids, comment: comment.value } });
          await route();
          say(`${out.retried.length} row(s) put back to PENDING${out.refused.length ? `, ${out.refused.length} refused: ${out.refused.map((x) => `${x.id} ${x.reason}`).join('; ')}` : ''}.`);
        } catch (e) {
          if (!(e instanceof ApiError && e.status === 401)) result.textContent = e.message;
        }
      };
      section.append(el('div', { class: 'actions' },
        el('label', { for: 'retry-comment' }, 'Comment (audited)', comment),
        el('button', { type: 'button', id: 'retry-selected', onclick: retry }, 'Retry selected')));
    }
    section.append(result);
    nodes.push(section);
  }
  showFor(gen, ...nodes);
}

// ---- live updates ----
// GET /api/events (server-sent events) says which topics changed; the page on screen reads its data
// again through /api/*. A page that is being typed into is left alone until the user is done.

let events = null;
let liveRefresh = null; // set by a page that refreshes part of itself; else route() redraws
let liveTimer = null;
const LIVE_PAGES = new Set(['dashboard', 'approvals', 'messages', 'failed', 'phone']);

function listen() {
  if (events || typeof EventSource === 'undefined') return;
  const indicator = document.getElementById('live');
  events = new EventSource('/api/events');
  events.addEventListener('open', () => {
    indicator.textContent = 'live updates on';
    indicator.dataset.state = 'on';
  });
  events.addEventListener('error', () => {
    indicator.textContent = 'live updates reconnecting';
    indicator.dataset.state = 'off';
  });
  events.addEventListener('change', (ev) => {
    let topics = [];
    try {
      topics = JSON.parse(ev.data).topics || [];
    } catch (e) {
      topics = [];
    }
    indicator.dataset.last = topics.join(',');
    clearTimeout(liveTimer);
    liveTimer = setTimeout(refreshLive, 300);
  });
}

function stopListening() {
  if (events) events.close();
  events = null;
  const indicator = document.getElementById('live');
  indicator.textContent = 'live updates off';
  indicator.dataset.state = 'off';
}

async function refreshLive() {
  if (!session) return;
  const { parts } = parseHash();
  if (!LIVE_PAGES.has(parts[0])) return;
  // A message list being searched is redrawn only from its own form; its timeline is live.
  if (parts[0] === 'messages' && parts.length === 1) return;
  // A page the user is working in (a control has focus, or an action's answer is showing) is not
  // redrawn under them; a page's own partial refresh (the phone's inbox) always runs.
  const active = document.activeElement;
  const busy =
    (active && main.contains(active) && ['INPUT', 'TEXTAREA', 'SELECT', 'BUTTON'].includes(active.tagName)) ||
    [...main.querySelectorAll('.result')].some((r) => r.textContent);
  if (busy && !liveRefresh) return;
  try {
    if (liveRefresh) await liveRefresh();
    else {
      quietRedraw = true;
      try {
        await route(true);
      } finally {
        quietRedraw = false;
      }
    }
    main.dataset.refreshed = String(Number(main.dataset.refreshed || 0) + 1);
  } catch (e) {
    // The next change tries again.
  }
}

// ---- templates ----

/** A line diff (longest common subsequence) of two texts: [{op: ' '|'-'|'+', line}]. */
function diffLines(a, b) {
  const x = a === '' ? [] : a.split('\n');
  const y = b === '' ? [] : b.split('\n');
  const n = x.length;
  const m = y.length;
  const lcs = Array.from({ length: n + 1 }, () => new Array(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] = x[i] === y[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (x[i] === y[j]) {
      out.push({ op: ' ', line: x[i] });
      i++;
      j++;
    } else if (lcs[i + 1][j] >= lcs[i][j + 1]) out.push({ op: '-', line: x[i++] });
    else out.push({ op: '+', line: y[j++] });
  }
  while (i < n) out.push({ op: '-', line: x[i++] });
  while (j < m) out.push({ op: '+', line: y[j++] });
  return out;
}

/** A version's stored text is canonical JSON on one line: one field a line makes the diff readable. */
function pretty(text) {
  if (!text) return '';
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch (e) {
    return text;
  }
}

const short = (v) => (v ? v.substring(0, 12) : '');
const STATE_LABEL = { PENDING_APPROVAL: 'pending approval', APPROVED: 'approved', REJECTED: 'rejected' };

async function renderTemplates(gen, params) {
  document.title = 'Templates - operator console';
  const list = await api('/api/template-approvals');
  const byTemplate = new Map();
  for (const v of list.versions) {
    if (!byTemplate.has(v.template)) byTemplate.set(v.template, []);
    byTemplate.get(v.template).push(v);
  }
  const only = params.get('template');
  const sections = [];
  for (const [name, versions] of byTemplate) {
    if (only && name !== only) continue;
    // Newest first: the first approved one is the version in use.
    const approved = versions.find((v) => v.state === 'APPROVED');
    const pending = versions.filter((v) => v.state === 'PENDING_APPROVAL');
    const headingId = `t-${name.replace(/[^A-Za-z0-9_-]/g, '_')}`;
    const section = el(
      'section',
      { class: 'card', 'aria-labelledby': headingId, 'data-template': name },
      el('h2', { id: headingId }, `Template ${name}`),
      fields([
        ['Purpose', versions[0].purpose],
        ['Approved version in use', approved ? short(approved.version) : 'none: sends with it are held'],
        ['Pending versions', String(pending.length)],
      ]),
      table(
        `Versions of ${name}, newest first`,
        [
          ['Version', (v) => el('code', {}, short(v.version))],
          ['State', (v) => STATE_LABEL[v.state] || v.state],
          ['First seen', 'firstSeenAt'],
          ['Source', 'source'],
          ['Submitted by', 'submittedBy'],
          ['Decided by', 'decidedBy'],
          ['Decided', 'decidedAt'],
          ['Comment', 'comment'],
        ],
        versions
      )
    );
    for (const p of pending) section.append(await pendingVersion(p, approved));
    sections.push(section);
  }
  showFor(
    gen,
    el('h1', {}, 'Templates'),
    el('p', { class: 'muted' },
      'A changed template file becomes a new version, pending until a second person approves it: whoever submits a version cannot approve it.'),
    sections.length ? el('div', { id: 'templates' }, sections) : el('p', { class: 'muted', id: 'templates' }, 'No template versions recorded.')
  );
}

async function pendingVersion(p, approved) {
  const full = await api(`/api/template-approvals/${encodeURIComponent(p.version)}`);
  const base = approved ? (await api(`/api/template-approvals/${encodeURIComponent(approved.version)}`)).content : '';
  const lines = diffLines(pretty(base || ''), pretty(full.content || ''));
  const added = lines.filter((l) => l.op === '+').length;
  const removed = lines.filter((l) => l.op === '-').length;
  const diffId = `diff-${short(p.version)}`;
  const result = el('p', { class: 'result', role: 'alert' });
  const box = el(
    'div',
    { class: 'pending', 'data-version': p.version },
    el('h3', { id: `${diffId}-h` }, `Pending version ${short(p.version)}${p.submittedBy ? `, submitted by ${p.submittedBy}` : ''}`),
    el('p', { class: 'muted' }, approved
      ? `Against the approved version ${short(approved.version)}: ${added} line(s) added, ${removed} removed.`
      : 'No approved version yet: the whole text is new.'),
    el(
      'pre',
      { class: 'diff', id: diffId, tabindex: '0' },
      lines.map((l) =>
        el(l.op === '+' ? 'ins' : l.op === '-' ? 'del' : 'span', { class: `d${l.op === '+' ? 'add' : l.op === '-' ? 'del' : 'same'}` },
          `${l.op} ${l.line}\n`))
    )
  );
  if (canDecide()) {
    const commentId = `${diffId}-comment`;
    const comment = el('textarea', { id: commentId, rows: 2, cols: 40 });
    const act = async (action) => {
      result.textContent = '';
      try {
        const r = await api(`/api/template-approvals/${encodeURIComponent(p.version)}/${action}`, {
          method: 'POST',
          body: action === 'submit' ? undefined : { comment: comment.value },
        });
        await route();
        say(`Version ${short(p.version)} ${r.result}.`);
      } catch (e) {
        if (!(e instanceof ApiError && e.status === 401)) result.textContent = e.message;
      }
    };
    box.append(
      el(
        'div',
        { class: 'actions' },
        el('label', { for: commentId }, 'Comment (required to reject)', comment),
        p.submittedBy ? null : el('button', { type: 'button', class: 'submit', onclick: () => act('submit') }, 'Submit for approval'),
        el('button', { type: 'button', class: 'approve', onclick: () => act('approve') }, 'Approve'),
        el('button', { type: 'button', class: 'reject danger', onclick: () => act('reject') }, 'Reject')
      )
    );
  }
  box.append(result);
  return box;
}

// ---- senders ----

async function renderSenders(gen) {
  document.title = 'Senders - operator console';
  const s = await api('/api/senders');
  const result = el('p', { class: 'result', role: 'alert', id: 'senders-result' });
  const nodes = [
    el('h1', {}, 'Senders'),
    el('p', { class: 'muted' }, 'The account\'s numbers and Messaging Services, as the senders command prints them.'),
    fields([
      ['Read from', s.source],
      ['Read at', s.loadedAt],
      ['Inbound webhook expected', s.expected.inbound],
      ['Status callback expected', s.expected.status],
    ]),
  ];
  if (s.error) nodes.push(el('p', { class: 'error', id: 'senders-error' }, `The account could not be read: ${s.error}`));
  nodes.push(
    el('div', { id: 'senders-table' }, table('Senders', s.columns.map((c, i) => [c, (r) => r[i]]), s.rows)),
    el('section', { id: 'senders-problems', 'aria-labelledby': 'problems-h' },
      el('h2', { id: 'problems-h' }, s.problems.length ? `${s.problems.length} problem(s)` : 'No problems'),
      s.problems.length
        ? el('ul', {}, s.problems.map((p) => el('li', {}, `${p.sender} ${p.check}: ${p.found}. Fix: ${p.fix}`)))
        : el('p', { class: 'muted' }, 'Every sender is set up for this connector.'))
  );
  if (session.role === 'admin') {
    const refresh = async () => {
      result.textContent = '';
      try {
        await api('/api/senders/refresh', { method: 'POST' });
        await route();
        say('Senders read again from the account.');
      } catch (e) {
        if (!(e instanceof ApiError && e.status === 401)) result.textContent = e.message;
      }
    };
    nodes.push(el('div', { class: 'actions' }, el('button', { type: 'button', id: 'senders-refresh', onclick: refresh }, 'Read the account again')));
  }
  nodes.push(result);
  showFor(gen, ...nodes);
}

// ---- sandbox phone ----

async function renderPhone(gen, params) {
  document.title = 'Sandbox phone - operator console';
  const handset = params.get('handset') || '';
  const known = await api('/api/sandbox/handsets');
  const pick = el('input', { id: 'p-handset', name: 'handset', value: handset, list: 'p-handsets', required: true });
  const form = el(
    'form',
    { id: 'phone-pick', 'aria-label': 'Pick a handset' },
    el('label', { for: 'p-handset' }, 'Handset number', pick),
    el('datalist', { id: 'p-handsets' }, known.map((h) => el('option', { value: h.phone }, `${h.phone} (${h.received})`))),
    el('div', { class: 'actions' }, el('button', { type: 'submit', id: 'phone-open' }, 'Open'))
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const v = pick.value.trim();
    if (v) location.hash = `#/phone?handset=${encodeURIComponent(v)}`;
  });
  const nodes = [
    el('h1', {}, 'Sandbox phone'),
    el('p', { class: 'muted' }, 'A handset of the Twilio sandbox: what it received, its calls, and a reply box. Only in sandbox mode.'),
    form,
  ];
  if (!known.length && !handset) nodes.push(el('p', { class: 'muted', id: 'phone-none' }, 'No handset has received anything yet.'));
  if (handset) {
    const inbox = el('div', { id: 'phone-inbox' });
    const calls = el('div', { id: 'phone-calls' });
    const senders = el('select', { id: 'p-to', name: 'to' });
    const fill = async () => {
      const [i, c] = await Promise.all([
        api(`/api/sandbox/handsets/${encodeURIComponent(handset)}/inbox`),
        api(`/api/sandbox/handsets/${encodeURIComponent(handset)}/calls`),
      ]);
      inbox.replaceChildren(table('Inbox, newest first', [
        ['Received', 'at'],
        ['From', 'from'],
        ['Channel', 'channel'],
        ['Message', (m) => el('span', { class: 'body' }, m.body ?? '')],
      ], [...i].reverse()));
      calls.replaceChildren(table('Calls, newest first', [
        ['Call', 'callSid'],
        ['From', 'from'],
        ['Outcome', 'status'],
        ['Answered by', 'answeredBy'],
        ['Heard', (x) => (x.said || []).join(' / ')],
        ['Keys pressed', (x) => (x.gathers || []).join(', ')],
      ], [...c].reverse()));
      const froms = [...new Set([...i].reverse().map((m) => m.from).filter(Boolean))];
      const chosen = senders.value;
      if (froms.length) {
        senders.replaceChildren(...froms.map((f) => el('option', { value: f, selected: f === chosen }, f)));
      }
    };
    await fill();
    nodes.push(
      el('section', { 'aria-labelledby': 'inbox-h' }, el('h2', { id: 'inbox-h' }, `Inbox of ${handset}`), inbox),
      el('section', { 'aria-labelledby': 'calls-h' }, el('h2', { id: 'calls-h' }, 'Calls'), calls)
    );
    if (canDecide()) {
      const text = el('textarea', { id: 'p-body', name: 'body', rows: 2, cols: 40, maxlength: 1600, required: true });
      const result = el('p', { class: 'result', role: 'alert', id: 'phone-result' });
      const other = el('input', { id: 'p-to-other', name: 'toOther', placeholder: '+15005550006' });
      const sent = el('p', { id: 'phone-sent' });
      const send = async (body) => {
        result.textContent = '';
        const to = other.value.trim() || senders.value;
        if (!to) {
          result.textContent = 'No sender to reply to yet: type the number.';
          return;
        }
        try {
          const r = await api(`/api/sandbox/handsets/${encodeURIComponent(handset)}/messages`, { method: 'POST', body: { to, body } });
          text.value = '';
          say(`Sent "${body}" from ${handset} to ${to}.`);
          // What the connector made of it: the received message's timeline, by its SID.
          sent.replaceChildren(
            `Last sent: "${body}" `,
            r && r.sid ? el('a', { href: `#/messages/${encodeURIComponent(r.sid)}`, id: 'phone-sent-link' }, 'its timeline') : ''
          );
          await fill();
        } catch (e) {
          if (!(e instanceof ApiError && e.status === 401)) result.textContent = e.message;
        }
      };
      const reply = el(
        'form',
        { id: 'phone-reply', 'aria-labelledby': 'reply-h' },
        el('h2', { id: 'reply-h' }, 'Reply from this handset'),
        el('label', { for: 'p-to' }, 'To (a sender that wrote to it)', senders),
        el('label', { for: 'p-to-other' }, 'or another number', other),
        el('label', { for: 'p-body' }, 'Message (STOP opts out, START opts back in)', text),
        el('div', { class: 'actions' },
          el('button', { type: 'submit', id: 'phone-send' }, 'Send'),
          el('button', { type: 'button', id: 'phone-stop', class: 'danger', onclick: () => send('STOP') }, 'Reply STOP')),
        result,
        sent
      );
      reply.addEventListener('submit', (ev) => {
        ev.preventDefault();
        if (text.value) send(text.value);
      });
      nodes.push(reply);
    }
    showFor(gen, ...nodes);
    if (gen === routeGen) liveRefresh = fill;
    return;
  }
  showFor(gen, ...nodes);
}

// ---- start ----

window.addEventListener('hashchange', () => route());

(async () => {
  try {
    const r = await fetch('/console/session', { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    if (r.ok) {
      session = await r.json();
      signedIn();
      return;
    }
  } catch (e) {
    // Not signed in.
  }
  renderSignIn();
})();
