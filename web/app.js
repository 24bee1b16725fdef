/*
 * rdpd dashboard: the probes, their read-out protection level, unlock and
 * lock jobs followed live, and the job history. Plain JavaScript, no build
 * step, no request to any other host. Shapes: api/openapi.json (docs/service.md).
 */
'use strict';

const POLL_MS = 2000;
const HISTORY_PAGE = 20;
const MAX_STREAMS = 4;           /* EventSources at once; more jobs are polled */
const FINAL = new Set(['succeeded', 'failed', 'cancelled', 'interrupted']);
const TOKEN_KEY = 'rdpd-token';

const STEP_NAMES = {
	connect: 'Connect',
	identify: 'Identify chip',
	read_level: 'Read level',
	program_options: 'Program option bytes',
	mass_erase: 'Mass erase',
	reload: 'Reload options',
	verify: 'Verify',
};
const STATE_NAMES = {
	queued: 'queued', running: 'running', succeeded: 'succeeded', failed: 'failed',
	cancelled: 'cancelled', interrupted: 'interrupted',
};

/* ---------- state ---------- */
const app = {
	probes: [],                 /* last GET /probes */
	/* Per probe, keyed by its URI (unique, where a serial need not be:
	 * cheap clones share one; probeKey). */
	cards: new Map(),           /* key -> card elements */
	rdp: new Map(),             /* key -> last rdp report read from this page */
	notResponding: new Map(),   /* key -> {detail, at} */
	readErrors: new Map(),      /* key -> sentence from the last failed read or request */
	probeJob: new Map(),        /* key -> job id shown in its card */
	dismissed: new Set(),       /* job ids whose card panel was dismissed */
	jobs: new Map(),            /* id -> job (live) */
	followers: new Map(),       /* id -> {es, timer, last} */
	history: {items: [], next: null, rows: new Map(), open: new Set(), loading: false},
	pollTimer: null,
	pollCount: 0,
	lastBusyJobs: '',
};

const $ = (id) => document.getElementById(id);

/* ---------- small DOM helper ---------- */
function h(tag, attrs, ...kids) {
	const el = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === null || v === undefined || v === false) continue;
		if (k === 'class') el.className = v;
		else if (k === 'text') el.textContent = v;
		else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
		else if (k in el && typeof v !== 'string') el[k] = v;
		else el.setAttribute(k, v === true ? '' : v);
	}
	for (const kid of kids.flat()) {
		if (kid === null || kid === undefined || kid === false) continue;
		el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
	}
	return el;
}

function svg(path, cls) {
	const ns = 'http://www.w3.org/2000/svg';
	const s = document.createElementNS(ns, 'svg');
	s.setAttribute('viewBox', '0 0 24 24');
	s.setAttribute('aria-hidden', 'true');
	s.setAttribute('focusable', 'false');
	s.setAttribute('class', cls || 'icon');
	const p = document.createElementNS(ns, 'path');
	p.setAttribute('d', path);
	s.append(p);
	return s;
}
const ICON = {
	open: 'M7 11V7a5 5 0 0 1 9.6-1.9M5 11h14v10H5z',
	locked: 'M7 11V7a5 5 0 0 1 10 0v4M5 11h14v10H5z',
	forever: 'M7 11V7a5 5 0 0 1 10 0v4M5 11h14v10H5zM9 14l6 5M15 14l-6 5',
	half: 'M7 11V7a5 5 0 0 1 10 0v4M5 11h14v10H5zM12 11v10',
	unknown: 'M9.2 9a3 3 0 1 1 4.3 2.7c-.9.5-1.5 1.2-1.5 2.3M12 18h.01M3 12a9 9 0 1 0 18 0 9 9 0 1 0-18 0',
	silent: 'M12 8v5M12 16.5h.01M10.3 3.9 2.4 18a2 2 0 0 0 1.7 3h15.8a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0z',
	check: 'M5 12.5l4.5 4.5L19 7',
	cross: 'M6 6l12 12M18 6 6 18',
	dot: 'M12 12m-3 0a3 3 0 1 0 6 0a3 3 0 1 0-6 0',
	spin: 'M12 3a9 9 0 1 0 9 9',
	power: 'M12 3v9M6.3 6.3a8 8 0 1 0 11.4 0',
};

/* ---------- formatting ---------- */
function levelText(level) {
	return level === 0.5 ? '0.5' : String(level);
}

function fmtDuration(ms) {
	if (ms === null || ms === undefined || isNaN(ms)) return '';
	if (ms < 1) return '<1 ms';
	if (ms < 1000) return `${Math.round(ms)} ms`;
	if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
	const m = Math.floor(ms / 60000), s = Math.round((ms % 60000) / 1000);
	return `${m} min ${s} s`;
}

function fmtTime(iso) {
	if (!iso) return '';
	const d = new Date(iso);
	if (isNaN(d)) return iso;
	const now = new Date();
	const time = d.toLocaleTimeString([], {hour: '2-digit', minute: '2-digit', second: '2-digit'});
	if (d.toDateString() === now.toDateString()) return time;
	return `${d.toLocaleDateString([], {year: 'numeric', month: 'short', day: 'numeric'})} ${time}`;
}

function fmtAgo(iso) {
	if (!iso) return '';
	const s = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
	if (isNaN(s)) return '';
	if (s < 5) return 'just now';
	if (s < 60) return `${s} s ago`;
	if (s < 3600) return `${Math.floor(s / 60)} min ago`;
	if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
	return fmtTime(iso);
}

function timeEl(iso, text) {
	return h('time', {datetime: iso, title: new Date(iso).toLocaleString()}, text);
}

function jobDurationMs(job) {
	const steps = job.steps || [];
	let sum = steps.reduce((a, s) => a + (typeof s.duration_ms === 'number' ? s.duration_ms : 0), 0);
	if (job.result && typeof job.result.erase_ms === 'number') sum = Math.max(sum, job.result.erase_ms);
	if (job.started_at && job.finished_at) {
		const wall = new Date(job.finished_at) - new Date(job.started_at);
		if (wall > sum + 1000) return wall;    /* wall clock has 1 s resolution */
	}
	return sum || null;
}

/* ---------- API ---------- */
class ApiError extends Error {
	constructor(detail, status, problem) {
		super(detail);
		this.status = status;
		this.problem = problem || null;
		this.code = (problem && problem.code) || null;
	}
}

function token() {
	try { return localStorage.getItem(TOKEN_KEY) || ''; } catch (e) { return ''; }
}

