/*
 * End-to-end tests of rdpd's dashboard: Debian's Chromium driven by
 * playwright-core against a real rdpd with simulated probes, started here on
 * port 0 (the port it bound is in its banner) and stopped at the end. Run: node --test tests/web/
 * Environment: RDPD_BUILD (default build), CHROMIUM (default /usr/bin/chromium).
 */
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {chromium} from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const BUILD = path.resolve(root, process.env.RDPD_BUILD || 'build');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SHOTS = path.join(BUILD, 'web-screenshots');
const TOKEN = 'web-test-token-0123456789abcdef';

/* The probes, by index. time_scale=0.25 makes the F401's mass erase take ~1 s. */
const PROBES = [
	'sim:stm32f401re-rdp1?time_scale=0.25', /* 0: locked, unlock takes ~1 s */
	'sim:stm32f401re-rdp2',                 /* 1: level 2: silent */
	'sim:stm32f401re-rdp0?time_scale=0.25', /* 2: open */
	'sim:no-target?probe=stlink-v2&target_mv=20', /* 3: nothing wired, behind an unpowered ST-LINK */
];

let daemon, port, base, stateDir, profileDir, ctx, page;
const foreignRequests = [];
const pageErrors = [];

async function api(p, opts = {}) {
	const res = await fetch(base + p, {
		method: opts.method || 'GET',
		headers: opts.body ? {'Content-Type': 'application/json'} : {},
		body: opts.body ? JSON.stringify(opts.body) : undefined,
	});
	const text = await res.text();
	let data = null;
	try { data = JSON.parse(text); } catch (e) { data = text; }
	return {status: res.status, data};
}

/* rdpd started on port 0 binds a port the kernel picks and names it in its
 * banner ("listening on HOST:PORT"). A port picked here and bound by rdpd
 * later could be taken in between by another process's outgoing connection. */
async function boundPort(proc, log) {
	for (let i = 0; i < 500; i++) {
		if (proc.exitCode !== null) throw new Error(`rdpd exited: ${fs.readFileSync(log, 'utf8')}`);
		const m = /listening on (?:\[[^\]]*\]|[^\s:]+):(\d+)/.exec(fs.readFileSync(log, 'utf8'));
		if (m) return Number(m[1]);
		await new Promise((r) => setTimeout(r, 40));
	}
	throw new Error(`rdpd did not listen: ${fs.readFileSync(log, 'utf8')}`);
}

async function shot(name, {width, height, scheme}) {
	await page.setViewportSize({width, height});
	await page.emulateMedia({colorScheme: scheme});
	await page.waitForTimeout(150);
	const file = path.join(SHOTS, `${name}-${scheme}.png`);
	await page.screenshot({path: file, fullPage: true});
	return file;
}

const card = (i) => page.locator(`article.probe[data-index="${i}"]`);
const badge = (i) => card(i).locator('.badge');

before(async () => {
	fs.mkdirSync(SHOTS, {recursive: true});
	if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium is not installed at ${CHROMIUM} (apt-get install chromium)`);
	stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rdpd-web-state-'));
	profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rdpd-web-chromium-'));
	/* Tokens loaded but not required (loopback, --loopback-anonymous): a wrong
	 * bearer token gets a real 401. */
	const tokens = path.join(stateDir, 'tokens');
	fs.writeFileSync(tokens, `webtest admin ${TOKEN}\n`, {mode: 0o600});
	const log = path.join(stateDir, 'daemon.log');
	const out = fs.openSync(log, 'a');
	daemon = spawn(path.join(BUILD, 'rdpd'), ['serve', '--listen', '127.0.0.1:0', '--state-dir', stateDir,
		'--no-usb', '--config', '/dev/null', '--tokens', tokens, '--loopback-anonymous',
		...PROBES.flatMap((u) => ['--probe', u])],
	{stdio: ['ignore', out, out]});
	port = await boundPort(daemon, log);
	base = `http://127.0.0.1:${port}`;

	ctx = await chromium.launchPersistentContext(profileDir, {
		executablePath: CHROMIUM,
		headless: true,
		args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
			'--disable-background-networking', '--disable-component-update', '--disable-sync'],
		viewport: {width: 1280, height: 900},
		colorScheme: 'light',
		acceptDownloads: true,
	});
	page = ctx.pages()[0] || await ctx.newPage();
	page.setDefaultTimeout(10000);
	page.on('request', (r) => {
		const u = r.url();
		if (!u.startsWith(base + '/') && !u.startsWith('data:') && !u.startsWith('blob:')) foreignRequests.push(u);
	});
	page.on('pageerror', (e) => pageErrors.push(e.message));
	await page.goto(base + '/');
});

