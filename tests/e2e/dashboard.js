// End-to-end test of the dashboard (GET /) in headless Chromium against a real persistd on a
// temporary copy of examples/shop, on loopback. Exit 0 pass, 77 skip (no Chromium), 1 fail.
// Screenshots and logs go to $abs_top_builddir/tests/e2e/artifacts/.
"use strict";

const { spawn } = require("child_process");
const fs = require("fs");
const net = require("net");
const os = require("os");
const path = require("path");
const { Browser, findChromium, sleep, withTimeout } = require("./cdp.js");

const srcdir = process.env.abs_top_srcdir || path.resolve(__dirname, "..", "..");
const builddir = process.env.abs_top_builddir || process.cwd();
const artifacts = path.join(builddir, "tests", "e2e", "artifacts");
// Holds tests/check-secrets.sh's "s3cret-api", so a leak into any log fails the suite; '/',
// '+' and '=' check the page's encoding of ?access_token=.
const TOKEN = "s3cret-api/e2e+token=";
const TOTAL_MS = 55000;

let step = "start";
const cleanups = [];

const t0 = Date.now();

function log(...args) {
	console.log("e2e: " + ((Date.now() - t0) / 1000).toFixed(1) + "s", ...args);
}

function check(cond, what) {
	if (!cond)
		throw new Error("check failed: " + what);
}

function freePort() {
	return new Promise((resolve, reject) => {
		const s = net.createServer();
		s.on("error", reject);
		s.listen(0, "127.0.0.1", () => {
			const { port } = s.address();
			s.close(() => resolve(port));
		});
	});
}

// A writable copy of examples/shop (the source tree is read-only under distcheck).
function copyExample() {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persistd-e2e."));
	fs.cpSync(path.join(srcdir, "examples", "shop"), dir, { recursive: true });
	const walk = (p) => {
		const st = fs.statSync(p);
		fs.chmodSync(p, st.mode | 0o200);
		if (st.isDirectory())
			for (const n of fs.readdirSync(p))
				walk(path.join(p, n));
	};
	walk(dir);
	return dir;
}

async function request(base, method, p, body, token) {
	const headers = {};
	if (body !== undefined)
		headers["Content-Type"] = "application/json";
	if (token)
		headers.Authorization = "Bearer " + token;
	const res = await withTimeout(fetch(base + p, {
		method, headers, body: body === undefined ? undefined : JSON.stringify(body),
	}), 10000, method + " " + p);
	const text = await res.text();
	return { status: res.status, text, json: text ? JSON.parse(text) : null };
}

async function startPersistd(project, logName, extra = []) {
	const port = await freePort();
	const bin = path.join(builddir, "persistd");
	const out = fs.openSync(path.join(artifacts, logName), "w");
	const proc = spawn(bin, ["--project", project, "--listen", "127.0.0.1:" + port, ...extra], {
		stdio: ["ignore", out, out],
	});
	fs.closeSync(out);
	let exited = null;
	proc.on("exit", (code, signal) => (exited = { code, signal }));
	const base = "http://127.0.0.1:" + port;
	const deadline = Date.now() + 15000;
	for (;;) {
		if (exited)
			throw new Error("persistd exited at start-up: " + JSON.stringify(exited) + ", see " + logName);
		try {
			const r = await fetch(base + "/healthz");
			if (r.status === 200)
				break;
		} catch (e) {
			/* not listening yet */
		}
		if (Date.now() > deadline)
			throw new Error("persistd did not answer /healthz in 15 s");
		await sleep(50);
	}
	const stop = async () => {
		if (exited)
			return exited;
		const gone = new Promise((resolve) => proc.once("exit", (code, signal) => resolve({ code, signal })));
		proc.kill("SIGTERM");
		try {
			return await withTimeout(gone, 10000, "persistd to stop");
		} catch (e) {
			proc.kill("SIGKILL");
			return { code: null, signal: "SIGKILL" };
		}
	};
	cleanups.push(stop);
	return { base, stop };
}

// Text of the elements a selector names, joined by newlines.
function texts(selector) {
	return `[...document.querySelectorAll(${JSON.stringify(selector)})].map((e) => e.textContent).join("\\n")`;
}