async function api(path, opts = {}) {
	const method = opts.method || 'GET';
	const headers = {Accept: 'application/json, application/problem+json'};
	const tok = token();
	if (tok) headers.Authorization = `Bearer ${tok}`;
	const init = {method, headers, cache: 'no-store', credentials: 'same-origin'};
	if (method !== 'GET' && method !== 'HEAD') {
		/* rdpd refuses a browser's change without a JSON content type (CSRF guard). */
		headers['Content-Type'] = 'application/json';
		init.body = JSON.stringify(opts.body || {});
	}
	let res;
	try {
		res = await fetch(path, init);
	} catch (e) {
		throw new ApiError(`rdpd does not answer at ${location.host}. Is the daemon running and the network up?`, 0);
	}
	const type = res.headers.get('Content-Type') || '';
	let data = null;
	if (type.includes('json')) {
		try { data = await res.json(); } catch (e) { data = null; }
	}
	if (!res.ok) {
		const detail = (data && (data.detail || data.title)) ||
			`rdpd could not do this (${res.statusText || 'error ' + res.status}).`;
		const err = new ApiError(detail, res.status, data);
		if (res.status === 401) askForToken(detail);
		throw err;
	}
	return {data, res};
}

/* ---------- global errors ---------- */
function showError(key, text) {
	const box = $('errors');
	let el = box.querySelector(`[data-key="${key}"]`);
	if (!text) {
		if (el) el.remove();
		return;
	}
	if (el) {
		if (el.querySelector('.alert-text').textContent !== text) el.querySelector('.alert-text').textContent = text;
		return;
	}
	el = h('div', {class: 'alert', 'data-key': key},
		svg(ICON.silent, 'icon alert-icon'),
		h('p', {class: 'alert-text', text}),
		h('button', {type: 'button', class: 'btn btn-quiet alert-close', 'aria-label': 'Dismiss this message',
			onclick: () => el.remove()}, '×'));
	box.append(el);
}

/* ---------- token ---------- */
function askForToken(detail) {
	const panel = $('token-panel');
	const wasHidden = panel.hidden;
	$('token-why').textContent = detail ||
		'rdpd asks for a bearer token before it changes a probe. It stays in this browser only (localStorage).';
	panel.hidden = false;
	$('token-toggle').setAttribute('aria-expanded', 'true');
	panel.classList.add('attention');
	if (wasHidden) $('token-input').focus();
}

function setupToken() {
	const panel = $('token-panel');
	$('token-input').value = token();
	$('token-toggle').addEventListener('click', () => {
		panel.hidden = !panel.hidden;
		$('token-toggle').setAttribute('aria-expanded', String(!panel.hidden));
		if (!panel.hidden) $('token-input').focus();
	});
	$('token-form').addEventListener('submit', (ev) => {
		ev.preventDefault();
		const v = $('token-input').value.trim();
		try { localStorage.setItem(TOKEN_KEY, v); } catch (e) { /* private mode */ }
		panel.classList.remove('attention');
		$('token-why').textContent = 'Token saved in this browser. It is sent as Authorization: Bearer with every request.';
		showError('auth', '');
		refreshTokenButton();
		pollProbes();
		loadHistory(true);
	});
	$('token-forget').addEventListener('click', () => {
		try { localStorage.removeItem(TOKEN_KEY); } catch (e) { /* ignore */ }
		$('token-input').value = '';
		$('token-why').textContent = 'Token forgotten. Read-only requests still work; changes may ask for a token again.';
		refreshTokenButton();
	});
	refreshTokenButton();
}

function refreshTokenButton() {
	$('token-toggle').textContent = token() ? 'Token ✓' : 'Token';
}

/* ---------- probes ---------- */
function probeLabel(p) {
	return `Probe ${p.index}`;
}

/* A probe's key in this page: its URI, unique in rdpd's list. */
function probeKey(p) {
	return p.uri;
}

function probeByKey(key) {
	return app.probes.find((x) => probeKey(x) === key);
}

/* The ref requests use: the index (stable, canonical, never ambiguous, as
 * a shared serial would be). */
function probeRef(p) {
	return String(p.index);
}

/* The protection badge: level 0 open, 0.5, 1 locked, 2 permanently locked,
 * unknown, or not responding (a read or job from here found no target). */
function badgeFor(p) {
	const nr = app.notResponding.get(probeKey(p));
	const t = p.target;
	const readAt = t && t.read_at ? new Date(t.read_at).getTime() : 0;
	if (nr && nr.at >= readAt)
		return {cls: 'b-silent', icon: ICON.silent, text: 'Not responding', when: new Date(nr.at).toISOString(),
			hint: 'No answer on SWD: check power, wiring, or the chip is at level 2'};
	if (!t || t.rdp_level === null || t.rdp_level === undefined)
		return {cls: 'b-unknown', icon: ICON.unknown, text: 'Level unknown', when: t && t.read_at,
			hint: t ? 'Read the level to find out' : 'Not read yet'};
	switch (t.rdp_level) {
	case 0: return {cls: 'b-open', icon: ICON.open, text: 'Level 0 · open', when: t.read_at, hint: 'No read protection'};
	case 0.5: return {cls: 'b-half', icon: ICON.half, text: 'Level 0.5 · secure part locked', when: t.read_at,
		hint: 'Non-secure flash readable; secure flash protected'};
	case 1: return {cls: 'b-locked', icon: ICON.locked, text: 'Level 1 · locked', when: t.read_at,
		hint: 'Flash cannot be read by a debugger; unlocking erases it'};
	case 2: return {cls: 'b-forever', icon: ICON.forever, text: 'Level 2 · permanently locked', when: t.read_at,
		hint: 'Cannot be undone'};
	default: return {cls: 'b-unknown', icon: ICON.unknown, text: `Level ${t.rdp_level}`, when: t.read_at, hint: ''};
	}
}

/* GET /probes "protocol", as users name it. */
const PROTOCOL_NAMES = {'cmsis-dap': 'CMSIS-DAP', stlink: 'ST-LINK API'};
/* What rdp_raw is under each protection scheme (api/openapi.json, Protection.scheme). */
const SCHEME_RAW = {'stm32-rdp': 'RDP byte', 'stm32-product-state': 'product state', 'at32-fap': 'FAP byte',
	'nrf-approtect': 'APPROTECT state', 'kinetis-fsec': 'security state', 'sam-dsu': 'DSU state', none: 'state'};

function transportText(p) {
	const names = {'usb-bulk': 'USB (bulk)', 'usb-stlink': 'USB (ST-LINK)', 'usb-hid': 'USB (HID)', tcp: 'network (TCP)', sim: 'simulator'};
	return names[p.transport] || p.transport || 'unknown';
}