after(async () => {
	if (ctx) await ctx.close().catch(() => {});
	if (daemon && daemon.exitCode === null) {
		daemon.kill('SIGTERM');
		await new Promise((resolve) => {
			const t = setTimeout(() => { daemon.kill('SIGKILL'); resolve(); }, 12000);
			daemon.on('exit', () => { clearTimeout(t); resolve(); });
		});
	}
	for (const d of [stateDir, profileDir]) if (d) fs.rmSync(d, {recursive: true, force: true});
});

test('the probe list shows every probe, simulated ones marked, level unknown until read', async () => {
	await page.locator('article.probe').nth(3).waitFor();
	assert.equal(await page.locator('article.probe').count(), 4);
	const {data} = await api('/probes');
	for (const p of data.probes) {
		const c = card(p.index);
		await assert.doesNotReject(c.getByText(p.serial, {exact: true}).waitFor());
		assert.match(await c.locator('.facts').innerText(), new RegExp(p.firmware_version));
		assert.equal((await c.locator('.tag-sim').innerText()).toLowerCase(), 'simulated');
		assert.match(await badge(p.index).innerText(), /unknown/i);
	}
	assert.match(await page.locator('#daemon-status').innerText(), /ready/);
});

test('reading each level gives the right badges; a level-2 chip shows the API sentence', async () => {
	for (const i of [0, 1, 2, 3]) await card(i).getByRole('button', {name: `Read level of probe ${i}`}).click();
	await page.waitForFunction(() => document.querySelectorAll('article.probe .badge.b-unknown').length === 0);
	assert.equal(await badge(0).innerText(), 'Level 1 · locked');
	assert.equal(await badge(2).innerText(), 'Level 0 · open');
	assert.equal(await badge(1).innerText(), 'Not responding');
	assert.equal(await badge(3).innerText(), 'Not responding');
	/* the ST-LINK measured VTref: the card says it, and what it means */
	await page.waitForFunction(() => /Target voltage/.test(document.querySelector('article.probe[data-index="3"] .facts').innerText));
	assert.match(await card(3).locator('.facts').innerText(), /Target voltage\s+0\.02 V \(board not powered, or VTref not wired\?\)/);
	assert.match(await card(3).locator('.facts').innerText(), /ST-LINK API 2/);
	assert.doesNotMatch(await card(0).locator('.facts').innerText(), /Target voltage/);
	assert.match(await card(0).locator('.read-at').innerText(), /read (just now|\d+ s ago)/);
	assert.match(await card(0).locator('.chip').innerText(), /STM32F401/);
	/* the raw state under its scheme's name, as the API names the scheme */
	assert.match(await card(0).locator('.facts').innerText(), /Protection\s+RDP byte 0xbb \(stm32-rdp\)/);
	/* the error is the sentence the API wrote, not a status code */
	const {status, data} = await api('/probes/1/rdp');
	assert.equal(status, 502);
	assert.match(data.detail, /RDP level 2/);
	const msg = card(1).locator('.msg-error');
	assert.equal(await msg.innerText(), data.detail);
	assert.equal(await msg.getAttribute('role'), 'alert');
	assert.doesNotMatch(await card(1).innerText(), /\b502\b/);
});

test('a level-0 chip offers no unlock (it would do nothing), only the lock; a locked one offers both', async () => {
	assert.equal(await badge(2).innerText(), 'Level 0 · open');
	await card(2).getByRole('button', {name: 'Lock probe 2 to level 1'}).waitFor();
	assert.equal(await card(2).getByRole('button', {name: 'Unlock probe 2'}).count(), 0);
	assert.equal(await card(2).locator('.btn-danger:visible').count(), 0, 'nothing red on an open chip');
	assert.equal(await badge(0).innerText(), 'Level 1 · locked');
	await card(0).getByRole('button', {name: 'Unlock probe 0'}).waitFor();
	await card(0).getByRole('button', {name: 'Lock probe 0 to level 1'}).waitFor();
	/* not read yet or not answering: the level is not known to be 0 */
	await card(3).getByRole('button', {name: 'Unlock probe 3'}).waitFor();
});

