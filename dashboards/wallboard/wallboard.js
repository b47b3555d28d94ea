/*
 * rexian wallboard: renders rexiand's snapshots (docs/http-api.md) for a TV across the room.
 * Plain script, no library, no network access beyond the rexiand that serves this page:
 * live data only from the Server-Sent Events stream api/stream (event "snapshot"), the
 * thresholds from api/config. Every name from the data goes into the DOM as text
 * (textContent / createTextNode), never as HTML.
 */
(function () {
  'use strict';

  var LANG_KEY = 'rexian.wallboard.lang';
  var SORT_KEY = 'rexian.wallboard.seatSort';
  var PAGE_MS = 10000;          // seat table page turn when the seats do not fit
  var MIN_INTERVAL_MS = 500;    // floor of the "usual interval" used for staleness
  var DASH = '\u2014';          // shown for null

  /* ---------- texts ---------- */

  // c = {sl: service-level seconds, longLabel: "10分钟" / "10 min"}
  var TEXT = {
    zh: {
      title: '政务服务便民热线 · 实时监控',
      connecting: '连接中',
      live: '实时',
      stale: '数据已过期',
      streamDown: '数据已过期 · 连接中断',
      alertsFiring: '告警',
      sl: function (c) { return c.sl + '秒人工接通率'; },
      w15m: '近15分钟',
      wToday: '今日',
      w15mShort: '15分钟',
      withinOfOffered: function (c) { return c.sl + '秒内接听 / 人工请求'; },
      target: '目标',
      warn: '预警',
      waitingNow: '当前排队',
      longestWait: '最长等待',
      seats: '座席',
      loggedIn: '已登录',
      ready: '空闲',
      onCall: '通话中',
      seatsNeeded: function (c) { return '按近' + c.staffMin + '话务所需'; },
      connectRate: '接通率 · 今日',
      abandonRate: '放弃率 · 今日',
      avgWait: '平均等待 · 今日',
      avgTalk: '平均通话 · 今日',
      longTalk: function (c) { return '超' + c.longLabel + '占比 · 今日'; },
      answered: '人工接听话务量 · 今日',
      offered: '人工请求',
      abandoned: '放弃',
      chartTitle: function (c) { return c.sl + '秒人工接通率 · 近1小时'; },
      perMinute: '每分钟',
      queue: '队列',
      waitingShort: '排队',
      longestWaitShort: '最长等待',
      sl15m: '15分钟接通率',
      slToday: '今日接通率',
      answeredToday: '今日接听',
      seatTable: '座席明细',
      seat: '座席',
      state: '状态',
      timeInState: '状态时长',
      currentTalk: '本次通话',
      avgTalkShort: '平均通话',
      longTalks: function (c) { return '超' + c.longLabel; },
      noQueues: '暂无队列数据',
      noSeats: '暂无座席',
      page: function (p, n) { return ' · 第 ' + p + '/' + n + ' 页'; },
      seatCount: function (n) { return n + ' 个座席'; },
      states: { talking: '通话中', ready: '空闲', notready: '示忙', login: '已登录', logout: '已登出' },
      windows: { '15m': '15分钟', '1h': '1小时', today: '今日', shift: '本班', all: '累计', live: '实时' },
      scopes: { global: '全部', outbound: '呼出', queue: '队列', seat: '座席', platform: '平台' },
      metrics: {
        service_level: function (c) { return c.sl + '秒人工接通率'; },
        connect_rate: '接通率', abandon_rate: '放弃率', avg_wait_s: '平均等待',
        avg_talk_s: '平均通话', long_talk_share: function (c) { return '超' + c.longLabel + '占比'; },
        max_talk_s: '最大通话', waiting: '排队数', longest_wait_s: '最长等待',
        offered: '人工请求', answered: '人工接听', abandoned: '放弃', completed: '完成通话'
      },
      since: '起',
      lastUpdate: function (n, down) { return '最后更新于 ' + n + ' 秒前' + (down ? ' · 正在重新连接' : ''); },
      targetsLine: function (t) {
        return '目标：' + t.slName + ' ≥ ' + t.sl + '（绿）· ≥ ' + t.warn + '（黄）· 低于为红 · 接通率 ≥ ' +
          t.connect + ' · 长通话 > ' + t.long + ' · 时区 ' + t.tz;
      },
      rules: '告警规则：',
      noRules: '无',
      ingest: function (i) {
        return '输入 ' + i.lines + ' 行 · 错误 ' + i.errors + ' · 在途通话 ' + i.inflight;
      }
    },
    en: {
      title: 'Citizen Hotline · Live Wallboard',
      connecting: 'connecting',
      live: 'live',
      stale: 'stale',
      streamDown: 'stale · stream down',
      alertsFiring: 'ALERT',
      sl: function (c) { return 'Answered within ' + c.sl + ' s'; },
      w15m: 'last 15 min',
      wToday: 'today',
      w15mShort: '15 min',
      withinOfOffered: function (c) { return 'within ' + c.sl + ' s / offered'; },
      target: 'target',
      warn: 'warn',
      waitingNow: 'Calls waiting',
      longestWait: 'longest wait',
      seats: 'Seats',
      loggedIn: 'logged in',
      ready: 'ready',
      onCall: 'on a call',
      seatsNeeded: function (c) { return 'needed for the last ' + c.staffMinEn; },
      connectRate: 'Connect rate · today',
      abandonRate: 'Abandoned · today',
      avgWait: 'Avg wait · today',
      avgTalk: 'Avg talk · today',
      longTalk: function (c) { return 'Over ' + c.longLabel + ' · today'; },
      answered: 'Answered · today',
      offered: 'offered',
      abandoned: 'abandoned',
      chartTitle: function (c) { return 'Answered within ' + c.sl + ' s · last hour'; },
      perMinute: 'per minute',
      queue: 'Queue',
      waitingShort: 'Waiting',
      longestWaitShort: 'Longest',
      sl15m: 'SL 15 min',
      slToday: 'SL today',
      answeredToday: 'Answered',
      seatTable: 'Seats',
      seat: 'Seat',
      state: 'State',
      timeInState: 'In state',
      currentTalk: 'This call',
      avgTalkShort: 'Avg talk',
      longTalks: function (c) { return '> ' + c.longLabel; },
      noQueues: 'no queue data yet',
      noSeats: 'no seats yet',
      page: function (p, n) { return ' · page ' + p + '/' + n; },
      seatCount: function (n) { return n + (n === 1 ? ' seat' : ' seats'); },
      states: { talking: 'talking', ready: 'ready', notready: 'not ready', login: 'logged in', logout: 'logged out' },
      windows: { '15m': '15 min', '1h': '1 h', today: 'today', shift: 'shift', all: 'all', live: 'live' },
      scopes: { global: 'global', outbound: 'outbound', queue: 'queue', seat: 'seat', platform: 'platform' },
      metrics: {
        service_level: function (c) { return 'service level ' + c.sl + ' s'; },
        connect_rate: 'connect rate', abandon_rate: 'abandon rate', avg_wait_s: 'average wait',
        avg_talk_s: 'average talk', long_talk_share: function (c) { return 'talks over ' + c.longLabel; },
        max_talk_s: 'longest talk', waiting: 'calls waiting', longest_wait_s: 'longest wait',
        offered: 'offered', answered: 'answered', abandoned: 'abandoned', completed: 'completed'
      },
      since: 'since',
      lastUpdate: function (n, down) { return 'last update ' + n + ' s ago' + (down ? ' · reconnecting' : ''); },
      targetsLine: function (t) {
        return 'Targets: ' + t.slName + ' ≥ ' + t.sl + ' green · ≥ ' + t.warn + ' amber · below red · connect rate ≥ ' +
          t.connect + ' · long talk > ' + t.long + ' · time zone ' + t.tz;
      },
      rules: 'Alert rules: ',
      noRules: 'none',
      ingest: function (i) {
        return 'ingest ' + i.lines + ' lines · ' + i.errors + ' errors · ' + i.inflight + ' calls in flight';
      }
    }
  };

  /* ---------- formatting, as the hotlines publish figures ---------- */

  function isNum(x) { return typeof x === 'number' && isFinite(x); }
  function fmtPct(x) { return isNum(x) ? (x * 100).toFixed(2) + '%' : DASH; }
  function fmtSec(x) { return isNum(x) ? x.toFixed(2) + ' s' : DASH; }
  function fmtInt(x) {
    if (!isNum(x)) return DASH;
    var s = String(Math.round(Math.abs(x)));
    var out = '';
    while (s.length > 3) { out = ',' + s.slice(-3) + out; s = s.slice(0, -3); }
    return (x < 0 ? '-' : '') + s + out;
  }
  // A live duration as a clock: 0:07, 4:05, 1:02:03 (whole seconds, floored).
  function fmtDur(x) {
    if (!isNum(x)) return DASH;
    var t = Math.max(0, Math.floor(x));
    var h = Math.floor(t / 3600), m = Math.floor((t % 3600) / 60), s = t % 60;
    var ss = (s < 10 ? '0' : '') + s;
    if (h > 0) return h + ':' + (m < 10 ? '0' : '') + m + ':' + ss;
    return m + ':' + ss;
  }
  function fmtMetric(metric, x) {
    if (/rate$|^service_level$|_share$/.test(metric)) return fmtPct(x);
    if (/_s$/.test(metric)) return fmtSec(x);
    return fmtInt(x);
  }

  /* ---------- state ---------- */

  var st = {
    lang: 'zh',
    snap: null,
    config: null,
    count: 0,
    lastAt: 0,
    gaps: [],
    streamUp: false,
    freshStream: true,
    es: null,
    sort: { key: 'state', dir: 1 },
    page: 0,
    pageTurnAt: 0
  };

  function $(id) { return document.getElementById(id); }
  function keyed(k) { return document.querySelectorAll('[data-k="' + k + '"]'); }
  function setK(k, text, cls) {
    var els = keyed(k);
    for (var i = 0; i < els.length; i++) {
      if (els[i].textContent !== text) els[i].textContent = text;
      if (cls !== undefined) setLevel(els[i], cls);
    }
  }
  function setLevel(el, cls) {
    el.classList.remove('good', 'warn', 'bad', 'none');
    if (cls) el.classList.add(cls);
  }
  function store(key, value) { try { window.localStorage.setItem(key, value); } catch (e) { /* private mode */ } }
  function load(key) { try { return window.localStorage.getItem(key); } catch (e) { return null; } }

  function ctx() {
    var s = st.snap, c = st.config;
    var sl = (s && s.clock && isNum(s.clock.service_level_s)) ? s.clock.service_level_s :
      (c && isNum(c.service_level_s)) ? c.service_level_s : 30;
    var lt = (s && s.clock && isNum(s.clock.long_talk_s)) ? s.clock.long_talk_s :
      (c && isNum(c.long_talk_s)) ? c.long_talk_s : 600;
    var longLabel;
    if (lt % 60 === 0) longLabel = st.lang === 'zh' ? (lt / 60) + '分钟' : (lt / 60) + ' min';
    else longLabel = st.lang === 'zh' ? lt + '秒' : lt + ' s';
    var iv = (s && s.staffing && isNum(s.staffing.interval_s)) ? s.staffing.interval_s : 1800;
    return { sl: sl, longS: lt, longLabel: longLabel,
      staffMin: iv % 60 === 0 ? (iv / 60) + '分钟' : iv + '秒', staffMinEn: iv % 60 === 0 ? (iv / 60) + ' min' : iv + ' s' };
  }
  function tr(key) {
    var v = TEXT[st.lang][key];
    if (typeof v === 'function') return v(ctx());
    return v === undefined ? key : v;
  }
  function trMap(map, key) {
    var v = TEXT[st.lang][map][key];
    if (typeof v === 'function') return v(ctx());
    return v === undefined ? key : v;
  }

  function targets() {
    var t = (st.snap && st.snap.targets) || (st.config && st.config.targets) || {};
    return {
      sl: isNum(t.service_level) ? t.service_level : null,
      warn: isNum(t.service_level_warn) ? t.service_level_warn : null,
      connect: isNum(t.connect_rate) ? t.connect_rate : null
    };
  }
  function slLevel(v) {
    var t = targets();
    if (!isNum(v) || t.sl === null) return 'none';
    if (v >= t.sl) return 'good';
    if (t.warn !== null && v >= t.warn) return 'warn';
    return 'bad';
  }
  function connectLevel(v) {
    var t = targets();
    if (!isNum(v) || t.connect === null) return 'none';
    return v >= t.connect ? 'good' : 'bad';
  }

  /* ---------- language ---------- */

  function applyLang() {
    document.documentElement.lang = st.lang === 'zh' ? 'zh-CN' : 'en';
    document.title = 'rexian · ' + tr('title');
    var els = document.querySelectorAll('[data-i18n]');
    for (var i = 0; i < els.length; i++) {
      var text = tr(els[i].getAttribute('data-i18n'));
      if (els[i].textContent !== text) els[i].textContent = text;
    }
    $('lang').textContent = st.lang === 'zh' ? 'EN' : '中文';
    $('lang').setAttribute('aria-label', st.lang === 'zh' ? 'Switch to English' : '切换到中文');
    updateConn();
    render();
  }

  /* ---------- rendering ---------- */

  function win(name) {
    var w = st.snap && st.snap.windows && st.snap.windows[name];
    return w || { global: null, queues: {}, seats: {} };
  }
  function m(obj, field) { return obj && isNum(obj[field]) ? obj[field] : null; }

  function render() {
    if (!st.snap) { renderFooter(); return; }
    try {
      renderTiles();
      renderAlerts();
      renderQueues();
      renderSeats();
      renderChart();
      renderFooter();
    } catch (e) {
      if (window.console) console.error('wallboard render failed', e);
    }
  }

  function renderTiles() {
    var s = st.snap, g15 = win('15m').global, gd = win('today').global, live = s.live || {};
    var t = targets();

    setK('sl-15m', fmtPct(m(g15, 'service_level')), slLevel(m(g15, 'service_level')));
    setK('sl-today', fmtPct(m(gd, 'service_level')), slLevel(m(gd, 'service_level')));
    setK('sl-15m-count', fmtInt(m(g15, 'answered_within_sl')) + ' / ' + fmtInt(m(g15, 'offered')));
    setK('sl-today-count', fmtInt(m(gd, 'answered_within_sl')) + ' / ' + fmtInt(m(gd, 'offered')));
    $('tile-sl-15m').className = 'tile sl lvl-' + slLevel(m(g15, 'service_level'));
    $('tile-sl-today').className = 'tile sl lvl-' + slLevel(m(gd, 'service_level'));

    var targetEls = document.querySelectorAll('.t-sl');
    for (var i = 0; i < targetEls.length; i++) targetEls[i].textContent = fmtPct(t.sl);
    targetEls = document.querySelectorAll('.t-warn');
    for (i = 0; i < targetEls.length; i++) targetEls[i].textContent = fmtPct(t.warn);
    targetEls = document.querySelectorAll('.t-connect');
    for (i = 0; i < targetEls.length; i++) targetEls[i].textContent = fmtPct(t.connect);

    setK('waiting', fmtInt(m(live, 'waiting')));
    setK('longest-wait', fmtDur(m(live, 'longest_wait_s')));
    $('tile-waiting').classList.toggle('busy', (m(live, 'waiting') || 0) > 0);
    setK('seats-in', fmtInt(m(live, 'seats_logged_in')));
    setK('seats-ready', fmtInt(m(live, 'seats_ready')));
    setK('seats-oncall', fmtInt(m(live, 'seats_on_call')));
    // Erlang sizing of the last interval (rexiand's staffing block), against who is logged in
    var staff = s.staffing && s.staffing.scopes && s.staffing.scopes.global;
    var need = m(staff, 'required'), have = m(live, 'seats_logged_in');
    setK('seats-needed', fmtInt(need), need === null ? 'none' : (have !== null && have < need ? 'bad' : 'good'));

    setK('connect-today', fmtPct(m(gd, 'connect_rate')), connectLevel(m(gd, 'connect_rate')));
    setK('connect-15m', fmtPct(m(g15, 'connect_rate')), connectLevel(m(g15, 'connect_rate')));
    setK('abandon-today', fmtPct(m(gd, 'abandon_rate')));
    setK('abandon-15m', fmtPct(m(g15, 'abandon_rate')));
    setK('avgwait-today', fmtSec(m(gd, 'avg_wait_s')));
    setK('avgwait-15m', fmtSec(m(g15, 'avg_wait_s')));
    setK('avgtalk-today', fmtSec(m(gd, 'avg_talk_s')));
    setK('avgtalk-15m', fmtSec(m(g15, 'avg_talk_s')));
    setK('longtalk-today', fmtPct(m(gd, 'long_talk_share')));
    setK('longtalk-15m', fmtPct(m(g15, 'long_talk_share')));
    setK('answered-today', fmtInt(m(gd, 'answered')));
    setK('offered-today', fmtInt(m(gd, 'offered')));
    setK('abandoned-today', fmtInt(m(gd, 'abandoned')));

    setK('clock', fmtClock(s.clock && s.clock.now_ms, s.clock && s.clock.timezone));
  }

  var tzFormats = {};
  function localParts(ms, tz) {
    var f = tzFormats[tz];
    if (f === undefined) {
      try {
        f = new Intl.DateTimeFormat('en-GB', {
          timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
          hour: '2-digit', minute: '2-digit', second: '2-digit'
        });
      } catch (e) { f = null; }
      tzFormats[tz] = f;
    }
    var p = {};
    if (f) {
      f.formatToParts(new Date(ms)).forEach(function (x) { p[x.type] = x.value; });
    } else {
      var d = new Date(ms);
      var two = function (n) { return (n < 10 ? '0' : '') + n; };
      p = { year: String(d.getFullYear()), month: two(d.getMonth() + 1), day: two(d.getDate()),
        hour: two(d.getHours()), minute: two(d.getMinutes()), second: two(d.getSeconds()) };
    }
    if (p.hour === '24') p.hour = '00';
    return p;
  }
  function fmtClock(ms, tz) {
    if (!isNum(ms) || ms <= 0) return DASH;     // rexiand has no clock before the first event
    var p = localParts(ms, tz || 'Asia/Shanghai');
    return p.year + '-' + p.month + '-' + p.day + ' ' + p.hour + ':' + p.minute + ':' + p.second;
  }

  function scopeText(scope) {
    if (typeof scope !== 'string') return '';
    var i = scope.indexOf(':');
    if (i < 0) return trMap('scopes', scope);
    return trMap('scopes', scope.slice(0, i)) + ' ' + scope.slice(i + 1);
  }

  function renderAlerts() {
    var firing = (st.snap.alerts && Array.isArray(st.snap.alerts.firing)) ? st.snap.alerts.firing : [];
    var box = $('alerts'), list = $('alerts-list');
    box.hidden = firing.length === 0;
    document.body.classList.toggle('alerting', firing.length > 0);
    var parts = [];
    firing.forEach(function (a) {
      var metric = String(a.metric || '');
      parts.push([
        String(a.rule || ''),
        trMap('metrics', metric) + ' · ' + scopeText(a.scope) +
          (a.window ? ' · ' + trMap('windows', a.window) : ''),
        fmtMetric(metric, a.value) + ' ' + (a.op || '') + ' ' + fmtMetric(metric, a.threshold),
        isNum(a.since_ms) ? tr('since') + ' ' + fmtClock(a.since_ms, st.snap.clock && st.snap.clock.timezone).slice(11) : ''
      ]);
    });
    var sig = JSON.stringify(parts);
    if (list.getAttribute('data-sig') === sig) return;
    list.setAttribute('data-sig', sig);
    list.textContent = '';
    parts.forEach(function (p) {
      var li = document.createElement('li');
      li.className = 'alert';
      var name = document.createElement('b'); name.className = 'a-rule'; name.textContent = p[0];
      var what = document.createElement('span'); what.className = 'a-metric'; what.textContent = p[1];
      var val = document.createElement('span'); val.className = 'a-value'; val.textContent = p[2];
      var since = document.createElement('span'); since.className = 'a-since'; since.textContent = p[3];
      li.appendChild(name); li.appendChild(what); li.appendChild(val); li.appendChild(since);
      list.appendChild(li);
    });
  }

  function cell(text, cls) {
    var td = document.createElement('td');
    td.textContent = text;
    if (cls) td.className = cls;
    return td;
  }

  function naturalCompare(a, b) {
    var na = /^\d+$/.test(a), nb = /^\d+$/.test(b);
    if (na && nb && a.length !== b.length) return a.length - b.length;
    return a < b ? -1 : a > b ? 1 : 0;
  }

  function renderQueues() {
    var live = (st.snap.live && st.snap.live.queues) || {};
    var q15 = win('15m').queues || {}, qd = win('today').queues || {};
    var names = {};
    Object.keys(live).forEach(function (n) { names[n] = 1; });
    Object.keys(qd).forEach(function (n) { names[n] = 1; });
    var list = Object.keys(names).sort(function (a, b) {
      var oa = m(qd[a], 'offered') || 0, ob = m(qd[b], 'offered') || 0;
      return ob - oa || naturalCompare(a, b);
    });
    var body = $('queues-body');
    var frag = document.createDocumentFragment();
    list.forEach(function (n) {
      var row = document.createElement('tr');
      row.setAttribute('data-queue', n);
      var lq = live[n] || {};
      var waiting = m(lq, 'waiting');
      row.appendChild(cell(n, 'name'));
      row.appendChild(cell(fmtInt(waiting === null ? 0 : waiting), 'num' + (waiting > 0 ? ' busy' : '')));
      row.appendChild(cell(fmtDur(m(lq, 'longest_wait_s')), 'num'));
      var s15 = m(q15[n], 'service_level'), sd = m(qd[n], 'service_level');
      row.appendChild(cell(fmtPct(s15), 'num lv ' + slLevel(s15)));
      row.appendChild(cell(fmtPct(sd), 'num lv ' + slLevel(sd)));
      row.appendChild(cell(fmtInt(m(qd[n], 'answered') || 0), 'num'));
      frag.appendChild(row);
    });
    if (list.length === 0) {
      var empty = document.createElement('tr');
      var td = cell(tr('noQueues'), 'empty');
      td.colSpan = 6;
      empty.appendChild(td);
      frag.appendChild(empty);
    }
    body.textContent = '';
    body.appendChild(frag);
  }

  var STATE_ORDER = { talking: 0, ready: 1, notready: 2, login: 3, logout: 4 };

  function seatRows() {
    var live = (st.snap.live && st.snap.live.seats) || {};
    var today = win('today').seats || {};
    var ids = {};
    Object.keys(live).forEach(function (id) { ids[id] = 1; });
    Object.keys(today).forEach(function (id) { ids[id] = 1; });
    return Object.keys(ids).map(function (id) {
      var ls = live[id] || { state: 'logout', since_s: null, talk_s: null };
      var md = today[id] || null;
      var completed = m(md, 'completed'), share = m(md, 'long_talk_share');
      var longTalks = (completed !== null && share !== null) ? Math.round(completed * share) :
        (completed !== null ? 0 : 0);
      return {
        seat: id,
        state: typeof ls.state === 'string' ? ls.state : 'logout',
        since: m(ls, 'since_s'),
        talk: m(ls, 'talk_s'),
        answered: m(md, 'answered') || 0,
        avgtalk: m(md, 'avg_talk_s'),
        long: longTalks
      };
    });
  }

  function sortRows(rows) {
    var k = st.sort.key, dir = st.sort.dir;
    rows.sort(function (a, b) {
      var c;
      if (k === 'seat') c = naturalCompare(a.seat, b.seat);
      else if (k === 'state') {
        c = (STATE_ORDER[a.state] === undefined ? 9 : STATE_ORDER[a.state]) -
            (STATE_ORDER[b.state] === undefined ? 9 : STATE_ORDER[b.state]);
        if (c === 0) {       // within a state: longest in it first
          if (a.since === null || b.since === null) c = (a.since === null) - (b.since === null);
          else c = b.since - a.since;
          if (c !== 0) return c;
        }
      } else {
        var x = a[k], y = b[k];
        if (x === null || y === null) {            // nulls last whatever the direction
          c = (x === null) - (y === null);
          if (c !== 0) return c;
          c = 0;
        } else c = x - y;
      }
      if (c === 0) return naturalCompare(a.seat, b.seat);
      return c * dir;
    });
    return rows;
  }

  function renderSeats() {
    var c = ctx();
    var rows = sortRows(seatRows());
    var body = $('seats-body');
    var frag = document.createDocumentFragment();
    rows.forEach(function (r) {
      var row = document.createElement('tr');
      row.setAttribute('data-seat', r.seat);
      row.className = 'st-' + r.state;
      row.appendChild(cell(r.seat, 'name'));
      var stTd = document.createElement('td');
      var chip = document.createElement('span');
      chip.className = 'chip chip-' + r.state;
      chip.textContent = trMap('states', r.state);
      stTd.appendChild(chip);
      row.appendChild(stTd);
      row.appendChild(cell(fmtDur(r.since), 'num'));
      var longNow = r.talk !== null && r.talk > c.longS;
      row.appendChild(cell(r.talk === null ? '' : fmtDur(r.talk), 'num talk' + (longNow ? ' long' : '')));
      row.appendChild(cell(fmtInt(r.answered), 'num'));
      row.appendChild(cell(fmtSec(r.avgtalk), 'num'));
      row.appendChild(cell(fmtInt(r.long), 'num'));
      frag.appendChild(row);
    });
    if (rows.length === 0) {
      var empty = document.createElement('tr');
      var td = cell(tr('noSeats'), 'empty');
      td.colSpan = 7;
      empty.appendChild(td);
      frag.appendChild(empty);
    }
    body.textContent = '';
    body.appendChild(frag);
    $('seat-count').textContent = TEXT[st.lang].seatCount(rows.length);

    var heads = document.querySelectorAll('#seats th[data-sort]');
    for (var i = 0; i < heads.length; i++) {
      var key = heads[i].getAttribute('data-sort');
      heads[i].classList.toggle('sorted', key === st.sort.key);
      heads[i].classList.toggle('desc', key === st.sort.key && st.sort.dir < 0);
      heads[i].setAttribute('aria-sort', key === st.sort.key ? (st.sort.dir < 0 ? 'descending' : 'ascending') : 'none');
    }
    paginateSeats();
  }

  // A TV cannot scroll: when the seats do not fit, show them a page at a time.
  function paginateSeats() {
    var wrap = $('seat-wrap'), body = $('seats-body');
    var rows = body.children;
    var label = $('seat-page');
    var i;
    for (i = 0; i < rows.length; i++) rows[i].hidden = false;
    if (rows.length === 0) { label.textContent = ''; return; }
    var headH = $('seats').tHead.offsetHeight;
    var rowH = rows[0].offsetHeight || 1;
    var per = Math.max(1, Math.floor((wrap.clientHeight - headH) / rowH));
    var pages = Math.ceil(rows.length / per);
    if (pages <= 1) { st.page = 0; label.textContent = ''; return; }
    var now = Date.now();
    if (st.pageTurnAt === 0) st.pageTurnAt = now;
    if (now - st.pageTurnAt >= PAGE_MS) { st.page = (st.page + 1) % pages; st.pageTurnAt = now; }
    if (st.page >= pages) st.page = 0;
    for (i = 0; i < rows.length; i++) rows[i].hidden = Math.floor(i / per) !== st.page;
    label.textContent = TEXT[st.lang].page(st.page + 1, pages);
  }

  /* ---------- the last hour, inline SVG ---------- */

  var SVGNS = 'http://www.w3.org/2000/svg';
  function svgEl(name, attrs, text) {
    var e = document.createElementNS(SVGNS, name);
    for (var k in attrs) if (Object.prototype.hasOwnProperty.call(attrs, k)) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function minuteIndex(key) {    // "YYYYMMDDHHMM" -> minutes since the epoch, read as UTC (only differences matter)
    var s = String(key);
    if (!/^\d{12}$/.test(s)) return null;
    return Date.UTC(+s.slice(0, 4), +s.slice(4, 6) - 1, +s.slice(6, 8), +s.slice(8, 10), +s.slice(10, 12)) / 60000;
  }
  function minuteLabel(idx) {
    var d = new Date(idx * 60000);
    var hh = d.getUTCHours(), mm = d.getUTCMinutes();
    return (hh < 10 ? '0' : '') + hh + ':' + (mm < 10 ? '0' : '') + mm;
  }

  function renderChart() {
    var svg = $('chart-svg'), box = $('chart');
    var W = box.clientWidth, H = box.clientHeight;
    if (W < 50 || H < 50) return;
    var hist = (st.snap.history && Array.isArray(st.snap.history.minutes)) ? st.snap.history.minutes : [];
    var clock = st.snap.clock || {};
    var end = null;
    if (isNum(clock.now_ms) && clock.now_ms > 0) {
      var p = localParts(clock.now_ms, clock.timezone || 'Asia/Shanghai');
      end = minuteIndex(p.year + p.month + p.day + p.hour + p.minute);
    }
    var pts = [];
    hist.forEach(function (b) {
      var i = minuteIndex(b.minute);
      if (i !== null) pts.push({ i: i, sl: m(b, 'service_level'), offered: m(b, 'offered') || 0 });
    });
    if (end === null && pts.length) end = pts[pts.length - 1].i;
    if (end === null) end = 0;
    var start = end - 59;
    pts = pts.filter(function (q) { return q.i >= start && q.i <= end; });

    var t = targets();
    var lo = 1;
    pts.forEach(function (q) { if (q.sl !== null && q.sl < lo) lo = q.sl; });
    if (t.warn !== null && t.warn < lo) lo = t.warn;
    if (t.sl !== null && t.sl < lo) lo = t.sl;
    lo = Math.max(0, Math.floor((lo - 0.05) * 10) / 10);
    var step = (1 - lo) > 0.45 ? 0.2 : (1 - lo) > 0.25 ? 0.1 : 0.05;

    var fs = Math.max(14, Math.round(H / 11));
    var L = fs * 4.2, R = fs * 1.2, T = fs * 0.8, B = fs * 1.9;
    var pw = W - L - R, ph = H - T - B;
    var x = function (i) { return L + (i - start) / 59 * pw; };
    var y = function (v) { return T + (1 - (v - lo) / (1 - lo)) * ph; };

    svg.setAttribute('width', W);
    svg.setAttribute('height', H);
    svg.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
    svg.textContent = '';

    // volume bars (offered per minute), faint, bottom third
    var maxOff = 0;
    pts.forEach(function (q) { if (q.offered > maxOff) maxOff = q.offered; });
    var bw = Math.max(2, pw / 60 * 0.7);
    pts.forEach(function (q) {
      if (!maxOff || !q.offered) return;
      var h = q.offered / maxOff * ph * 0.33;
      svg.appendChild(svgEl('rect', { x: (x(q.i) - bw / 2).toFixed(1), y: (T + ph - h).toFixed(1),
        width: bw.toFixed(1), height: h.toFixed(1), 'class': 'vol' }));
    });

    // grid and y labels
    for (var v = 1; v >= lo - 1e-9; v -= step) {
      var yy = y(v).toFixed(1);
      svg.appendChild(svgEl('line', { x1: L, x2: L + pw, y1: yy, y2: yy, 'class': 'grid' }));
      svg.appendChild(svgEl('text', { x: L - fs * 0.4, y: yy, 'class': 'ylab', 'font-size': fs,
        'text-anchor': 'end', 'dominant-baseline': 'middle' }, Math.round(v * 100) + '%'));
    }
    // x labels every 10 minutes
    for (var i = start; i <= end; i++) {
      if (((i % 10) + 10) % 10 !== 0) continue;
      svg.appendChild(svgEl('line', { x1: x(i).toFixed(1), x2: x(i).toFixed(1), y1: T, y2: T + ph, 'class': 'grid vgrid' }));
      svg.appendChild(svgEl('text', { x: x(i).toFixed(1), y: T + ph + fs * 1.3, 'class': 'xlab', 'font-size': fs,
        'text-anchor': 'middle' }, minuteLabel(i)));
    }
    // targets
    if (t.warn !== null && t.warn >= lo)
      svg.appendChild(svgEl('line', { x1: L, x2: L + pw, y1: y(t.warn).toFixed(1), y2: y(t.warn).toFixed(1), 'class': 'tline warn' }));
    if (t.sl !== null && t.sl >= lo)
      svg.appendChild(svgEl('line', { x1: L, x2: L + pw, y1: y(t.sl).toFixed(1), y2: y(t.sl).toFixed(1), 'class': 'tline good' }));

    // the line, per minute
    var d = '';
    pts.forEach(function (q) {
      if (q.sl === null) return;
      d += (d ? 'L' : 'M') + x(q.i).toFixed(1) + ' ' + y(q.sl).toFixed(1);
    });
    if (d) svg.appendChild(svgEl('path', { d: d, 'class': 'slline' }));
    var r = Math.max(3, fs * 0.28);
    var last = null;
    pts.forEach(function (q) {
      if (q.sl === null) return;
      svg.appendChild(svgEl('circle', { cx: x(q.i).toFixed(1), cy: y(q.sl).toFixed(1), r: r.toFixed(1),
        'class': 'dot ' + slLevel(q.sl) }));
      last = q;
    });
    if (last) {
      var lx = Math.max(L + fs * 2.5, Math.min(x(last.i), L + pw - fs * 2.5));
      var ly = y(last.sl) - fs * 0.7;
      if (ly < T + fs) ly = y(last.sl) + fs * 1.5;      // no room above: below the point
      svg.appendChild(svgEl('text', { x: lx.toFixed(1), y: ly.toFixed(1), 'class': 'lastlab ' + slLevel(last.sl),
        'font-size': fs * 1.1, 'text-anchor': 'middle' }, fmtPct(last.sl)));
    }
    if (!pts.length) {
      svg.appendChild(svgEl('text', { x: L + pw / 2, y: T + ph / 2, 'class': 'ylab', 'font-size': fs * 1.2,
        'text-anchor': 'middle' }, DASH));
    }
  }

  function renderFooter() {
    var c = ctx(), t = targets();
    var tz = (st.snap && st.snap.clock && st.snap.clock.timezone) || (st.config && st.config.timezone) || DASH;
    $('targets-line').textContent = TEXT[st.lang].targetsLine({
      slName: tr('sl'), sl: fmtPct(t.sl), warn: fmtPct(t.warn), connect: fmtPct(t.connect),
      long: c.longS + ' s', tz: tz
    });
    var rules = st.config && Array.isArray(st.config.rules) ? st.config.rules : null;
    var rl = $('rules-line');
    if (rules) {
      var txt = rules.map(ruleText).join(' · ');
      rl.textContent = tr('rules') + (txt || tr('noRules'));
      rl.title = rl.textContent;
    } else rl.textContent = '';
    var ing = st.snap && st.snap.ingest;
    $('ingest-line').textContent = ing ? TEXT[st.lang].ingest({
      lines: fmtInt(ing.lines), errors: fmtInt(ing.errors), inflight: fmtInt(ing.calls_in_flight)
    }) : '';
  }

  function ruleText(r) {
    if (typeof r === 'string') return r;
    if (!r || typeof r !== 'object') return '';
    var metric = String(r.metric || '');
    var s = String(r.name || r.rule || '') + ': ' + trMap('metrics', metric) + ' ' + scopeText(r.scope || '') +
      (r.window && r.window !== 'live' ? ' ' + trMap('windows', r.window) : '') +
      ' ' + (r.op || '') + ' ' + fmtMetric(metric, r.threshold);
    var forS = isNum(r.for_s) ? r.for_s : isNum(r['for']) ? r['for'] : null;
    if (forS) s += ' ' + forS + ' s';
    return s;
  }

  /* ---------- liveness ---------- */

  function usualInterval() {
    if (st.gaps.length < 2) return 1000;
    var g = st.gaps.slice().sort(function (a, b) { return a - b; });
    return Math.max(MIN_INTERVAL_MS, g[Math.floor(g.length / 2)]);
  }
  function isStale() {
    if (!st.streamUp || !st.count) return true;
    return Date.now() - st.lastAt > 3 * usualInterval();
  }
  function updateConn() {
    var stale = isStale();
    var text;
    if (!st.count && st.streamUp) text = tr('connecting');
    else if (!st.count) text = tr('connecting');
    else if (!st.streamUp) text = tr('streamDown');
    else text = stale ? tr('stale') : tr('live');
    var el = $('conn-text');
    if (el.textContent !== text) el.textContent = text;
    var overlay = $('stale-overlay');
    overlay.hidden = !(stale && st.count);
    if (!overlay.hidden) {
      var sub = TEXT[st.lang].lastUpdate(Math.floor((Date.now() - st.lastAt) / 1000), !st.streamUp);
      if ($('stale-sub').textContent !== sub) $('stale-sub').textContent = sub;
    }
    document.body.classList.toggle('stale', stale);
    document.body.classList.toggle('connecting', !st.count);
    document.body.setAttribute('data-state', !st.count ? 'connecting' : stale ? 'stale' : 'live');
  }

  function onSnapshot(s) {
    var now = Date.now();
    if (st.lastAt && !st.freshStream) {
      st.gaps.push(now - st.lastAt);
      if (st.gaps.length > 20) st.gaps.shift();
    }
    st.lastAt = now;
    st.freshStream = false;
    st.count++;
    st.snap = s;
    document.body.setAttribute('data-snapshots', String(st.count));
    document.body.setAttribute('data-now-ms', String(s.clock && s.clock.now_ms));
    render();
    updateConn();
  }

  function fetchConfig() {
    if (!window.fetch) return;
    fetch('api/config', { cache: 'no-store' }).then(function (r) {
      return r.ok ? r.json() : null;
    }).then(function (c) {
      if (c && typeof c === 'object') { st.config = c; applyLang(); }
    }).catch(function () { /* the stream status tells the story */ });
  }

  function connect() {
    if (st.es) st.es.close();
    var es = new EventSource('api/stream');
    st.es = es;
    es.addEventListener('snapshot', function (ev) {
      var s;
      try { s = JSON.parse(ev.data); } catch (e) { return; }
      if (s && typeof s === 'object') onSnapshot(s);
    });
    es.onopen = function () {
      st.streamUp = true;
      st.gaps = [];
      st.freshStream = true;     // the downtime is not an interval between snapshots
      fetchConfig();
      updateConn();
    };
    es.onerror = function () {
      st.streamUp = false;
      updateConn();
      // The browser retries by itself (rexiand sends retry: 2000) unless the answer was not an
      // event stream at all (a proxy's error page): then start again, later.
      if (es.readyState === 2) setTimeout(function () { if (st.es === es) connect(); }, 5000);
    };
  }

  /* ---------- start ---------- */

  function init() {
    var q = /[?&]lang=(zh|en)\b/.exec(window.location.search);
    var saved = load(LANG_KEY);
    st.lang = q ? q[1] : (saved === 'en' || saved === 'zh') ? saved : 'zh';
    try {
      var so = JSON.parse(load(SORT_KEY) || 'null');
      if (so && typeof so.key === 'string' && (so.dir === 1 || so.dir === -1)) st.sort = so;
    } catch (e) { /* ignore */ }

    $('lang').addEventListener('click', function () {
      st.lang = st.lang === 'zh' ? 'en' : 'zh';
      store(LANG_KEY, st.lang);
      applyLang();
    });
    var heads = document.querySelectorAll('#seats th[data-sort]');
    for (var i = 0; i < heads.length; i++) {
      heads[i].tabIndex = 0;
      heads[i].addEventListener('click', onSortClick);
      heads[i].addEventListener('keydown', function (e) { if (e.key === 'Enter' || e.key === ' ') onSortClick.call(this, e); });
    }
    window.addEventListener('resize', function () { render(); });
    applyLang();
    connect();
    setInterval(function () {
      updateConn();
      if (st.snap && Date.now() - st.pageTurnAt >= PAGE_MS) paginateSeats();
    }, 500);
  }

  function onSortClick(e) {
    if (e && e.preventDefault) e.preventDefault();
    var key = this.getAttribute('data-sort');
    if (st.sort.key === key) st.sort.dir = -st.sort.dir;
    else st.sort = { key: key, dir: (key === 'seat' || key === 'state') ? 1 : -1 };
    store(SORT_KEY, JSON.stringify(st.sort));
    st.page = 0;
    render();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