function makeCard(p) {
	const key = probeKey(p);
	const c = {};
	const id = `probe-${p.index}-${p.serial.replace(/[^A-Za-z0-9_-]/g, '_')}`;
	c.title = h('h3', {id: `${id}-title`, class: 'probe-title'});
	c.tags = h('div', {class: 'tags'});
	c.badge = h('p', {class: 'badge', id: `${id}-level`});
	c.readAt = h('p', {class: 'read-at muted small'});
	c.chip = h('p', {class: 'chip'});
	c.facts = h('dl', {class: 'facts'});
	c.btnRead = h('button', {type: 'button', class: 'btn', onclick: () => readLevel(key)}, 'Read level');
	c.btnUnlock = h('button', {type: 'button', class: 'btn btn-danger', 'aria-haspopup': 'dialog',
		onclick: () => confirmAction(key, 'unlock')}, 'Unlock…');
	c.btnLock = h('button', {type: 'button', class: 'btn', 'aria-haspopup': 'dialog',
		onclick: () => confirmAction(key, 'lock')}, 'Lock to level 1…');
	c.actions = h('div', {class: 'actions', role: 'group', 'aria-label': 'Actions'}, c.btnRead, c.btnUnlock, c.btnLock);
	c.msg = h('p', {class: 'msg msg-error', role: 'alert', hidden: true});
	c.note = h('p', {class: 'msg msg-note', hidden: true});
	c.jobBox = h('div', {class: 'job-slot'});
	c.live = h('p', {class: 'visually-hidden', role: 'status', 'aria-live': 'polite'});
	c.el = h('article', {class: 'probe', id, 'aria-labelledby': `${id}-title`, 'data-serial': p.serial, 'data-uri': key},
		h('header', {class: 'probe-head'}, c.title, c.tags),
		h('div', {class: 'level-row'}, c.badge, c.readAt),
		c.chip, c.facts, c.actions, c.msg, c.note, c.jobBox, c.live);
	return c;
}

function setText(el, text) {
	if (el.textContent !== text) el.textContent = text;
}

function fact(dt, ...dd) {
	return [h('dt', {text: dt}), h('dd', {}, ...dd)];
}

function updateCard(c, p) {
	setText(c.title, probeLabel(p));
	c.el.dataset.index = p.index;
	c.el.classList.toggle('gone', p.state === 'gone');

	/* tags: simulated, state */
	const tags = [];
	if (p.simulated || p.transport === 'sim') tags.push(h('span', {class: 'tag tag-sim', title: 'A simulated probe and chip, not hardware'}, 'simulated'));
	const stateTag = {busy: 'busy', leased: 'leased', gone: 'unplugged'}[p.state];
	if (stateTag) tags.push(h('span', {class: `tag tag-${p.state}`}, stateTag));
	const tagSig = tags.map((t) => t.outerHTML).join('');
	if (c.tagSig !== tagSig) { c.tags.replaceChildren(...tags); c.tagSig = tagSig; }

	/* level badge */
	const b = badgeFor(p);
	const bSig = `${b.cls}|${b.text}|${b.hint}`;
	if (c.bSig !== bSig) {
		c.badge.className = `badge ${b.cls}`;
		c.badge.replaceChildren(svg(b.icon, 'icon badge-icon'), h('span', {class: 'badge-text', text: b.text}));
		c.badge.title = b.hint;
		c.badge.setAttribute('aria-label', `Protection: ${b.text}. ${b.hint}`);
		c.bSig = bSig;
	}
	const when = b.when ? [timeEl(b.when, `read ${fmtAgo(b.when)}`)] : [b.hint];
	const wSig = b.when ? `read ${fmtAgo(b.when)}` : b.hint;
	if (c.wSig !== wSig) { c.readAt.replaceChildren(...when); c.wSig = wSig; }

	/* chip */
	const t = p.target;
	const rep = app.rdp.get(probeKey(p));
	let chipKids;
	if (t && t.chip) {
		const bits = [];
		if (t.flash_kb) bits.push(`${t.flash_kb} KB flash`);
		if (t.family) bits.push(t.family.toUpperCase());
		if (t.dev_id) bits.push(`DEV_ID ${t.dev_id}`);
		chipKids = [h('span', {class: 'chip-name', text: t.chip}), h('span', {class: 'chip-sub muted', text: bits.join(' · ')})];
	} else if (app.notResponding.has(probeKey(p))) {
		chipKids = [h('span', {class: 'chip-name chip-none', text: 'No answer from the chip'}),
			h('span', {class: 'chip-sub muted', text: 'Check power and wiring; a chip at level 2 never answers'})];
	} else {
		chipKids = [h('span', {class: 'chip-name chip-none', text: 'Chip not identified yet'}),
			h('span', {class: 'chip-sub muted', text: 'Read the level to connect and identify it'})];
	}
	const chipSig = chipKids.map((k) => k.textContent).join('|');
	if (c.chipSig !== chipSig) { c.chip.replaceChildren(...chipKids); c.chipSig = chipSig; }

	/* facts */
	const facts = [
		...fact('Serial', h('code', {text: p.serial}), p.serial_unique === false ? ' (shared with another probe)' : ''),
		...fact('Firmware', `${p.firmware_version || '—'}${p.protocol_version ? ` · ${PROTOCOL_NAMES[p.protocol] || p.protocol || 'protocol'} ${p.protocol_version}` : ''}`),
		...fact('Transport', transportText(p) + (p.simulated ? ' (simulated)' : '')),
		...fact('Probe', [p.vendor, p.product].filter(Boolean).join(' ') || '—'),
	];
	if (p.target_voltage !== null && p.target_voltage !== undefined) {
		facts.push(...fact('Target voltage', `${p.target_voltage.toFixed(2)} V${p.target_voltage < 1.5 ? ' (board not powered, or VTref not wired?)' : ''}`));
	}
	const uid = (rep && rep.uid) || (t && t.uid);
	if (uid) facts.push(...fact('Chip UID', h('code', {class: 'uid', text: uid})));
	if (rep && rep.rdp_raw) {
		const raw = `${SCHEME_RAW[rep.scheme] || 'raw state'} ${rep.rdp_raw}`;
		facts.push(...fact('Protection', rep.scheme ? `${raw} (${rep.scheme})` : raw));
	}
	/* The vendor's own words for it (nRF CTRL-AP, Kinetis MDM-AP, SAM DSU). */
	if (rep && rep.state) facts.push(...fact('State', rep.state));
	if (p.lease) facts.push(...fact('Leased', `by ${p.lease.holder} until ${fmtTime(p.lease.expires_at)}`));
	const fSig = facts.map((f) => f.textContent).join('|');
	if (c.fSig !== fSig) { c.facts.replaceChildren(...facts); c.fSig = fSig; }

	/* buttons */
	const blocked = p.state !== 'idle' || c.reading;
	/* A chip read at level 0 has nothing to unlock: no red button that
	 * would erase for nothing. Unknown or silent levels keep it. */
	c.btnUnlock.hidden = b.cls === 'b-open';
	c.btnRead.disabled = blocked;
	c.btnUnlock.disabled = blocked;
	c.btnLock.disabled = blocked;
	setText(c.btnRead, c.reading ? 'Reading…' : 'Read level');
	c.btnRead.setAttribute('aria-label', `Read level of probe ${p.index}`);
	c.btnUnlock.setAttribute('aria-label', `Unlock probe ${p.index}`);
	c.btnLock.setAttribute('aria-label', `Lock probe ${p.index} to level 1`);

	/* message: the sentence from the last failed read or request */
	const err = app.readErrors.get(probeKey(p));
	c.msg.hidden = !err;
	setText(c.msg, err || '');
	let note = '';
	if (p.state === 'leased' && p.lease) note = `Leased by ${p.lease.holder}: rdpd keeps its hands off this probe until the lease ends.`;
	else if (p.state === 'gone') note = 'This probe was unplugged. It comes back here when it is plugged in again.';
	else if (rep && rep.rdp_text && !err) note = rep.rdp_text;
	c.note.hidden = !note;
	setText(c.note, note);

	/* job of this probe */
	const jobId = app.probeJob.get(probeKey(p));
	const job = jobId && !app.dismissed.has(jobId) ? app.jobs.get(jobId) : null;
	renderJobPanel(c, job);
}