test('keyboard: the unlock dialog opens from the keyboard, Escape cancels and returns focus', async () => {
	const before = (await api('/jobs?probe=0')).data.jobs.length;
	const btn = card(0).getByRole('button', {name: 'Unlock probe 0'});
	await btn.focus();
	await page.keyboard.press('Enter');
	const dlg = page.locator('dialog#confirm');
	await dlg.waitFor({state: 'visible'});
	assert.equal(await dlg.evaluate((d) => d.open && d.matches(':modal')), true);
	assert.equal(await page.evaluate(() => document.activeElement.id), 'confirm-cancel');
	await page.keyboard.press('Escape');
	await dlg.waitFor({state: 'hidden'});
	assert.equal(await btn.evaluate((b) => b === document.activeElement), true);
	const {data} = await api('/jobs?probe=0');
	assert.equal(data.jobs.length, before, 'cancelling must not start a job');
});

test('an unlock confirmed in the dialog is followed live to success, badge locked -> open', async () => {
	const rdp = (await api('/probes/0/rdp')).data;
	assert.ok(rdp.erase_scope, 'the rdp report names the erase scope');
	assert.equal(await badge(0).innerText(), 'Level 1 · locked');
	await card(0).getByRole('button', {name: 'Unlock probe 0'}).click();
	const dlg = page.locator('dialog#confirm');
	await dlg.waitFor({state: 'visible'});
	const text = await dlg.innerText();
	assert.ok(text.includes(rdp.erase_scope), `dialog names what is erased: ${text}`);
	assert.match(text, /Level 2 cannot be undone/);
	await shot('desktop-dialog', {width: 1280, height: 900, scheme: 'light'});
	/* watch the progress bar while the job runs */
	const seen = page.evaluate(() => new Promise((resolve) => {
		const values = new Set();
		const t0 = Date.now();
		(function look() {
			const bar = document.querySelector('article.probe[data-index="0"] progress.bar');
			const st = document.querySelector('article.probe[data-index="0"] .job .jstate');
			if (bar) values.add(Number(bar.value));
			if ((st && st.textContent === 'succeeded') || Date.now() - t0 > 15000) resolve([...values]);
			else requestAnimationFrame(look);
		})();
	}));
	await page.getByRole('button', {name: 'Erase and unlock'}).click();
	await card(0).locator('.job .jstate', {hasText: 'running'}).waitFor();
	await card(0).locator('.step.st-running', {hasText: 'Mass erase'}).waitFor();
	await shot('desktop-running', {width: 1280, height: 900, scheme: 'light'});
	const values = await seen;
	assert.ok(values.some((v) => v > 0 && v < 100), `progress seen between 0 and 100: ${values}`);
	assert.ok(values.includes(100));
	const job = card(0).locator('.job');
	await job.locator('.jstate', {hasText: 'succeeded'}).waitFor();
	assert.match(await job.locator('.result-ok').innerText(), /Unlocked: level 1 → level 0 in [\d.]+ (s|ms)/);
	assert.equal(await job.locator('.step.st-done').count(), 7);
	await page.waitForFunction(() => document.querySelector('article.probe[data-index="0"] .badge').textContent === 'Level 0 · open');
	assert.match(await card(0).locator('[role=status][aria-live=polite]').innerText(), /Unlock finished: level 1 to level 0/);
	/* open now: the unlock button goes, the lock stays */
	await card(0).getByRole('button', {name: 'Unlock probe 0'}).waitFor({state: 'hidden'});
	await card(0).getByRole('button', {name: 'Lock probe 0 to level 1'}).waitFor();
});

