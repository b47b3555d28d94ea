#!/usr/bin/env node
/*
 * The wallboard as a person sees it: a real rexiand fed by `rexian sim`, the page in headless
 * Chromium (Debian's /usr/bin/chromium driven by playwright-core), checked against /api/live.
 *
 *   node tests/browser/wallboard.test.js BUILD_DIR        (after `npm ci` in tests/browser)
 *
 * Saves a 1920x1080 screenshot to docs/wallboard.png (REXIAN_WALLBOARD_PNG overrides).
 * Prints one line per check and "N passed, N failed" at the end; exit status 1 on failure.
 * Every wait is bounded; every process it starts is killed when it exits.
 */
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const net = require('net');
const http = require('http');
const { spawn } = require('child_process');

const ROOT = path.resolve(__dirname, '..', '..');
const BUILD = path.resolve(process.argv[2] || path.join(ROOT, 'build'));
const REXIAND = path.join(BUILD, 'src', 'rexiand');
const REXIAN = path.join(BUILD, 'src', 'rexian');
const WALLBOARD = path.join(ROOT, 'dashboards', 'wallboard');
const SHOT = path.resolve(process.env.REXIAN_WALLBOARD_PNG || path.join(ROOT, 'docs', 'wallboard.png'));
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
// Fires with the first answered call and stays firing: the banner must show and stay.
const RULE = 'test_alert: answered global today > 0 for=0';
const TOTAL_MS = 240000;

const DASH = '\u2014';
const STATES_ZH = { talking: '通话中', ready: '空闲', notready: '示忙', login: '已登录', logout: '已登出' };

/* ---------- results ---------- */

let passed = 0;
let failed = 0;
function log(s) { process.stdout.write(s + '\n'); }
async function check(name, fn) {
  const t0 = Date.now();
  try {
    const note = await fn();
    passed++;
    log(`ok   ${name}${note ? ' — ' + note : ''} (${Date.now() - t0} ms)`);
    return true;
  } catch (e) {
    failed++;
    log(`FAIL ${name}: ${(e && e.message) || e}`);
    return false;
  }
}
function assert(cond, msg) { if (!cond) throw new Error(msg); }
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/* ---------- processes ---------- */

const children = new Set();
function start(cmd, args, logFile) {
  const out = fs.openSync(logFile, 'a');
  const p = spawn(cmd, args, { stdio: ['ignore', out, out] });
  fs.closeSync(out);
  children.add(p);
  p.exited = new Promise((res) => p.on('exit', (code, sig) => { children.delete(p); res(code === null ? sig : code); }));
  p.on('error', (e) => log(`# cannot start ${cmd}: ${e.message}`));
  return p;
}
function killAll() {
  for (const p of children) { try { p.kill('SIGKILL'); } catch (e) { /* gone */ } }
}
async function stop(p, ms = 10000) {
  if (!children.has(p)) return p.exited;
  p.kill('SIGTERM');
  const r = await Promise.race([p.exited, sleep(ms).then(() => 'timeout')]);
  if (r === 'timeout') { p.kill('SIGKILL'); return p.exited; }
  return r;
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => { killAll(); process.exit(1); });

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