function renderProbes() {
	const list = $('probes');
	const seen = new Set();
	for (const p of app.probes) {
		let c = app.cards.get(probeKey(p));
		if (!c) {
			c = makeCard(p);
			app.cards.set(probeKey(p), c);
		}
		seen.add(probeKey(p));
		updateCard(c, p);
	}
	for (const [key, c] of app.cards) {
		if (!seen.has(key)) { c.el.remove(); app.cards.delete(key); }
	}
	/* order by index without moving nodes that are already in place (keeps focus) */
	let prev = null;
	for (const p of app.probes) {
		const el = app.cards.get(probeKey(p)).el;
		const want = prev ? prev.nextSibling : list.firstChild;
		if (want !== el) list.insertBefore(el, want);
		prev = el;
	}
	$('probes-empty').hidden = app.probes.length > 0;
	if (!app.probes.length) {
		setText($('probes-empty'), 'No probes found. Plug in a CMSIS-DAP probe; it appears here by itself.');
		list.append($('probes-empty'));
	}
	const n = app.probes.filter((p) => p.state !== 'gone').length;
	setText($('probe-count'), `(${n})`);
	refreshProbeFilter();
}

async function pollProbes() {
	clearTimeout(app.pollTimer);
	try {
		const {data} = await api('/probes');
		app.probes = (data && data.probes) || [];
		app.probes.sort((a, b) => a.index - b.index);
		showError('poll', '');
		for (const p of app.probes) {
			if (p.state === 'busy' && p.job) {
				const id = String(p.job).split('/').pop();
				if (!app.followers.has(id) && !(app.jobs.get(id) && FINAL.has(app.jobs.get(id).state))) {
					app.probeJob.set(probeKey(p), id);
					followJob(id);
				}
			}
		}
		const busy = app.probes.filter((p) => p.job).map((p) => p.job).join(',');
		if (busy !== app.lastBusyJobs) {
			app.lastBusyJobs = busy;
			loadHistory(false);
		}
		renderProbes();
		setText($('probes-updated'), `updated ${new Date().toLocaleTimeString()}`);
	} catch (e) {
		showError('poll', e.message);
		setDaemonStatus(false, e.status === 0 ? 'unreachable' : 'error');
	}
	if (app.pollCount++ % 5 === 0) checkReady();
	app.pollTimer = setTimeout(pollProbes, document.hidden ? POLL_MS * 5 : POLL_MS);
}

function setDaemonStatus(ok, text) {
	const el = $('daemon-status');
	el.className = `pill ${ok ? 'pill-ok' : 'pill-bad'}`;
	setText(el, text);
}

async function checkReady() {
	try {
		const res = await fetch('/readyz', {cache: 'no-store'});
		const d = await res.json().catch(() => ({}));
		if (res.ok && d.ready !== false) setDaemonStatus(true, 'rdpd ready');
		else {
			const why = d.journal_writable === false ? 'journal not writable' : 'not ready';
			setDaemonStatus(false, `rdpd ${why}`);
		}
	} catch (e) {
		setDaemonStatus(false, 'rdpd unreachable');
	}
}

/* ---------- read level ---------- */
async function readLevel(key) {
	const p = probeByKey(key);
	const c = app.cards.get(key);
	if (!p || !c) return;
	c.reading = true;
	app.readErrors.delete(key);
	updateCard(c, p);
	try {
		const {data} = await api(`/probes/${probeRef(p)}/rdp`);
		app.rdp.set(key, data);
		app.notResponding.delete(key);
		p.target = Object.assign({}, p.target || {}, {
			chip: data.chip, family: data.family, dev_id: data.dev_id, flash_kb: data.flash_kb,
			uid: data.uid, rdp_level: data.rdp_level, rdp_raw: data.rdp_raw, read_at: data.read_at,
		});
	} catch (e) {
		app.readErrors.set(key, e.message);
		if (e.code === 'target_not_responding') app.notResponding.set(key, {detail: e.message, at: Date.now()});
	} finally {
		c.reading = false;
		updateCard(c, p);
	}
	if (document.activeElement === document.body) c.btnRead.focus();
}

/* ---------- unlock / lock ---------- */
function familyScope(family) {
	const f = (family || '').toLowerCase();
	if (/^stm32(f2|f4|f7)/.test(f)) return 'the whole flash and the backup SRAM';
	if (/^stm32(l0|l1)/.test(f)) return 'the whole flash and the data EEPROM';
	if (/^(stm32|artery)/.test(f)) return 'the whole flash';
	return null; /* another vendor's scheme: the chip's own report says (erase_scope) */
}

function eraseScope(key) {
	const rep = app.rdp.get(key);
	if (rep && rep.erase_scope) return {text: rep.erase_scope, known: true};
	const p = probeByKey(key);
	const fam = familyScope(p && p.target && p.target.family);
	if (fam) return {text: fam, known: true};
	return {text: 'the whole flash, and the backup SRAM or data EEPROM where the family has one', known: false};
}