test('a level-2 chip: the dialog and the failed job show the API sentence', async () => {
	await card(1).getByRole('button', {name: 'Unlock probe 1'}).click();
	const dlg = page.locator('dialog#confirm');
	await dlg.waitFor({state: 'visible'});
	await dlg.locator('.dialog-read.msg-error').waitFor();
	assert.match(await dlg.locator('.dialog-read').innerText(), /A chip at RDP level 2 never answers/);
	await page.getByRole('button', {name: 'Erase and unlock'}).click();
	const job = card(1).locator('.job');
	await job.locator('.jstate', {hasText: 'failed'}).waitFor();
	const id = await job.getAttribute('data-job');
	const {data} = await api(`/jobs/${id}`);
	assert.equal(data.state, 'failed');
	assert.equal(await job.locator('.error-detail').innerText(), data.error.detail);
	assert.equal(await badge(1).innerText(), 'Not responding');
	await shot('desktop-failed', {width: 1280, height: 900, scheme: 'dark'});
	await page.emulateMedia({colorScheme: 'light'});
});

test('a simulated probe added through the API appears without a reload', async () => {
	const marker = await page.evaluate(() => (window.__marker = Math.random()));
	const {status, data} = await api('/probes', {method: 'POST', body: {uri: 'sim:stm32f407vg-rdp1?time_scale=0.5'}});
	assert.equal(status, 201, JSON.stringify(data));
	await card(data.index).waitFor({timeout: 6000});
	assert.equal(await page.locator('article.probe').count(), 5);
	/* The 201 comes at once; the serial is the probe's own (DAP_Info), known
	 * once its worker has opened it. */
	let probe = (await api(`/probes/${data.index}`)).data;
	for (let k = 0; k < 500 && !probe.firmware_version; k++) {
		await new Promise((r) => setTimeout(r, 20));
		probe = (await api(`/probes/${data.index}`)).data;
	}
	const serial = probe.serial;
	await card(data.index).getByText(serial, {exact: true}).waitFor();
	assert.equal(await page.evaluate(() => window.__marker), marker, 'no reload');
	/* and the history filter offers it */
	await page.locator(`#filter-probe option[value="${serial}"]`).waitFor({state: 'attached'});
});

test('a 409 (probe busy) shows the API sentence and the page follows the running job', async () => {
	/* the dialog is open while a CI job starts on the same probe; then confirm */
	await card(4).getByRole('button', {name: 'Lock probe 4 to level 1'}).click();
	const dlg = page.locator('dialog#confirm');
	await dlg.waitFor({state: 'visible'});
	await page.waitForFunction(() => !/Reading the chip/.test(document.querySelector('#confirm-read').textContent));
	const {status, data} = await api('/probes/4/unlock', {method: 'POST', body: {}});
	assert.equal(status, 202);
	await page.getByRole('button', {name: 'Lock to level 1'}).click();
	const msg = card(4).locator('.msg-error');
	await msg.waitFor();
	assert.match(await msg.innerText(), new RegExp(`running job ${data.id}`));
	assert.doesNotMatch(await msg.innerText(), /409/);
	const job = card(4).locator(`.job[data-job="${data.id}"]`);
	await job.waitFor();
	await job.locator('progress.bar').waitFor();
	await job.locator('.jstate', {hasText: 'succeeded'}).waitFor({timeout: 15000});
	await page.waitForFunction(() => document.querySelector('article.probe[data-index="4"] .badge').textContent === 'Level 0 · open');
});