async function main() {
	const chromium = findChromium();
	if (!chromium) {
		log("chromium not found (set CHROMIUM or install Debian's chromium): skipping");
		return 77;
	}
	if (typeof fetch !== "function") {
		log("this node has no fetch (node 18 or later is needed): skipping");
		return 77;
	}
	fs.rmSync(artifacts, { recursive: true, force: true });
	fs.mkdirSync(artifacts, { recursive: true });

	step = "copy examples/shop";
	const project = copyExample();
	cleanups.push(() => fs.rmSync(project, { recursive: true, force: true }));
	const profile = fs.mkdtempSync(path.join(os.tmpdir(), "persistd-e2e-chromium."));
	cleanups.push(() => fs.rmSync(profile, { recursive: true, force: true }));

	step = "start persistd";
	const pd = await startPersistd(project, "persistd.log");
	log("persistd at", pd.base, "on", project);

	step = "start chromium";
	const browser = await Browser.launch({ executable: chromium, profileDir: profile, logFile: path.join(artifacts, "chromium.log") });
	cleanups.unshift(() => browser.close());
	const page = await browser.newPage();
	await page.viewport(1280, 900);
	const shot = async (name) => {
		await sleep(150); /* let layout settle */
		await page.screenshot(path.join(artifacts, name));
		log("screenshot", name);
	};

	step = "load the page";
	await page.goto(pd.base + "/");
	await page.waitFor(`document.querySelectorAll("#models .card").length === 3`, "three model cards");
	await page.waitFor(`document.getElementById("live").dataset.state === "live"`, "the event stream to be live");
	const cards = await page.evaluate(`[...document.querySelectorAll("#models .card")].map((c) => ({
		name: c.dataset.model, status: c.dataset.status,
		store: c.querySelector(".store").textContent, entities: c.querySelector(".entities").textContent,
		generated: c.querySelector(".generated").textContent }))`);
	log("cards", JSON.stringify(cards));
	const byName = Object.fromEntries(cards.map((c) => [c.name, c]));
	check(byName.users && byName.inventory && byName.audit, "cards for users, inventory and audit");
	for (const c of cards) {
		check(c.status === "valid", c.name + " is valid");
		check(c.generated && c.generated !== "never", c.name + " shows a generation time");
	}
	check(byName.users.store.startsWith("inmemory") && byName.users.store.includes("up"), "users: in-memory store, up");
	check(byName.inventory.store.startsWith("postgresql"), "inventory: postgresql");
	check(byName.users.entities === "2" && byName.inventory.entities === "2" && byName.audit.entities === "1", "entity counts");
	await shot("01-models.png");

	step = "open the users model";
	await page.click('#models .card[data-model="users"] a');
	await page.waitFor(`location.hash === "#/m/users" && document.getElementById("detail-h").textContent === "users"`, "the users detail");
	await page.waitFor(`document.getElementById("facts").textContent.includes("User, Address")`, "the entity names");
	await page.evaluate(`window.__noReload = "still here"`);

	step = "break persist/users.bal on disk";
	const modelFile = path.join(project, "persist", "users.bal");
	const original = fs.readFileSync(modelFile, "utf8");
	const lines = original.split("\n");
	const bad = lines.findIndex((l) => /^\s+string email;/.test(l));
	check(bad >= 0, "users.bal has 'string email;'");
	lines[bad] = lines[bad].replace("string email;", "strin email;");
	fs.writeFileSync(modelFile, lines.join("\n"));
	const where = "persist/users.bal:" + (bad + 1) + ":";
	await page.waitFor(`document.querySelector('#models .card[data-model="users"]').dataset.status === "invalid"`, "users to turn invalid");
	await page.waitFor(`(${texts('#models .card[data-model="users"] .diag')}).includes(${JSON.stringify(where)})`, "the card's diagnostic at " + where);
	await page.waitFor(`(${texts("#diagnostics .diag")}).includes("strin")`, "the detail's diagnostics");
	const diag = await page.evaluate(texts("#diagnostics .diag"));
	log("diagnostics:", diag);
	check(diag.includes(where) && /error/.test(diag), "diagnostic with file, line and severity");
	check(await page.evaluate(`document.getElementById("detail-status").textContent`) === "invalid", "detail badge says invalid");
	check(await page.evaluate(`window.__noReload`) === "still here", "no page reload");
	await shot("02-invalid.png");

	step = "fix persist/users.bal";
	fs.writeFileSync(modelFile, original);
	await page.waitFor(`document.querySelector('#models .card[data-model="users"]').dataset.status === "valid"`, "users to turn valid again");
	await page.waitFor(`!document.querySelector("#diagnostics .diag") && !document.querySelector('#models .card[data-model="users"] .diag')`, "the diagnostics to go");
	check(await page.evaluate(`window.__noReload`) === "still here", "still no page reload");

	step = "open the diagram with the keyboard";
	await page.evaluate(`document.getElementById("tab-diagram").focus()`);
	await page.press("Enter");
	await page.waitFor(`location.hash === "#/m/users/diagram"`, "the diagram route");
	await page.waitFor(`document.querySelectorAll("#diagram svg g.entity").length === 2`, "two entity boxes");
	const diagram = await page.evaluate(`({
		entities: [...document.querySelectorAll("#diagram svg g.entity")].map((g) => g.dataset.entity).sort(),
		relations: [...document.querySelectorAll("#diagram svg g.relation")].map((g) => g.dataset.owner + "->" + g.dataset.references),
		lines: document.querySelectorAll("#diagram svg line.edge").length,
		fields: (${texts('#diagram g.entity[data-entity="Address"] text.field')}),
		listed: document.getElementById("relations").textContent })`);
	log("diagram", JSON.stringify(diagram));
	check(diagram.entities.join() === "Address,User", "boxes for User and Address");
	check(diagram.relations.length === 1 && diagram.relations[0] === "Address->User" && diagram.lines === 1, "one Address -> User relation line");
	check(diagram.fields.includes("user: User") && diagram.fields.includes("postcode: string?"), "Address's fields in its box");
	check(diagram.listed.includes("one-to-many"), "the relation listed as text");
	await shot("03-diagram.png");

	step = "insert records through the API";
	const people = [{ id: 1, name: "Ada <b>Lovelace</b>", email: "ada@example.com", joinedOn: "2024-05-01" }];
	for (let i = 2; i <= 13; i++)
		people.push({ id: i, name: "Person " + String(i).padStart(2, "0"), email: "p" + i + "@example.com", joinedOn: "2024-06-" + String(i).padStart(2, "0") });
	const post = await request(pd.base, "POST", "/models/users/data/users", people);
	check(post.status === 201, "POST records: 201, got " + post.status + " " + post.text);

	step = "browse the records";
	await page.click("#tab-data");
	await page.waitFor(`location.hash === "#/m/users/data"`, "the data route");
	await page.waitFor(`document.querySelectorAll("#data-table tbody tr").length === 13`, "13 records on the first page");
	const cell = await page.evaluate(`(() => {
		const td = [...document.querySelectorAll("#data-table td")].find((t) => t.textContent.includes("Lovelace"));
		return td ? { text: td.textContent, elements: td.children.length } : null; })()`);
	check(cell && cell.text === "Ada <b>Lovelace</b>" && cell.elements === 0, "the name shown as text, not markup");
	check(!(await page.evaluate(`!!document.querySelector("#data-table b")`)), "no <b> element in the table");

	step = "filter the records";
	await page.evaluate(`document.getElementById("data-filter").focus()`);
	await page.type("name=like.Ada%");
	await page.click("#data-load");
	await page.waitFor(`document.querySelectorAll("#data-table tbody tr").length === 1`, "one record matching the filter");
	check((await page.evaluate(texts("#data-table tbody td"))).includes("ada@example.com"), "the filtered record is Ada's");
	await shot("04-data-filter.png");

	step = "page through the records";
	await page.evaluate(`(() => { const f = document.getElementById("data-filter"); f.value = ""; const l = document.getElementById("data-limit"); l.value = "10"; })()`);
	await page.evaluate(`document.getElementById("data-order").value = "id.asc"`);
	await page.click("#data-load");
	await page.waitFor(`document.querySelectorAll("#data-table tbody tr").length === 10 && !document.getElementById("data-next").disabled`, "a first page of 10 with a next page");
	check(await page.evaluate(`document.getElementById("data-prev").disabled`), "no previous page on the first");
	await page.click("#data-next");
	await page.waitFor(`document.querySelectorAll("#data-table tbody tr").length === 3`, "the 3 records of the second page");
	check(await page.evaluate(`document.getElementById("data-next").disabled && !document.getElementById("data-prev").disabled`), "last page: next off, previous on");
	check((await page.evaluate(texts("#data-table tbody tr:first-child td"))).includes("Person 11"), "the second page starts at record 11");
	check((await page.evaluate(`document.getElementById("data-status").textContent`)).includes("11–13"), "the status says 11–13");
	await page.click("#data-prev");
	await page.waitFor(`document.querySelectorAll("#data-table tbody tr").length === 10`, "back to the first page");

	step = "generate";
	await page.click("#generate");
	await page.waitFor(`document.getElementById("generate-result").dataset.ok === "true"`, "the generation result");
	const gen = await page.evaluate(`document.getElementById("generate-result").textContent`);
	log("generate:", gen.split("\n")[0]);
	check(/Generated \d+ files?/.test(gen) && gen.includes("persist_client.bal"), "the generated files listed");
	await page.click("#tab-overview");
	await page.waitFor(`(${texts("#generation-files li")}).includes("persist_types.bal")`, "the files under Last generation");
	await shot("05-generated.png");

	step = "a narrow window";
	await page.viewport(400, 860);
	await page.evaluate(`location.hash = "#/m/users"`);
	await page.waitFor(`document.querySelectorAll("#models .card").length === 3 && document.getElementById("facts").textContent.includes("User")`, "the page at 400 px");
	const overflow = await page.evaluate(`document.documentElement.scrollWidth - window.innerWidth`);
	check(overflow <= 0, "no horizontal scrolling at 400 px (overflow " + overflow + " px)");
	await shot("06-narrow.png");
	await page.send("Emulation.setEmulatedMedia", { features: [{ name: "prefers-color-scheme", value: "dark" }] });
	await page.viewport(1280, 900);
	await page.click("#tab-diagram");
	await page.waitFor(`document.querySelectorAll("#diagram svg g.entity").length === 2`, "the diagram again");
	await shot("07-dark.png");
	await page.send("Emulation.setEmulatedMedia", { features: [] });

	check(page.errors.length === 0, "no script or browser errors:\n" + page.errors.join("\n"));

	step = "stop persistd";
	const st = await pd.stop();
	check(st.code === 0, "persistd exits 0 on SIGTERM, got " + JSON.stringify(st));

	step = "with an API token";
	const pt = await startPersistd(project, "persistd-token.log", ["--set", "http.api_token=" + TOKEN]);
	const page2 = await browser.newPage();
	await page2.viewport(1280, 900);
	await page2.goto(pt.base + "/");
	await page2.waitFor(`!document.getElementById("token-form").hidden`, "the token form");
	check(await page2.evaluate(`document.activeElement && document.activeElement.id === "token"`), "the token field has focus");
	await page2.screenshot(path.join(artifacts, "08-token-form.png"));
	await page2.type(TOKEN);
	await page2.press("Enter");
	await page2.waitFor(`document.querySelectorAll("#models .card").length === 3`, "the models after giving the token");
	await page2.waitFor(`document.getElementById("live").dataset.state === "live"`, "the event stream with ?access_token=");
	check(await page2.evaluate(`document.getElementById("token-form").hidden`), "the token form is gone");
	// Live updates arrive through the token-authenticated stream.
	fs.writeFileSync(modelFile, original.replace("string email;", "strin email;"));
	await page2.waitFor(`document.querySelector('#models .card[data-model="users"]').dataset.status === "invalid"`, "users invalid through the token stream");
	fs.writeFileSync(modelFile, original);
	await page2.waitFor(`document.querySelector('#models .card[data-model="users"]').dataset.status === "valid"`, "users valid again");
	await page2.waitFor(`document.getElementById("version").textContent.startsWith("persistd")`, "the version, asked with the token");
	await page2.screenshot(path.join(artifacts, "09-token.png"));
	const noToken = await request(pt.base, "GET", "/models");
	check(noToken.status === 401, "the API still wants the token: " + noToken.status);
	const page401 = await request(pt.base, "GET", "/events?access_token=wrong");
	check(page401.status === 401, "a wrong ?access_token= is refused: " + page401.status);
	const modelsQuery = await request(pt.base, "GET", "/models?access_token=" + encodeURIComponent(TOKEN));
	check(modelsQuery.status === 401, "?access_token= works for /events only: " + modelsQuery.status);
	check(page2.errors.filter((e) => !/401/.test(e)).length === 0, "no script errors with a token:\n" + page2.errors.join("\n"));

	step = "stop";
	const st2 = await pt.stop();
	check(st2.code === 0, "persistd (token) exits 0 on SIGTERM, got " + JSON.stringify(st2));
	return 0;
}

function redact(text) {
	for (const form of [TOKEN, encodeURIComponent(TOKEN), encodeURIComponent(TOKEN).replace(/%2F/gi, "/")])
		text = text.split(form).join("<token>");
	return text;
}

async function cleanup() {
	for (const fn of cleanups.splice(0))
		try {
			await fn();
		} catch (e) {
			log("cleanup:", e.message);
		}
}

const watchdog = setTimeout(async () => {
	console.error("e2e: FAIL: the whole test took over " + TOTAL_MS / 1000 + " s (at: " + step + ")");
	await cleanup();
	process.exit(1);
}, TOTAL_MS);

main().then(
	async (code) => {
		clearTimeout(watchdog);
		await cleanup();
		if (code === 0)
			log("PASS; screenshots in", artifacts);
		process.exit(code);
	},
	async (err) => {
		clearTimeout(watchdog);
		console.error("e2e: FAIL at '" + step + "': " + redact(String(err && err.stack ? err.stack : err)));
		await cleanup();
		process.exit(1);
	});