function fillConfirm(key, kind) {
	const p = probeByKey(key);
	const t = p && p.target;
	const scope = eraseScope(key);
	$('confirm-chip').textContent = [probeLabel(p), t && t.chip, t && t.rdp_level !== null && t.rdp_level !== undefined ? `now at level ${levelText(t.rdp_level)}` : 'level not read', `serial ${p.serial}`, t && t.uid && `chip UID ${t.uid}`]
		.filter(Boolean).join(' · ');
	const body = $('confirm-body');
	if (kind === 'unlock') {
		$('confirm-title').textContent = `Unlock ${probeLabel(p).toLowerCase()}?`;
		body.replaceChildren(
			h('p', {class: 'warn'}, svg(ICON.silent, 'icon warn-icon'),
				h('span', {}, 'Unlocking mass-erases ', h('strong', {id: 'confirm-scope', text: scope.text}),
					'. Everything stored there is lost and cannot be recovered.')),
			h('p', {}, 'Afterwards the chip is at level 0 (open). Some boards need a power cycle before the debugger can read the flash again; you will be told if so.'),
			h('p', {class: 'forever-note'}, h('strong', {}, 'Level 2 cannot be undone. '),
				'A chip at level 2 is locked for good: no unlock, here or anywhere, can open it.'));
		$('confirm-ok').textContent = 'Erase and unlock';
		$('confirm-ok').className = 'btn btn-danger';
	} else {
		$('confirm-title').textContent = `Lock ${probeLabel(p).toLowerCase()} to level 1?`;
		body.replaceChildren(
			h('p', {}, 'Level 1 stops any debugger from reading the flash. The program on the chip keeps running.'),
			h('p', {class: 'warn'}, svg(ICON.silent, 'icon warn-icon'),
				h('span', {}, 'Removing this lock later erases ', h('strong', {id: 'confirm-scope', text: scope.text}), '.')),
			h('p', {class: 'forever-note'}, h('strong', {}, 'Level 2 cannot be undone, '),
				'so rdpd only ever sets level 1. Level 2 would lock the chip for good.'));
		$('confirm-ok').textContent = 'Lock to level 1';
		$('confirm-ok').className = 'btn btn-primary';
	}
	return scope;
}

function confirmAction(key, kind) {
	const dlg = $('confirm');
	const p = probeByKey(key);
	if (!p) return;
	const scope = fillConfirm(key, kind);
	const read = $('confirm-read');
	read.textContent = '';
	read.className = 'dialog-read';
	dlg.dataset.key = key;
	dlg.dataset.kind = kind;
	dlg.returnValue = '';
	dlg.showModal();
	$('confirm-cancel').focus();
	/* Not read from here yet: read now so the dialog says exactly what is erased. */
	if (!app.rdp.has(key) || !scope.known) {
		read.textContent = 'Reading the chip to confirm what it erases…';
		api(`/probes/${probeRef(p)}/rdp`).then(({data}) => {
			app.rdp.set(key, data);
			app.notResponding.delete(key);
			app.readErrors.delete(key);
			p.target = Object.assign({}, p.target || {}, {
				chip: data.chip, family: data.family, dev_id: data.dev_id, flash_kb: data.flash_kb,
				uid: data.uid, rdp_level: data.rdp_level, rdp_raw: data.rdp_raw, read_at: data.read_at,
			});
			if (dlg.open && dlg.dataset.key === key) {
				fillConfirm(key, kind);
				read.textContent = data.rdp_text || '';
			}
			const c = app.cards.get(key);
			if (c) updateCard(c, p);
		}).catch((e) => {
			if (e.code === 'target_not_responding') app.notResponding.set(key, {detail: e.message, at: Date.now()});
			if (dlg.open && dlg.dataset.key === key) {
				read.textContent = e.message;
				read.className = 'dialog-read msg-error';
			}
		});
	}
}

function setupDialog() {
	const dlg = $('confirm');
	dlg.addEventListener('close', () => {
		const key = dlg.dataset.key, kind = dlg.dataset.kind;
		const c = app.cards.get(key);
		if (dlg.returnValue === 'ok') startJob(key, kind);
		else if (c) c[kind === 'unlock' ? 'btnUnlock' : 'btnLock'].focus();
	});
	/* click on the backdrop closes (cancels) */
	dlg.addEventListener('click', (ev) => {
		if (ev.target === dlg) dlg.close('cancel');
	});
}

/* The chip the user was shown is the one the job must find: its UID (from
 * the last read) goes with the request, and rdpd refuses before writing
 * anything if another chip answers (chip_mismatch). */
async function startJob(key, kind) {
	const p = probeByKey(key);
	const c = app.cards.get(key);
	const rep = app.rdp.get(key);
	const uid = (rep && rep.uid) || (p && p.target && p.target.uid);
	app.readErrors.delete(key);
	if (!p) return;
	p.state = 'busy';
	if (c) updateCard(c, p);
	try {
		const {data} = await api(`/probes/${probeRef(p)}/${kind}`, {method: 'POST', body: uid ? {expect: {uid}} : {}});
		const id = String(data.id);
		app.jobs.set(id, data);
		app.probeJob.set(key, id);
		followJob(id);
		loadHistory(false);
	} catch (e) {
		app.readErrors.set(key, e.message);
		if (e.status === 409 && e.problem && e.problem.job) {
			const id = String(e.problem.job).split('/').pop();
			app.probeJob.set(key, id);
			followJob(id);
		}
		if (p && e.status !== 409) p.state = 'idle';
	}
	if (c && p) updateCard(c, p);
	/* the dialog gave focus back to the page: put it on the job (or the error) */
	if (c && (document.activeElement === document.body || !document.activeElement)) {
		const target = c.jobBox.querySelector('.job-title') || c.btnRead;
		target.focus();
	}
	pollProbes();
}

/* ---------- following a job ---------- */
function streamsOpen() {
	let n = 0;
	for (const f of app.followers.values()) if (f.es) n++;
	return n;
}