function get(url, timeoutMs = 3000) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`timeout: GET ${url}`)));
    req.on('error', reject);
  });
}
async function getJson(url) {
  const r = await get(url);
  assert(r.status === 200, `GET ${url}: HTTP ${r.status}`);
  return JSON.parse(r.body);
}
async function waitFor(what, fn, timeoutMs, everyMs = 200) {
  const end = Date.now() + timeoutMs;
  let last = null;
  for (;;) {
    try { const v = await fn(); if (v) return v; } catch (e) { last = e; }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ': ' + last.message : ''}`);
    await sleep(everyMs);
  }
}
function sendFeed(port, lines) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => { s.end(lines.map((l) => JSON.stringify(l) + '\n').join('')); });
    s.setTimeout(3000, () => s.destroy(new Error('feed connection timeout')));
    s.on('close', () => resolve());
    s.on('error', reject);
  });
}

/* ---------- what the page should show, formatted as the hotlines publish ---------- */

const isNum = (x) => typeof x === 'number' && Number.isFinite(x);
const pct = (x) => (isNum(x) ? (x * 100).toFixed(2) + '%' : DASH);
const sec = (x) => (isNum(x) ? x.toFixed(2) + ' s' : DASH);
const int = (x) => (isNum(x) ? Math.round(x).toLocaleString('en-US') : DASH);
function dur(x) {
  if (!isNum(x)) return DASH;
  const t = Math.max(0, Math.floor(x));
  const h = Math.floor(t / 3600), m = Math.floor((t % 3600) / 60), s = String(t % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}
function clockText(ms, tz) {
  if (!isNum(ms) || ms <= 0) return DASH;
  const p = {};
  new Intl.DateTimeFormat('en-GB', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit',
    day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
    .formatToParts(new Date(ms)).forEach((x) => { p[x.type] = x.value; });
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

function expected(s) {
  const g15 = s.windows['15m'].global, gd = s.windows.today.global, l = s.live;
  const e = {
    clock: clockText(s.clock.now_ms, s.clock.timezone),
    'sl-15m': pct(g15.service_level),
    'sl-today': pct(gd.service_level),
    'sl-15m-count': `${int(g15.answered_within_sl)} / ${int(g15.offered)}`,
    'sl-today-count': `${int(gd.answered_within_sl)} / ${int(gd.offered)}`,
    waiting: int(l.waiting),
    'longest-wait': dur(l.longest_wait_s),
    'seats-in': int(l.seats_logged_in),
    'seats-ready': int(l.seats_ready),
    'seats-oncall': int(l.seats_on_call),
    'seats-needed': int(s.staffing && s.staffing.scopes && s.staffing.scopes.global ? s.staffing.scopes.global.required : null),
    'connect-today': pct(gd.connect_rate),
    'connect-15m': pct(g15.connect_rate),
    'abandon-today': pct(gd.abandon_rate),
    'abandon-15m': pct(g15.abandon_rate),
    'avgwait-today': sec(gd.avg_wait_s),
    'avgwait-15m': sec(g15.avg_wait_s),
    'avgtalk-today': sec(gd.avg_talk_s),
    'avgtalk-15m': sec(g15.avg_talk_s),
    'longtalk-today': pct(gd.long_talk_share),
    'longtalk-15m': pct(g15.long_talk_share),
    'answered-today': int(gd.answered),
    'offered-today': int(gd.offered),
  };
  const tq = s.windows.today.queues, fq = s.windows['15m'].queues;
  for (const q of new Set([...Object.keys(l.queues), ...Object.keys(tq)])) {
    e[`queue ${q} waiting`] = int(l.queues[q] ? l.queues[q].waiting : 0);
    e[`queue ${q} sl-15m`] = pct(fq[q] ? fq[q].service_level : null);
    e[`queue ${q} sl-today`] = pct(tq[q] ? tq[q].service_level : null);
    e[`queue ${q} answered`] = int(tq[q] ? tq[q].answered : 0);
  }
  const ts = s.windows.today.seats;
  for (const id of new Set([...Object.keys(l.seats), ...Object.keys(ts)])) {
    const ls = l.seats[id] || { state: 'logout', since_s: null, talk_s: null };
    const m = ts[id];
    e[`seat ${id} state`] = STATES_ZH[ls.state] || ls.state;
    e[`seat ${id} since`] = dur(ls.since_s);
    e[`seat ${id} talk`] = ls.talk_s === null ? '' : dur(ls.talk_s);
    e[`seat ${id} answered`] = int(m ? m.answered : 0);
    e[`seat ${id} avg talk`] = sec(m ? m.avg_talk_s : null);
    e[`seat ${id} long talks`] = int(m && isNum(m.long_talk_share) ? Math.round(m.completed * m.long_talk_share) : 0);
  }
  return e;
}

function readPage(page) {
  return page.evaluate(() => {
    const o = {};
    document.querySelectorAll('[data-k]').forEach((el) => { o[el.getAttribute('data-k')] = el.textContent.trim(); });
    document.querySelectorAll('#queues-body tr[data-queue]').forEach((tr) => {
      const q = tr.getAttribute('data-queue'), c = tr.cells;
      o[`queue ${q} waiting`] = c[1].textContent;
      o[`queue ${q} sl-15m`] = c[3].textContent;
      o[`queue ${q} sl-today`] = c[4].textContent;
      o[`queue ${q} answered`] = c[5].textContent;
    });
    document.querySelectorAll('#seats-body tr[data-seat]').forEach((tr) => {
      const id = tr.getAttribute('data-seat'), c = tr.cells;
      o[`seat ${id} state`] = c[1].textContent;
      o[`seat ${id} since`] = c[2].textContent;
      o[`seat ${id} talk`] = c[3].textContent;
      o[`seat ${id} answered`] = c[4].textContent;
      o[`seat ${id} avg talk`] = c[5].textContent;
      o[`seat ${id} long talks`] = c[6].textContent;
    });
    return o;
  });
}

function diff(want, got) {
  const out = [];
  for (const k of new Set([...Object.keys(want), ...Object.keys(got)])) {
    if (want[k] !== got[k]) out.push(`${k}: page ${JSON.stringify(got[k])} ≠ api ${JSON.stringify(want[k])}`);
  }
  return out;
}

// The page may be a snapshot behind /api/live: compare with a fetch just before and just
// after reading the page, and try again a few times.
async function matchLive(page, base, attempts) {
  let last = [];
  for (let i = 0; i < attempts; i++) {
    const a1 = await getJson(`${base}/api/live`);
    const got = await readPage(page);
    const a2 = await getJson(`${base}/api/live`);
    const d1 = diff(expected(a1), got);
    if (d1.length === 0) return { snap: a1, got, tries: i + 1 };
    const d2 = diff(expected(a2), got);
    if (d2.length === 0) return { snap: a2, got, tries: i + 1 };
    last = d1.length <= d2.length ? d1 : d2;
    await sleep(150 + 50 * (i % 4));
  }
  throw new Error(`after ${attempts} tries the page differs from /api/live: ${last.slice(0, 8).join('; ')}`);
}

function pngSize(file) {
  const b = fs.readFileSync(file);
  assert(b.length > 24 && b.toString('latin1', 1, 4) === 'PNG', `${file} is not a PNG`);
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20), bytes: b.length };
}

/* ---------- the test ---------- */

async function main() {
  let chromium;
  try {
    ({ chromium } = require('playwright-core'));
  } catch (e) {
    failed++;
    log(`FAIL playwright-core is not installed: run (cd ${path.relative(process.cwd(), __dirname) || '.'} && npm ci)`);
    return;
  }
  for (const f of [REXIAND, REXIAN, CHROMIUM, path.join(WALLBOARD, 'index.html')]) {
    if (!fs.existsSync(f)) { failed++; log(`FAIL missing ${f}`); return; }
  }

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rexian-wallboard-'));
  const feedPort = await freePort();
  const httpPort = await freePort();
  const base = `http://127.0.0.1:${httpPort}`;
  const daemonLog = path.join(tmp, 'rexiand.log');
  const daemonArgs = ['--listen', `tcp://127.0.0.1:${feedPort}`, '--redis', 'none', '--http', `127.0.0.1:${httpPort}`,
    '--clock', 'event', '--flush-ms', '200', '--wallboard', WALLBOARD, '--alert', RULE];
  let daemon = start(REXIAND, daemonArgs, daemonLog);
  let context = null;
  let keepTmp = false;

  try {
    const up = await check('rexiand serves the wallboard files', async () => {
      await waitFor('rexiand /healthz', async () => (await get(`${base}/healthz`, 1000)).status === 200, 10000, 100);
      const index = await get(`${base}/`);
      assert(index.status === 200 && /text\/html/.test(index.headers['content-type']), `GET / -> ${index.status} ${index.headers['content-type']}`);
      assert(index.body.includes('wallboard.js') && index.body.includes('wallboard.css'), 'GET / is not the wallboard page');
      for (const f of ['wallboard.js', 'wallboard.css']) {
        const r = await get(`${base}/${f}`);
        assert(r.status === 200 && r.body.length > 1000, `GET /${f} -> ${r.status}`);
      }
      const cfg = await getJson(`${base}/api/config`);
      assert(cfg.targets && isNum(cfg.targets.service_level), '/api/config has no targets');
      assert(JSON.stringify(cfg.rules).includes('test_alert'), '/api/config does not list the test rule');
      return `http ${base}`;
    });
    if (!up) { keepTmp = true; return; }

    context = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1920, height: 1080 },
      deviceScaleFactor: 1,
      locale: 'zh-CN',
      timeout: 30000,
    });
    const page = context.pages()[0] || await context.newPage();
    page.setDefaultTimeout(15000);
    const pageErrors = [];
    const outside = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    // Network errors are expected while rexiand restarts (the stream is cut, the reconnects
    // are refused); anything else on the console is a fault of the page.
    page.on('console', (m) => {
      if (m.type() === 'error' && !/^Failed to load resource: net::ERR_/.test(m.text())) pageErrors.push('console: ' + m.text());
    });
    page.on('request', (r) => { if (!r.url().startsWith(base + '/') && !r.url().startsWith('data:')) outside.push(r.url()); });

    const loaded = await check('the page loads in Chinese and goes live on the event stream', async () => {
      const r = await page.goto(`${base}/`, { waitUntil: 'load', timeout: 15000 });
      assert(r && r.status() === 200, `page status ${r && r.status()}`);
      try {
        await page.waitForFunction(() => document.body.getAttribute('data-state') === 'live', null, { timeout: 10000 });
      } catch (e) {
        const st = await page.evaluate(() => [document.body.getAttribute('data-state'), document.body.getAttribute('data-snapshots') || '0']);
        throw new Error(`no snapshot event from /api/stream reached the page in 10 s (state ${st[0]}, ${st[1]} snapshots)`);
      }
      const lang = await page.evaluate(() => document.documentElement.lang);
      assert(lang === 'zh-CN', `html lang ${lang}`);
      const label = await page.textContent('[data-i18n="waitingNow"]');
      assert(label === '当前排队', `label ${label}`);
      const conn = await page.textContent('#conn-text');
      assert(conn === '实时', `status ${conn}`);
      return `before the feed the tiles read ${await page.textContent('[data-k="sl-today"]')}`;
    });
    if (!loaded) { keepTmp = true; return; }

    const before = await readPage(page);
    const sim = start(REXIAN, ['sim', '--start', '2026-03-02T09:30:00+08:00', '--hours', '2', '--speed', '300', '--seed', '5', '--connect', `tcp://127.0.0.1:${feedPort}`],
      path.join(tmp, 'sim.log'));

    await check('a seat row appears', async () => {
      await page.waitForSelector('#seats-body tr[data-seat]', { timeout: 15000 });
      const id = await page.getAttribute('#seats-body tr[data-seat]', 'data-seat');
      const live = await getJson(`${base}/api/live`);
      assert(id in live.live.seats, `row for seat ${id} which /api/live does not know`);
      return `seat ${id}`;
    });

    await check('the figures change as the feed goes on', async () => {
      const changed = [];
      await waitFor('answered and offered today to move', async () => {
        const now = await readPage(page);
        changed.length = 0;
        for (const k of ['offered-today', 'answered-today', 'clock', 'sl-today']) if (now[k] !== before[k]) changed.push(`${k} ${before[k]} → ${now[k]}`);
        return changed.length >= 3;
      }, 20000, 250);
      const a = await readPage(page);
      await waitFor('a later change', async () => (await readPage(page))['clock'] !== a['clock'], 10000, 200);
      return changed.join(', ');
    });

    // Mid-feed, with the sender paused: while it streams at 300x, /api/live moves on between
    // two snapshots and an exact match is a race. Paused, rexiand settles and keeps sending
    // snapshots, and the page must show the same figures as /api/live.
    await check('the tiles show the same numbers as /api/live during the feed', async () => {
      process.kill(sim.pid, 'SIGSTOP');
      try {
        const { got, tries } = await matchLive(page, base, 40);
        return `sender paused mid-feed: SL 15m ${got['sl-15m']}, today ${got['sl-today']}, answered ${got['answered-today']} (${tries} tries)`;
      } finally {
        process.kill(sim.pid, 'SIGCONT');
      }
    });

    await check('the alert banner shows when the rule fires', async () => {
      await page.waitForSelector('#alerts:not([hidden]) li.alert', { timeout: 30000 });
      const text = await page.textContent('#alerts');
      assert(text.includes('test_alert'), `banner says ${JSON.stringify(text)}`);
      assert(text.includes('人工接听'), `banner lacks the metric: ${JSON.stringify(text)}`);
      const api = await getJson(`${base}/api/alerts`);
      assert(api.firing.some((a) => a.rule === 'test_alert'), '/api/alerts does not list test_alert as firing');
      return text.replace(/\s+/g, ' ').trim();
    });

    await check('the seat table sorts by clicking its headers', async () => {
      const col = async (i) => page.$$eval('#seats-body tr[data-seat]', (rows, j) => rows.map((r) => r.cells[j].textContent), i);
      const nums = (xs) => xs.map((x) => Number(x.replace(/,/g, '')));
      await page.click('#seats th[data-sort="answered"]');
      let a = nums(await col(4));
      assert(a.every((x, i) => i === 0 || a[i - 1] >= x), `answered, first click: ${a}`);
      await page.click('#seats th[data-sort="answered"]');
      a = nums(await col(4));
      assert(a.every((x, i) => i === 0 || a[i - 1] <= x), `answered, second click: ${a}`);
      await page.click('#seats th[data-sort="seat"]');
      const ids = await col(0);
      const sorted = ids.slice().sort((x, y) => x.length - y.length || (x < y ? -1 : x > y ? 1 : 0));
      assert(JSON.stringify(ids) === JSON.stringify(sorted), `seat ids: ${ids}`);
      await page.click('#seats th[data-sort="state"]');
      const order = { 通话中: 0, 空闲: 1, 示忙: 2, 已登录: 3, 已登出: 4 };
      const states = (await col(1)).map((s) => order[s]);
      assert(states.every((x, i) => i === 0 || states[i - 1] <= x), `states: ${await col(1)}`);
      return `${ids.length} rows`;
    });

    await check('the language switch works and is remembered', async () => {
      await page.click('#lang');
      await page.waitForFunction(() => document.documentElement.lang === 'en', null, { timeout: 3000 });
      let label = await page.textContent('[data-i18n="waitingNow"]');
      assert(label === 'Calls waiting', `English label ${JSON.stringify(label)}`);
      assert((await page.textContent('#lang')) === '中文', 'switch does not offer Chinese back');
      await page.reload({ waitUntil: 'load' });
      await page.waitForFunction(() => document.body.getAttribute('data-state') === 'live', null, { timeout: 10000 });
      label = await page.textContent('[data-i18n="sl"]');
      assert(label === 'Answered within 30 s', `after reload: ${JSON.stringify(label)}`);
      await page.click('#lang');
      await page.waitForFunction(() => document.documentElement.lang === 'zh-CN', null, { timeout: 3000 });
      label = await page.textContent('[data-i18n="sl"]');
      assert(label === '30秒人工接通率', `back in Chinese: ${JSON.stringify(label)}`);
      return 'zh → en → reload → en → zh';
    });

    // The screenshot: late in the feed, while seats are talking and the last hour has a line
    // (at the very end of the simulated two hours every seat has logged out).
    await check(`a 1920x1080 screenshot is saved to ${path.relative(ROOT, SHOT)}`, async () => {
      const wanted = async () => page.evaluate(() => {
        const clock = document.querySelector('[data-k="clock"]').textContent;
        return clock.slice(11) >= '01:20:00' && document.querySelectorAll('#seats-body tr.st-talking').length > 0 &&
          document.querySelectorAll('#chart-svg circle.dot').length >= 8;
      });
      const when = await Promise.race([
        waitFor('a busy moment', wanted, 30000, 100).then(() => 'mid-feed'),
        sim.exited.then(() => 'after the feed'),
      ]).catch((e) => `anyway (${e.message})`);
      fs.mkdirSync(path.dirname(SHOT), { recursive: true });
      await page.screenshot({ path: SHOT, type: 'png', timeout: 15000 });
      const s = pngSize(SHOT);
      assert(s.width === 1920 && s.height === 1080, `size ${s.width}x${s.height}`);
      return `${when}, ${s.bytes} bytes`;
    });

    await check('rexian sim streams its two hours and exits 0', async () => {
      const code = await Promise.race([sim.exited, sleep(90000).then(() => 'timeout')]);
      assert(code === 0, `sim exit ${code}`);
    });
    await sleep(1500);   // the idle event clock decides the last abandons after 1 s

    let final = null;
    await check('the tiles, queues and seats show the same numbers as /api/live after the feed', async () => {
      const r = await matchLive(page, base, 20);
      final = r;
      const g = r.snap.windows.today.global;
      assert(g.offered > 0 && g.answered > 0, 'the feed left no calls');
      assert(Object.keys(r.snap.live.seats).length > 0 && Object.keys(r.snap.live.queues).length > 0, 'no seats or queues');
      return `${g.offered} offered, SL today ${r.got['sl-today']}, ${Object.keys(r.snap.live.seats).length} seats`;
    });

    await check('the service-level line is drawn from history.minutes', async () => {
      const n = final ? final.snap.history.minutes.filter((m) => m.service_level !== null).length : 0;
      const dots = await page.$$eval('#chart-svg circle.dot', (c) => c.length);
      const line = await page.$$eval('#chart-svg path.slline', (p) => p.length);
      assert(n > 0, 'history.minutes is empty');
      assert(dots === Math.min(n, 60) && line === 1, `${dots} dots and ${line} line for ${n} minutes`);
      return `${dots} minutes`;
    });

    await check('names are shown as text, never as markup; a talk past 10 minutes is highlighted', async () => {
      const live = await getJson(`${base}/api/live`);
      const seat = '<img src=x onerror="window.__pwned=1">&amp;';
      const queue = '<b>一企来</b><script>window.__pwned=2</script>';
      const t = Math.ceil(live.clock.now_ms / 1000) + 1;
      await sendFeed(feedPort, [
        { ts: t, event: 'seat', seat, state: 'login' },
        { ts: t, event: 'seat', seat, state: 'ready' },
        { ts: t + 1, event: 'offer', call: 'wallboard-test-1', queue },
        { ts: t + 3, event: 'answer', call: 'wallboard-test-1', seat },
        // moves the event clock on: the call above has now talked 700 s
        { ts: t + 703, event: 'seat', seat: 'wallboard-test-clock', state: 'login' },
      ]);
      await waitFor('the odd seat talking for 11:40', async () => page.evaluate((id) => {
        const row = [...document.querySelectorAll('#seats-body tr[data-seat]')].find((x) => x.getAttribute('data-seat') === id);
        return row && row.cells[3].textContent === '11:40';
      }, seat), 10000);
      const r = await page.evaluate(([id, q]) => {
        const row = [...document.querySelectorAll('#seats-body tr[data-seat]')].find((x) => x.getAttribute('data-seat') === id);
        const qrow = [...document.querySelectorAll('#queues-body tr[data-queue]')].find((x) => x.getAttribute('data-queue') === q);
        return {
          seatText: row.cells[0].textContent, state: row.cells[1].textContent,
          long: row.cells[3].classList.contains('long'), queueText: qrow ? qrow.cells[0].textContent : null,
          markup: document.querySelectorAll('#seats-body img, #queues-body b, #queues-body script, #alerts-list img').length,
          pwned: window.__pwned || 0,
        };
      }, [seat, queue]);
      assert(r.seatText === seat && r.queueText === queue, `names read ${JSON.stringify([r.seatText, r.queueText])}`);
      assert(r.markup === 0 && r.pwned === 0, `markup from the feed got into the page: ${JSON.stringify(r)}`);
      assert(r.state === '通话中' && r.long, `the 11:40 talk is not highlighted: ${JSON.stringify(r)}`);
      const m = await matchLive(page, base, 20);
      return `seat and queue names as text, talk 11:40 highlighted, page = /api/live (${m.tries} tries)`;
    });

    await check('the page says the data is stale when snapshots stop, and recovers', async () => {
      process.kill(daemon.pid, 'SIGSTOP');
      try {
        await page.waitForFunction(() => document.body.getAttribute('data-state') === 'stale', null, { timeout: 5000 });
        const t = await page.textContent('#conn-text');
        assert(t.includes('数据已过期'), `status ${JSON.stringify(t)}`);
        assert(await page.isVisible('#stale-overlay'), 'no stale notice over the figures');
      } finally {
        process.kill(daemon.pid, 'SIGCONT');
      }
      await page.waitForFunction(() => document.body.getAttribute('data-state') === 'live', null, { timeout: 5000 });
      assert(!(await page.isVisible('#stale-overlay')), 'the stale notice stays after recovery');
      return 'rexiand paused (SIGSTOP) → 数据已过期 → SIGCONT → 实时';
    });

    await check('the browser reconnects by itself after a rexiand restart', async () => {
      const code = await stop(daemon);
      assert(code === 0, `rexiand exit ${code} on SIGTERM`);
      await page.waitForFunction(() => document.body.getAttribute('data-state') === 'stale', null, { timeout: 5000 });
      const t = await page.textContent('#conn-text');
      assert(t.includes('数据已过期'), `status while down ${JSON.stringify(t)}`);
      const n = Number(await page.getAttribute('body', 'data-snapshots'));
      daemon = start(REXIAND, daemonArgs, daemonLog);
      await waitFor('rexiand back', async () => (await get(`${base}/healthz`, 1000)).status === 200, 10000, 100);
      await page.waitForFunction((k) => document.body.getAttribute('data-state') === 'live' &&
        Number(document.body.getAttribute('data-snapshots')) > k, n, { timeout: 15000 });
      return `down: ${t}`;
    });

    await check('no script errors, no request outside rexiand', async () => {
      assert(pageErrors.length === 0, pageErrors.slice(0, 5).join(' | '));
      assert(outside.length === 0, `requests elsewhere: ${outside.slice(0, 5).join(', ')}`);
    });
  } finally {
    if (context) await Promise.race([context.close().catch(() => {}), sleep(10000)]);
    if (daemon) await stop(daemon, 5000);
    killAll();
    if (failed > 0 || keepTmp) {
      try {
        const tail = fs.readFileSync(daemonLog, 'utf8').split('\n').slice(-20).join('\n# ');
        log(`# rexiand log (last lines), kept in ${tmp}:\n# ${tail}`);
      } catch (e) { /* no log */ }
    } else {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
}

const guard = setTimeout(() => {
  failed++;
  log(`FAIL the whole test took longer than ${TOTAL_MS / 1000} s`);
  log(`${passed} passed, ${failed} failed`);
  killAll();
  process.exit(1);
}, TOTAL_MS);

main().catch((e) => { failed++; log(`FAIL ${(e && e.stack) || e}`); }).finally(() => {
  clearTimeout(guard);
  if (passed + failed === 0) failed++;
  log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
});