test('job history: newest first, filters, paging with next', async () => {
	/* 22 quick failing jobs on the probe with nothing wired: more than one page */
	for (let i = 0; i < 22; i++) {
		const r = await api('/probes/3/unlock?wait=10', {method: 'POST', body: {}});
		assert.ok(r.status === 200 || r.status === 202, JSON.stringify(r.data));
	}
	await page.getByRole('button', {name: 'Refresh'}).click();
	await page.waitForFunction(() => document.querySelectorAll('#history > li').length === 20);
	const ids = await page.$$eval('#history details.hjob', (els) => els.map((e) => Number(e.dataset.job)));
	assert.deepEqual(ids, [...ids].sort((a, b) => b - a), 'newest first');
	const more = page.getByRole('button', {name: 'Load older jobs'});
	await more.click();
	await page.waitForFunction(() => document.querySelectorAll('#history > li').length > 20);
	const total = (await api('/jobs?limit=100')).data.jobs.length;
	await page.waitForFunction((n) => document.querySelectorAll('#history > li').length === n, total);
	assert.equal(await more.isHidden(), true, 'no next page left');

	await page.selectOption('#filter-state', 'succeeded');
	await page.waitForFunction(() => [...document.querySelectorAll('#history .hjob')].every((e) => e.classList.contains('hj-succeeded')) &&
		document.querySelectorAll('#history .hjob').length > 0);
	const okJobs = (await api('/jobs?state=succeeded')).data.jobs.length;
	assert.equal(await page.locator('#history .hjob').count(), okJobs);

	const serial0 = (await api('/probes/0')).data.serial;
	await page.selectOption('#filter-state', '');
	await page.selectOption('#filter-probe', serial0);
	await page.waitForFunction(() => document.querySelectorAll('#history .hjob').length === 1);
	assert.match(await page.locator('#history .hjob .h-probe').innerText(), /probe 0/);
	await page.selectOption('#filter-probe', '');
	await page.waitForFunction(() => document.querySelectorAll('#history > li').length === 20);
});

test('a job log opens in the history and downloads as a .txt made in the browser', async () => {
	const serial0 = (await api('/probes/0')).data.serial;
	const {data} = await api(`/jobs?probe=${serial0}&state=succeeded`);
	const job = data.jobs[0];
	assert.ok(job.log.length >= 3);
	await page.selectOption('#filter-probe', serial0);
	const row = page.locator(`#history details.hjob[data-job="${job.id}"]`);
	await row.locator('summary.hsum').click();
	assert.equal(await row.evaluate((d) => d.open), true);
	assert.equal(await row.locator('pre.log-text').innerText(), job.log.join('\n'));
	const link = row.getByRole('link', {name: 'Download log (.txt)'});
	assert.match(await link.getAttribute('href'), /^blob:/);
	const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
	assert.equal(download.suggestedFilename(), `rdpd-job-${job.id}.txt`);
	const text = fs.readFileSync(await download.path(), 'utf8');
	for (const line of job.log) assert.ok(text.includes(line), `downloaded log has: ${line}`);
	assert.match(text, new RegExp(`rdpd job ${job.id}: unlock`));
});

test('a token: a wrong one gets the API sentence and the field; the right one is kept and sent', async () => {
	await page.evaluate(() => localStorage.setItem('rdpd-token', 'wrong-token-xxxxxxxxxxxx'));
	await page.reload();
	const panel = page.locator('#token-panel');
	await panel.waitFor({state: 'visible'});
	assert.match(await page.locator('#token-why').innerText(), /bearer token is not in the tokens file/);
	assert.match(await page.locator('#errors').innerText(), /bearer token is not in the tokens file/);
	const auth = [];
	page.on('request', (r) => { if (r.headers().authorization) auth.push(r.headers().authorization); });
	await page.getByLabel('Token', {exact: true}).fill(TOKEN);
	await page.getByRole('button', {name: 'Save token'}).click();
	await page.waitForFunction(() => document.querySelectorAll('article.probe').length === 5);
	await page.waitForFunction(() => !document.querySelector('#errors .alert'));
	assert.equal(await page.evaluate(() => localStorage.getItem('rdpd-token')), TOKEN);
	assert.ok(auth.includes(`Bearer ${TOKEN}`), 'requests carry the bearer token');
	/* a change with the token goes through */
	await card(2).getByRole('button', {name: 'Lock probe 2 to level 1'}).click();
	await page.getByRole('button', {name: 'Lock to level 1'}).click();
	await card(2).locator('.job .jstate', {hasText: 'succeeded'}).waitFor();
	assert.match(await card(2).locator('.job .result-ok').innerText(), /Locked: level 0 → level 1/);
	await page.waitForFunction(() => /Level 1/.test(document.querySelector('article.probe[data-index="2"] .badge').textContent));
	const jobs = (await api('/jobs?probe=2&limit=1')).data.jobs;
	assert.equal(jobs[0].requested_by, 'webtest', 'the job was asked for with the token');
	await page.getByRole('button', {name: 'Forget'}).click();
	assert.equal(await page.evaluate(() => localStorage.getItem('rdpd-token')), null);
});