function followJob(id) {
	if (app.followers.has(id)) return;
	const f = {es: null, timer: null, last: 0};
	app.followers.set(id, f);
	const job = app.jobs.get(id);
	if (job) job.log = [];      /* the stream replays every line from the start */
	if (typeof EventSource === 'undefined' || streamsOpen() >= MAX_STREAMS) {
		pollJob(id);
		return;
	}
	if (!job) fetchJob(id);
	const es = new EventSource(`/jobs/${encodeURIComponent(id)}/events`);
	f.es = es;
	const accept = (ev) => {
		const n = Number(ev.lastEventId);
		if (n && n <= f.last) return null;     /* replayed after a reconnect */
		if (n) f.last = n;
		try { return JSON.parse(ev.data); } catch (e) { return null; }
	};
	const jobOf = () => {
		let j = app.jobs.get(id);
		if (!j) { j = {id, state: 'queued', steps: [], log: [], progress_pct: 0}; app.jobs.set(id, j); }
		return j;
	};
	es.addEventListener('state', (ev) => {
		const d = accept(ev); if (!d) return;
		const j = jobOf();
		j.state = d.state;
		if (FINAL.has(d.state)) {
			// The final state event carries the job's error: {code, detail}.
			if (d.error && !j.error)
				j.error = typeof d.error === 'string' ? {code: d.error, detail: ''} : d.error;
			es.close();
			f.es = null;
			finishJob(id);
		}
		scheduleJobRender(id);
	});
	es.addEventListener('step', (ev) => {
		const d = accept(ev); if (!d) return;
		const j = jobOf();
		let s = (j.steps || []).find((x) => x.name === d.name);
		if (!s) { s = {name: d.name, state: d.state, duration_ms: null}; (j.steps = j.steps || []).push(s); }
		s.state = d.state;
		if (d.state === 'running') s.t0 = performance.now();
		if ((d.state === 'done' || d.state === 'failed') && s.t0 && s.duration_ms === null)
			s.duration_ms = Math.round(performance.now() - s.t0);
		if (d.state === 'running' && j.state === 'queued') j.state = 'running';
		scheduleJobRender(id);
	});
	es.addEventListener('progress', (ev) => {
		const d = accept(ev); if (!d) return;
		jobOf().progress_pct = d.progress_pct;
		scheduleJobRender(id);
	});
	es.addEventListener('log', (ev) => {
		const d = accept(ev); if (!d) return;
		const j = jobOf();
		(j.log = j.log || []).push(d.line);
		scheduleJobRender(id);
	});
	es.onerror = () => {
		/* CONNECTING: the browser retries with Last-Event-ID by itself. CLOSED: poll instead. */
		if (es.readyState === EventSource.CLOSED) {
			f.es = null;
			const j = app.jobs.get(id);
			if (!j || !FINAL.has(j.state)) pollJob(id);
		}
	};
}

async function fetchJob(id) {
	try {
		const {data} = await api(`/jobs/${encodeURIComponent(id)}`);
		const old = app.jobs.get(id);
		const f = app.followers.get(id);
		if (old && f && f.es && !FINAL.has(data.state)) {
			/* the stream is the live source: keep its log and any step it saw further on */
			const rank = {pending: 0, running: 1, done: 2, failed: 2, skipped: 2};
			data.log = old.log || [];
			for (const s of data.steps || []) {
				const o = (old.steps || []).find((x) => x.name === s.name);
				if (o && (rank[o.state] || 0) > (rank[s.state] || 0)) Object.assign(s, {state: o.state, t0: o.t0});
			}
			data.progress_pct = Math.max(Number(data.progress_pct) || 0, Number(old.progress_pct) || 0);
			if (FINAL.has(old.state)) data.state = old.state;
		} else if (f && f.es && !old) {
			data.log = [];
		}
		app.jobs.set(id, data);
		scheduleJobRender(id);
		return data;
	} catch (e) {
		return null;
	}
}

async function pollJob(id) {
	const f = app.followers.get(id);
	const j = await fetchJob(id);
	if (j && FINAL.has(j.state)) { finishJob(id); return; }
	if (f) f.timer = setTimeout(() => pollJob(id), 1000);
}

async function finishJob(id) {
	const f = app.followers.get(id);
	if (f) { if (f.es) f.es.close(); clearTimeout(f.timer); }
	const j = await fetchJob(id);       /* the whole record: result, error, full log */
	app.followers.delete(id);
	const key = j && j.probe ? j.probe.uri : null;     /* the job's probe, as probeKey */
	if (key && j.error && j.error.code === 'target_not_responding')
		app.notResponding.set(key, {detail: j.error.detail, at: Date.now()});
	if (key && j.state === 'succeeded') app.notResponding.delete(key);
	if (key) app.rdp.delete(key);   /* the level changed; read again for details */
	scheduleJobRender(id);
	loadHistory(false);
	pollProbes();
}

const pendingRender = new Set();
let renderQueued = false;
function scheduleJobRender(id) {
	pendingRender.add(id);
	if (renderQueued) return;
	renderQueued = true;
	requestAnimationFrame(() => {
		renderQueued = false;
		const ids = new Set(pendingRender);
		pendingRender.clear();
		for (const p of app.probes) {
			const jid = app.probeJob.get(probeKey(p));
			if (jid && ids.has(jid)) {
				const c = app.cards.get(probeKey(p));
				if (c) updateCard(c, p);
			}
		}
		for (const jid of ids) updateHistoryRow(jid);
	});
}

/* ---------- job rendering (card panel and history) ---------- */
function jobTitle(j) {
	return `${j.kind === 'lock' ? 'Lock' : 'Unlock'} · job ${j.id}`;
}

function stateTag(state) {
	return h('span', {class: `jstate js-${state}`}, STATE_NAMES[state] || state);
}

function stepList(j) {
	return h('ol', {class: 'steps'}, (j.steps || []).map((s) => {
		const icon = s.state === 'done' ? ICON.check : s.state === 'failed' ? ICON.cross :
			s.state === 'running' ? ICON.spin : ICON.dot;
		const label = {done: 'done', failed: 'failed', running: 'in progress', pending: 'pending', skipped: 'skipped'}[s.state] || s.state;
		return h('li', {class: `step st-${s.state}`},
			svg(icon, `icon step-icon${s.state === 'running' ? ' spinning' : ''}`),
			h('span', {class: 'step-name', text: STEP_NAMES[s.name] || s.name}),
			h('span', {class: 'visually-hidden', text: `: ${label}`}),
			h('span', {class: 'step-time muted', text: typeof s.duration_ms === 'number' && s.state !== 'pending' ? fmtDuration(s.duration_ms) : ''}));
	}));
}

