// A small Chrome DevTools Protocol client over --remote-debugging-pipe: Chromium reads
// commands on fd 3 and writes replies and events on fd 4, each message a JSON text ended by a
// NUL byte. No npm package, no TCP port.
"use strict";

const { spawn } = require("child_process");
const fs = require("fs");
const path = require("path");

function findChromium() {
	if (process.env.CHROMIUM)
		return process.env.CHROMIUM;
	const names = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];
	for (const name of names)
		for (const dir of (process.env.PATH || "").split(":")) {
			if (!dir)
				continue;
			const p = path.join(dir, name);
			try {
				fs.accessSync(p, fs.constants.X_OK);
				return p;
			} catch (e) {
				/* not here */
			}
		}
	return null;
}

function sleep(ms) {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

// promise, or a rejection naming what after ms.
function withTimeout(promise, ms, what) {
	let timer;
	const limit = new Promise((_, reject) => {
		timer = setTimeout(() => reject(new Error("timed out after " + ms + " ms: " + what)), ms);
	});
	return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

class Browser {
	constructor(proc) {
		this.proc = proc;
		this.nextId = 1;
		this.pending = new Map();
		this.listeners = [];
		this.buffer = Buffer.alloc(0);
		this.exited = false;
		proc.stdio[4].on("data", (chunk) => this._read(chunk));
		proc.on("exit", (code, signal) => {
			this.exited = true;
			for (const { reject, method } of this.pending.values())
				reject(new Error("chromium exited (" + (signal || code) + ") during " + method));
			this.pending.clear();
		});
	}

	static async launch({ executable, profileDir, width = 1280, height = 900, logFile }) {
		const args = [
			"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
			"--remote-debugging-pipe", "--user-data-dir=" + profileDir,
			"--no-first-run", "--no-default-browser-check", "--disable-extensions",
			"--disable-background-networking", "--disable-component-update", "--disable-sync",
			"--disable-default-apps", "--disable-breakpad", "--mute-audio", "--hide-scrollbars",
			"--window-size=" + width + "," + height, "about:blank",
		];
		const log = logFile ? fs.openSync(logFile, "w") : "ignore";
		const proc = spawn(executable, args, { stdio: ["ignore", log, log, "pipe", "pipe"] });
		if (typeof log === "number")
			fs.closeSync(log);
		const b = new Browser(proc);
		await withTimeout(b.send("Browser.getVersion"), 20000, "chromium to start");
		return b;
	}

	_read(chunk) {
		this.buffer = Buffer.concat([this.buffer, chunk]);
		let end;
		while ((end = this.buffer.indexOf(0)) >= 0) {
			const text = this.buffer.subarray(0, end).toString("utf8");
			this.buffer = this.buffer.subarray(end + 1);
			let msg;
			try {
				msg = JSON.parse(text);
			} catch (e) {
				continue;
			}
			if (msg.id !== undefined && this.pending.has(msg.id)) {
				const p = this.pending.get(msg.id);
				this.pending.delete(msg.id);
				if (msg.error)
					p.reject(new Error(p.method + ": " + msg.error.message));
				else
					p.resolve(msg.result || {});
			} else if (msg.method) {
				for (const fn of this.listeners)
					fn(msg);
			}
		}
	}

	send(method, params = {}, sessionId = undefined) {
		if (this.exited)
			return Promise.reject(new Error("chromium is not running"));
		const id = this.nextId++;
		const msg = { id, method, params };
		if (sessionId)
			msg.sessionId = sessionId;
		return new Promise((resolve, reject) => {
			this.pending.set(id, { resolve, reject, method });
			this.proc.stdio[3].write(JSON.stringify(msg) + "\0");
		});
	}

	onEvent(fn) {
		this.listeners.push(fn);
	}

	async newPage() {
		const { targetId } = await this.send("Target.createTarget", { url: "about:blank" });
		const { sessionId } = await this.send("Target.attachToTarget", { targetId, flatten: true });
		const page = new Page(this, sessionId);
		await page.send("Page.enable");
		await page.send("Runtime.enable");
		await page.send("Log.enable");
		return page;
	}

	async close() {
		if (this.exited)
			return;
		const gone = new Promise((resolve) => this.proc.once("exit", resolve));
		this.send("Browser.close").catch(() => {});
		try {
			await withTimeout(gone, 5000, "chromium to exit");
		} catch (e) {
			this.proc.kill("SIGKILL");
		}
	}
}

class Page {
	constructor(browser, sessionId) {
		this.browser = browser;
		this.sessionId = sessionId;
		this.errors = []; // uncaught exceptions, console errors, CSP and other browser errors
		this.waiters = [];
		browser.onEvent((msg) => {
			if (msg.sessionId !== sessionId)
				return;
			const p = msg.params || {};
			if (msg.method === "Runtime.exceptionThrown")
				this.errors.push("exception: " + describeException(p.exceptionDetails));
			else if (msg.method === "Runtime.consoleAPICalled" && p.type === "error")
				this.errors.push("console.error: " + (p.args || []).map((a) => a.value ?? a.description).join(" "));
			else if (msg.method === "Log.entryAdded" && p.entry && p.entry.level === "error")
				this.errors.push("log (" + p.entry.source + "): " + p.entry.text + (p.entry.url ? " " + p.entry.url : ""));
			for (const w of this.waiters.filter((x) => x.method === msg.method)) {
				this.waiters.splice(this.waiters.indexOf(w), 1);
				w.resolve(p);
			}
		});
	}

	send(method, params = {}) {
		return this.browser.send(method, params, this.sessionId);
	}

	waitEvent(method, ms) {
		let w;
		const p = new Promise((resolve) => {
			w = { method, resolve };
			this.waiters.push(w);
		});
		return withTimeout(p, ms, method).finally(() => {
			const i = this.waiters.indexOf(w);
			if (i >= 0)
				this.waiters.splice(i, 1);
		});
	}

	async goto(url, ms = 10000) {
		const loaded = this.waitEvent("Page.loadEventFired", ms);
		const r = await this.send("Page.navigate", { url });
		if (r.errorText)
			throw new Error("navigating to " + url + ": " + r.errorText);
		await loaded;
	}

	// The value of a JavaScript expression (awaited when it is a promise).
	async evaluate(expression) {
		const r = await this.send("Runtime.evaluate", { expression, awaitPromise: true, returnByValue: true });
		if (r.exceptionDetails)
			throw new Error("evaluating " + expression + ": " + describeException(r.exceptionDetails));
		return r.result ? r.result.value : undefined;
	}

	// Poll expression until it is truthy; its last value is returned.
	async waitFor(expression, what, ms = 10000) {
		const deadline = Date.now() + ms;
		let last;
		for (;;) {
			last = await this.evaluate(expression);
			if (last)
				return last;
			if (Date.now() > deadline)
				throw new Error("timed out after " + ms + " ms waiting for " + what);
			await sleep(100);
		}
	}

	// A real mouse click in the middle of the element that selector names.
	async click(selector) {
		const box = await this.evaluate(`(() => {
			const e = document.querySelector(${JSON.stringify(selector)});
			if (!e) return null;
			e.scrollIntoView({ block: "center" });
			const r = e.getBoundingClientRect();
			return { x: r.left + r.width / 2, y: r.top + r.height / 2, w: r.width };
		})()`);
		if (!box || !box.w)
			throw new Error("nothing visible to click at " + selector);
		for (const type of ["mouseMoved", "mousePressed", "mouseReleased"])
			await this.send("Input.dispatchMouseEvent", { type, x: box.x, y: box.y, button: "left", clickCount: 1 });
	}

	// A key press as a keyboard user makes it ("Enter", "Tab", "Space").
	async press(key, shift = false) {
		const keys = {
			Enter: { code: "Enter", keyCode: 13, text: "\r" },
			Tab: { code: "Tab", keyCode: 9 },
			Space: { code: "Space", keyCode: 32, text: " ", key: " " },
		};
		const k = keys[key];
		const base = {
			key: k.key || key, code: k.code, windowsVirtualKeyCode: k.keyCode,
			nativeVirtualKeyCode: k.keyCode, modifiers: shift ? 8 : 0,
		};
		await this.send("Input.dispatchKeyEvent", { type: k.text ? "keyDown" : "rawKeyDown", text: k.text, ...base });
		await this.send("Input.dispatchKeyEvent", { type: "keyUp", ...base });
	}

	async type(text) {
		await this.send("Input.insertText", { text });
	}

	async viewport(width, height) {
		await this.send("Emulation.setDeviceMetricsOverride", { width, height, deviceScaleFactor: 1, mobile: false });
	}

	// The whole page, however long, as a PNG file.
	async screenshot(file) {
		const m = await this.send("Page.getLayoutMetrics");
		const size = m.cssContentSize || m.contentSize;
		const clip = { x: 0, y: 0, width: Math.ceil(size.width), height: Math.min(Math.ceil(size.height), 8000), scale: 1 };
		const r = await this.send("Page.captureScreenshot", { format: "png", captureBeyondViewport: true, clip });
		fs.writeFileSync(file, Buffer.from(r.data, "base64"));
	}
}

function describeException(d) {
	if (!d)
		return "?";
	const e = d.exception;
	return (e && (e.description || e.value)) || d.text || "?";
}

module.exports = { Browser, findChromium, sleep, withTimeout };