test('an unlock that needs a power cycle says so plainly', async () => {
	const {status, data} = await api('/probes', {method: 'POST', body: {uri: 'sim:stm32l476rg-rdp1?time_scale=0.05'}});
	assert.equal(status, 201, JSON.stringify(data));
	const i = data.index;
	await card(i).waitFor({timeout: 6000});
	await card(i).getByRole('button', {name: `Unlock probe ${i}`}).click();
	await page.locator('#confirm-read').filter({hasText: /Level 1/}).waitFor();
	assert.match(await page.locator('#confirm-body').innerText(), /whole flash/);
	await page.getByRole('button', {name: 'Erase and unlock'}).click();
	const job = card(i).locator('.job');
	await job.locator('.jstate', {hasText: 'succeeded'}).waitFor({timeout: 15000});
	const id = await job.getAttribute('data-job');
	assert.equal((await api(`/jobs/${id}`)).data.result.power_cycle_required, true);
	assert.match(await job.locator('.power').innerText(), /Power-cycle the board now/);
	await card(i).screenshot({path: path.join(SHOTS, 'card-power-cycle-light.png')});
});

test('screenshots: desktop and phone, light and dark', async () => {
	await page.reload();
	await page.locator('article.probe').nth(4).waitFor();
	for (const i of [0, 1, 2, 3]) await card(i).getByRole('button', {name: `Read level of probe ${i}`}).click();
	await page.waitForFunction(() => document.querySelectorAll('article.probe .badge.b-unknown').length <= 1);
	/* the unlock dialog of the locked probe 2, then a finished job in its
	 * card for the pictures (probe 0 is open now: no unlock to show) */
	const files = [];
	await card(2).getByRole('button', {name: 'Unlock probe 2'}).click();
	files.push(await shot('phone-dialog', {width: 390, height: 844, scheme: 'dark'}));
	await page.getByRole('button', {name: 'Erase and unlock'}).click();
	await card(2).locator('.job .jstate', {hasText: 'succeeded'}).waitFor();
	for (const scheme of ['light', 'dark']) {
		files.push(await shot('desktop', {width: 1280, height: 900, scheme}));
		files.push(await shot('phone', {width: 390, height: 844, scheme}));
	}
	for (const f of files) assert.ok(fs.statSync(f).size > 10000, f);
	/* on a phone nothing is wider than the screen */
	await page.setViewportSize({width: 390, height: 844});
	assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390), 'no horizontal scroll on a phone');
	const small = await page.$$eval('button:not([hidden]), .btn', (els) => els.filter((e) => e.offsetParent && e.getBoundingClientRect().height < 38)
		.map((e) => e.textContent));
	assert.deepEqual(small, [], 'touch targets at least 38 px high');
	await page.setViewportSize({width: 1280, height: 900});
	await page.emulateMedia({colorScheme: 'light'});
});

test('two probes with one serial: two cards, each with its own chip UID; an unlock erases only its chip', async () => {
	const uids = ['0a0b0c0d0e0f101112131415', '1a1b1c1d1e1f202122232425'];
	const sent = [];
	const onReq = (r) => { if (r.method() === 'POST' && /\/unlock$/.test(r.url())) sent.push([r.url(), r.postData()]); };
	page.on('request', onReq);
	const idx = [];
	for (const [i, profile] of [['0', 'stm32f401re-rdp1'], ['1', 'stm32f103c8-rdp1']]) {
		const {status, data} = await api('/probes', {method: 'POST',
			body: {uri: `sim:${profile}?time_scale=0.05&serial=WEBTWIN&uid=${uids[i]}`}});
		assert.equal(status, 201, JSON.stringify(data));
		idx.push(data.index);
	}
	for (const i of idx) await card(i).waitFor({timeout: 6000});
	assert.equal((await api(`/probes/${idx[0]}`)).data.serial_unique, false);
	for (const [k, i] of idx.entries()) {
		await card(i).getByRole('button', {name: `Read level of probe ${i}`}).click();
		await card(i).locator('code.uid', {hasText: uids[k]}).waitFor();
		assert.match(await card(i).locator('.facts').innerText(), /shared with another probe/);
	}
	await card(idx[1]).getByRole('button', {name: `Unlock probe ${idx[1]}`}).click();
	await page.locator('#confirm-chip').filter({hasText: uids[1]}).waitFor();
	await page.getByRole('button', {name: 'Erase and unlock'}).click();
	await card(idx[1]).locator('.job .jstate', {hasText: 'succeeded'}).waitFor({timeout: 15000});
	page.off('request', onReq);
	/* by index, with the UID the page showed: never by the shared serial */
	assert.equal(sent.length, 1);
	assert.ok(sent[0][0].endsWith(`/probes/${idx[1]}/unlock`), sent[0][0]);
	assert.deepEqual(JSON.parse(sent[0][1]), {expect: {uid: uids[1]}});
	assert.equal((await api(`/probes/${idx[1]}/rdp`)).data.rdp_level, 0);
	assert.equal((await api(`/probes/${idx[0]}/rdp`)).data.rdp_level, 1, 'the twin keeps its level');
	assert.equal(await card(idx[0]).locator('.badge').innerText(), 'Level 1 · locked');
});