function resultBlock(j) {
	const kids = [];
	if (j.state === 'succeeded' && j.result) {
		const r = j.result;
		const took = fmtDuration(jobDurationMs(j));
		const what = j.kind === 'lock' ? 'Locked' : 'Unlocked';
		kids.push(h('p', {class: 'result result-ok'}, svg(ICON.check, 'icon'),
			h('span', {}, h('strong', {text: `${what}: level ${levelText(r.rdp_before)} → level ${levelText(r.rdp_after)}`}),
				took ? ` in ${took}.` : '.')));
		const more = [];
		if (r.flash_erased) more.push(`Flash erased${typeof r.erase_ms === 'number' ? ` (mass erase ${fmtDuration(r.erase_ms)})` : ''}.`);
		if (r.flash_verified_blank) more.push('It reads back blank.');
		if (more.length) kids.push(h('p', {class: 'muted small', text: more.join(' ')}));
		if (r.power_cycle_required)
			kids.push(h('p', {class: 'power', role: 'note'}, svg(ICON.power, 'icon'),
				h('span', {}, h('strong', {}, 'Power-cycle the board now. '),
					'Unplug its power supply (and the USB cable if it powers the board), wait a few seconds, and plug it back in. The chip finishes the change only after that.')));
		if (r.relocks_at_reset)
			kids.push(h('p', {class: 'power', role: 'note'}, svg(ICON.power, 'icon'),
				h('span', {}, h('strong', {}, 'Open until its next reset. '),
					'Program firmware that opens the debug port at every start now; otherwise the chip locks itself again when it next resets.')));
	} else if (j.state === 'failed' || j.state === 'cancelled' || j.state === 'interrupted') {
		const detail = (j.error && j.error.detail) ||
			(j.state === 'interrupted' ? 'rdpd stopped while this job ran. Read the level to see where the chip is now; rdpd never restarts an erase by itself.' :
				j.state === 'cancelled' ? 'The job was cancelled.' : 'The job failed.');
		const head = {failed: 'Failed', cancelled: 'Cancelled', interrupted: 'Interrupted'}[j.state];
		kids.push(h('p', {class: 'result result-bad'}, svg(ICON.cross, 'icon'),
			h('span', {}, h('strong', {text: `${head}: `}), h('span', {class: 'error-detail', text: detail}))));
	}
	return kids;
}

function logDownload(j) {
	const lines = j.log || [];
	const head = [
		`rdpd job ${j.id}: ${j.kind} of probe ${j.probe ? j.probe.index : '?'}${j.probe ? ` (${j.probe.serial})` : ''}`,
		`state: ${j.state}${j.chip ? `, chip: ${j.chip}` : ''}`,
		`created: ${j.created_at || ''}${j.finished_at ? `, finished: ${j.finished_at}` : ''}`,
	];
	if (j.error && j.error.detail) head.push(`error: ${j.error.code}: ${j.error.detail}`);
	const text = head.join('\n') + '\n\n' + lines.join('\n') + '\n';
	const a = h('a', {class: 'btn btn-small download', download: `rdpd-job-${j.id}.txt`, href: '#',
		'data-job': j.id}, 'Download log (.txt)');
	a.href = URL.createObjectURL(new Blob([text], {type: 'text/plain;charset=utf-8'}));
	a.addEventListener('click', () => setTimeout(() => { /* keep the URL for a later click */ }, 0));
	return a;
}

function logBlock(j, openByDefault) {
	const lines = j.log || [];
	const det = h('details', {class: 'log'},
		h('summary', {}, `Log (${lines.length} line${lines.length === 1 ? '' : 's'})`),
		h('pre', {class: 'log-text', tabindex: '0'}, lines.join('\n') || '(no lines yet)'));
	if (openByDefault) det.open = true;
	return det;
}

function renderJobPanel(c, j) {
	if (!j) {
		if (c.jobSig) { c.jobBox.replaceChildren(); c.jobSig = ''; c.jobPanel = null; }
		return;
	}
	const running = !FINAL.has(j.state);
	const pct = Math.max(0, Math.min(100, Number(j.progress_pct) || 0));
	const sig = JSON.stringify([j.id, j.state, j.steps, (j.log || []).length, j.result, j.error]);
	if (c.jobSig && c.jobSig.startsWith(`${j.id}|`) && c.jobPanel) {
		/* same job: update the bar in place (no flicker, no focus loss) */
		c.jobBar.value = pct;
		c.jobBar.setAttribute('aria-valuetext', `${pct}%`);
		setText(c.jobPct, `${pct}%`);
		if (c.jobSig === `${j.id}|${sig}`) return;
	}
	const openLog = c.jobPanel ? c.jobPanel.querySelector('details.log')?.open : false;
	c.jobSig = `${j.id}|${sig}`;
	const status = running ? runningStatus(j) : finalStatus(j);
	c.jobBar = h('progress', {class: 'bar', max: 100, value: pct, 'aria-label': `${jobTitle(j)} progress`});
	c.jobPct = h('span', {class: 'pct', text: `${pct}%`});
	const actions = [];
	if ((j.log || []).length && !running) actions.push(logDownload(j));
	if (!running) actions.push(h('button', {type: 'button', class: 'btn btn-small btn-quiet', onclick: () => {
		app.dismissed.add(j.id);
		updateCard(c, probeByKey(c.el.dataset.uri));
		c.btnRead.focus();
	}}, 'Dismiss'));
	c.jobPanel = h('section', {class: `job job-${j.state}`, 'aria-label': jobTitle(j), 'data-job': j.id},
		h('div', {class: 'job-head'}, h('h4', {class: 'job-title', tabindex: '-1', text: jobTitle(j)}), stateTag(j.state)),
		running || pct ? h('div', {class: 'bar-row'}, c.jobBar, c.jobPct) : null,
		stepList(j),
		running ? h('p', {class: 'job-status', text: status}) : null,
		resultBlock(j),
		logBlock(j, openLog),
		actions.length ? h('div', {class: 'job-actions'}, actions) : null);
	c.jobBox.replaceChildren(c.jobPanel);
	/* one persistent live region per card: announced on step changes and the end, not per percent */
	setText(c.live, `${probeLabel({index: c.el.dataset.index})}, ${jobTitle(j)}: ${status}`);
}

function runningStatus(j) {
	const s = (j.steps || []).find((x) => x.state === 'running');
	if (j.state === 'queued') return 'Waiting for the probe…';
	return s ? `${STEP_NAMES[s.name] || s.name}…` : 'Running…';
}

function finalStatus(j) {
	if (j.state === 'succeeded') {
		const r = j.result || {};
		let t = `${j.kind === 'lock' ? 'Lock' : 'Unlock'} finished: level ${levelText(r.rdp_before)} to level ${levelText(r.rdp_after)}.`;
		if (r.power_cycle_required) t += ' Power-cycle the board.';
		if (r.relocks_at_reset) t += ' It locks again at its next reset unless its firmware opens the port.';
		return t;
	}
	const detail = j.error && j.error.detail ? ` ${j.error.detail}` : '';
	return `${j.kind === 'lock' ? 'Lock' : 'Unlock'} ${j.state}.${detail}`;
}

/* ---------- history ---------- */
function historyQuery(before) {
	const q = new URLSearchParams();
	const probe = $('filter-probe').value, state = $('filter-state').value;
	if (probe) q.set('probe', probe);
	if (state) q.set('state', state);
	q.set('limit', String(HISTORY_PAGE));
	if (before) q.set('before', before);
	return `/jobs?${q}`;
}

/* reset: start again from the newest page; otherwise merge the newest page
 * into what is loaded (older pages stay). */