test('a chip of another scheme: its card names the scheme and says the state in the vendor\'s words', async () => {
	const {status, data} = await api('/probes', {method: 'POST', body: {uri: 'sim:rp2040-rdp0?serial=WEBRP2040'}});
	assert.equal(status, 201, JSON.stringify(data));
	const i = data.index;
	await card(i).waitFor({timeout: 6000});
	await card(i).getByRole('button', {name: `Read level of probe ${i}`}).click();
	await card(i).locator('.badge.b-open').waitFor();
	assert.equal(await badge(i).innerText(), 'Level 0 · open');
	assert.match(await card(i).locator('.chip').innerText(), /RP2040/);
	const facts = await card(i).locator('.facts').innerText();
	assert.match(facts, /Protection\s+state 0x0 \(none\)/);
	const rep = (await api(`/probes/${i}/rdp`)).data;
	assert.ok(rep.state && /no read-out or debug protection/.test(rep.state), JSON.stringify(rep));
	assert.ok(facts.includes(rep.state), facts);
});

test('a locked nRF52: its card names the CTRL-AP; the unlock erases flash, UICR and RAM and says the port closes at its next reset', async () => {
	const {status, data} = await api('/probes', {method: 'POST', body: {uri: 'sim:nrf52840f0-rdp1?time_scale=0.05&serial=WEBNRF'}});
	assert.equal(status, 201, JSON.stringify(data));
	const i = data.index;
	await card(i).waitFor({timeout: 6000});
	await card(i).getByRole('button', {name: `Read level of probe ${i}`}).click();
	await card(i).locator('.badge.b-locked').waitFor();
	assert.equal(await badge(i).innerText(), 'Level 1 · locked');
	assert.match(await card(i).locator('.facts').innerText(), /APPROTECTSTATUS = 0: access port protection enabled/);
	assert.match(await card(i).locator('.chip').innerText(), /part hidden until erased/);
	await card(i).getByRole('button', {name: `Unlock probe ${i}`}).click();
	await page.locator('dialog#confirm').waitFor({state: 'visible'});
	assert.equal(await page.locator('#confirm-scope').innerText(),
		'the whole flash, the UICR and the RAM (CTRL-AP ERASEALL)');
	await page.getByRole('button', {name: 'Erase and unlock'}).click();
	const job = card(i).locator('.job');
	await job.locator('.jstate', {hasText: 'succeeded'}).waitFor({timeout: 15000});
	const id = await job.getAttribute('data-job');
	const res = (await api(`/jobs/${id}`)).data.result;
	assert.equal(res.relocks_at_reset, true, JSON.stringify(res));
	assert.equal(res.rdp_after, 0);
	assert.match(await job.locator('.power').innerText(), /Open until its next reset/);
	await card(i).locator('.badge.b-open').waitFor();
	assert.match(await card(i).locator('.chip').innerText(), /nRF52840/);
});

test('the page asks no other host and has no script errors', () => {
	assert.deepEqual(foreignRequests, []);
	assert.deepEqual(pageErrors, []);
});