async function loadHistory(reset) {
	const hs = app.history;
	const filterSig = historyQuery('');
	if (reset || hs.filterSig !== filterSig) {
		hs.items = [];
		hs.next = null;
		hs.filterSig = filterSig;
		hs.fresh = true;
	}
	try {
		const {data} = await api(filterSig);
		if (hs.filterSig !== filterSig) return;     /* filters changed meanwhile */
		mergeHistory(data.jobs || []);
		if (hs.fresh) { hs.next = data.next || null; hs.fresh = false; }
		$('history-error').hidden = true;
	} catch (e) {
		$('history-error').textContent = e.message;
		$('history-error').hidden = false;
	}
	renderHistory();
}

async function loadOlder() {
	const hs = app.history;
	if (!hs.next || hs.loading) return;
	hs.loading = true;
	$('history-more').disabled = true;
	try {
		const {data} = await api(hs.next);
		mergeHistory(data.jobs || []);
		hs.next = data.next || null;
		$('history-error').hidden = true;
	} catch (e) {
		$('history-error').textContent = e.message;
		$('history-error').hidden = false;
	}
	hs.loading = false;
	$('history-more').disabled = false;
	renderHistory();
}

function mergeHistory(jobs) {
	const hs = app.history;
	const byId = new Map(hs.items.map((j) => [String(j.id), j]));
	for (const j of jobs) {
		byId.set(String(j.id), j);
		/* a live job we follow keeps its streamed state */
		const live = app.jobs.get(String(j.id));
		if (live && !app.followers.has(String(j.id))) app.jobs.set(String(j.id), j);
	}
	hs.items = [...byId.values()].sort((a, b) => Number(b.id) - Number(a.id));
}

function historyJob(j) {
	const live = app.jobs.get(String(j.id));
	return live && live.steps && live.steps.length ? Object.assign({}, j, live) : j;
}

function makeHistoryRow(j) {
	const hs = app.history;
	const r = j.result;
	const levels = r ? `${levelText(r.rdp_before)} → ${levelText(r.rdp_after)}` : '';
	const took = fmtDuration(jobDurationMs(j));
	const det = h('details', {class: `hjob hj-${j.state}`, 'data-job': j.id,
		ontoggle: () => { if (det.open) hs.open.add(String(j.id)); else hs.open.delete(String(j.id)); }},
	h('summary', {class: 'hsum'},
		h('span', {class: 'h-id', text: `#${j.id}`}),
		h('span', {class: 'h-kind', text: j.kind === 'lock' ? 'Lock' : 'Unlock'}),
		h('span', {class: 'h-probe', text: j.probe ? `probe ${j.probe.index}` : ''}),
		h('span', {class: 'h-chip muted', text: j.chip || ''}),
		stateTag(j.state),
		levels ? h('span', {class: 'h-levels', text: levels, title: 'level before → after'}) :
			h('span', {class: 'h-levels h-why', text: j.error && j.error.code ? j.error.code.replace(/_/g, ' ') : '',
				title: j.error && j.error.detail ? j.error.detail : null}),
		h('span', {class: 'h-when muted'}, j.created_at ? timeEl(j.created_at, fmtTime(j.created_at)) : ''),
		h('span', {class: 'h-took muted', text: took})),
	h('div', {class: 'hbody'},
		h('p', {class: 'muted small', text: [
			j.probe ? `Probe ${j.probe.index} (${j.probe.serial})` : '',
			j.requested_by ? `requested by ${j.requested_by}` : '',
			j.started_at ? `started ${fmtTime(j.started_at)}` : '',
			j.finished_at ? `finished ${fmtTime(j.finished_at)}` : '',
		].filter(Boolean).join(' · ')}),
		stepList(j),
		resultBlock(j),
		logBlock(j, true),
		(j.log || []).length ? h('div', {class: 'job-actions'}, logDownload(j)) : null));
	if (hs.open.has(String(j.id))) det.open = true;
	return h('li', {class: 'hitem'}, det);
}

function updateHistoryRow(id) {
	const hs = app.history;
	const idx = hs.items.findIndex((x) => String(x.id) === String(id));
	if (idx < 0) return;
	const live = app.jobs.get(String(id));
	if (live && FINAL.has(live.state) && !app.followers.has(String(id))) hs.items[idx] = live;
	renderHistory();
}

function renderHistory() {
	const hs = app.history;
	const list = $('history');
	const seen = new Set();
	let prev = null;
	for (const raw of hs.items) {
		const j = historyJob(raw);
		const id = String(j.id);
		const sig = JSON.stringify([j.state, j.steps, (j.log || []).length, j.result, j.error, j.chip]);
		let row = hs.rows.get(id);
		if (!row || row.sig !== sig) {
			const el = makeHistoryRow(j);
			if (row) {
				if (row.el.querySelector('details').open) el.querySelector('details').open = true;
				row.el.replaceWith(el);
			}
			row = {el, sig};
			hs.rows.set(id, row);
		}
		seen.add(id);
		const want = prev ? prev.nextSibling : list.firstChild;
		if (want !== row.el) list.insertBefore(row.el, want);
		prev = row.el;
	}
	for (const [id, row] of hs.rows) if (!seen.has(id)) { row.el.remove(); hs.rows.delete(id); }
	$('history-empty').hidden = hs.items.length > 0;
	$('history-more').hidden = !hs.next;
}

function refreshProbeFilter() {
	const sel = $('filter-probe');
	/* A serial two probes share is refused as a ref: those go by index. */
	const want = [['', 'All probes'], ...app.probes.map((p) => [p.serial_unique === false ? probeRef(p) : p.serial, `Probe ${p.index} · ${p.serial}`])];
	const cur = sel.value;
	if (cur && !want.some(([v]) => v === cur)) want.push([cur, cur]);
	const sig = want.map((w) => w.join('=')).join('|');
	if (sel.dataset.sig === sig) return;
	sel.dataset.sig = sig;
	sel.replaceChildren(...want.map(([v, t]) => h('option', {value: v, text: t})));
	sel.value = cur;
}

function setupHistory() {
	$('filter-probe').addEventListener('change', () => loadHistory(true));
	$('filter-state').addEventListener('change', () => loadHistory(true));
	$('history-refresh').addEventListener('click', () => loadHistory(true));
	$('history-more').addEventListener('click', loadOlder);
	$('history-filters').addEventListener('submit', (ev) => { ev.preventDefault(); loadHistory(true); });
}

/* ---------- start ---------- */
function start() {
	$('host').textContent = location.host;
	setupToken();
	setupDialog();
	setupHistory();
	pollProbes();
	loadHistory(true);
	document.addEventListener('visibilitychange', () => { if (!document.hidden) pollProbes(); });
	/* keep "read N s ago" fresh between polls */
	setInterval(() => { for (const p of app.probes) { const c = app.cards.get(probeKey(p)); if (c) updateCard(c, p); } }, 10000);
}

start();
