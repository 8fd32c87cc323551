/* persistd dashboard: the models of one project, live from /events, with a diagram of each
 * model and a browser for its records. Every string that comes from the server reaches the
 * page as a text node or an attribute value (el()), never as markup. */
(function () {
	"use strict";

	const SVG_NS = "http://www.w3.org/2000/svg";
	const EVENT_TYPES = [
		"model.added", "model.changed", "model.removed", "model.invalid",
		"generate.started", "generate.finished", "generate.failed",
		"store.up", "store.down",
	];
	const TOKEN_KEY = "persistd.token";

	const state = {
		token: readToken(),
		models: [], /* GET /models, in server order */
		details: new Map(), /* name -> GET /models/{m} */
		stores: new Map(), /* name -> store of GET /readyz */
		generations: new Map(), /* name -> {running, files, error, at, ok} seen on this page */
		loaded: false,
		version: null, /* "persistd 1.2.3" once GET /version answered */
		selected: null,
		view: "overview",
		data: { model: null, entity: null, offset: 0, next: null, requested: false },
		events: null,
		retry: 1000,
	};

	const $ = (id) => document.getElementById(id);

	function readToken() {
		try {
			return sessionStorage.getItem(TOKEN_KEY) || "";
		} catch (e) {
			return "";
		}
	}

	/* el("a", {href: "#x", class: "y"}, "text", child...): attributes and text nodes only. */
	function el(tag, attrs, ...children) {
		const node = document.createElement(tag);
		setAttrs(node, attrs);
		append(node, children);
		return node;
	}

	function svg(tag, attrs, ...children) {
		const node = document.createElementNS(SVG_NS, tag);
		setAttrs(node, attrs);
		append(node, children);
		return node;
	}

	function setAttrs(node, attrs) {
		for (const [k, v] of Object.entries(attrs || {}))
			if (v !== null && v !== undefined && v !== false)
				node.setAttribute(k, v === true ? "" : String(v));
	}

	function append(node, children) {
		for (const c of children.flat()) {
			if (c === null || c === undefined || c === false)
				continue;
			node.append(c instanceof Node ? c : document.createTextNode(String(c)));
		}
	}

	function clear(node) {
		node.replaceChildren();
		return node;
	}

	function fmtTime(iso) {
		if (!iso)
			return "never";
		const d = new Date(iso);
		if (Number.isNaN(d.getTime()))
			return String(iso);
		return d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
	}

	function timeEl(iso) {
		return iso ? el("time", { datetime: iso }, fmtTime(iso)) : el("span", { class: "muted" }, "never");
	}

	function plural(n, word) {
		return n + " " + word + (n === 1 ? "" : "s");
	}

	function modelHref(name, view) {
		return "#/m/" + encodeURIComponent(name) + (view && view !== "overview" ? "/" + view : "");
	}

	/* ---- HTTP ---------------------------------------------------------------------------- */

	async function api(method, path, body) {
		const token = state.token;
		const headers = { Accept: "application/json" };
		if (token)
			headers.Authorization = "Bearer " + token;
		if (body !== undefined)
			headers["Content-Type"] = "application/json";
		let res;
		try {
			res = await fetch(path, {
				method,
				headers,
				body: body === undefined ? undefined : JSON.stringify(body),
				cache: "no-store",
			});
		} catch (e) {
			return { ok: false, status: 0, data: { title: "persistd cannot be reached", detail: String(e.message || e) }, headers: new Headers() };
		}
		const text = await res.text();
		let data = null;
		if (text) {
			try {
				data = JSON.parse(text);
			} catch (e) {
				data = { title: "unexpected reply", detail: text.slice(0, 200) };
			}
		}
		/* Only when the token now in use is the refused one: a reply to a request sent
		 * before the user gave a token says nothing about the new one. */
		if (res.status === 401 && token === state.token)
			askToken(token ? "That token was not accepted." : "");
		return { ok: res.ok, status: res.status, data, headers: res.headers };
	}

	function problemText(res) {
		const p = res.data || {};
		const title = p.title || "HTTP " + res.status;
		return p.detail ? title + ": " + p.detail : title;
	}

	/* ---- token --------------------------------------------------------------------------- */

	function askToken(why) {
		const form = $("token-form");
		$("token-error").textContent = why || "";
		if (form.hidden) {
			form.hidden = false;
			$("token").focus();
		}
	}

	$("token-form").addEventListener("submit", (ev) => {
		ev.preventDefault();
		state.token = $("token").value.trim();
		try {
			sessionStorage.setItem(TOKEN_KEY, state.token);
		} catch (e) {
			/* private mode: the token lives until the page is closed */
		}
		$("token-form").hidden = true;
		$("token").value = "";
		connectEvents();
		refreshAll();
	});

	/* ---- loading ------------------------------------------------------------------------- */

	let refreshing = false;
	let again = null; /* what to refresh once the current run ends: null, or {all, names} */
	let refreshTimer = 0;
	let pending = { all: false, names: new Set() };

	/* Coalesce bursts of events (an editor's save is several) into one round of requests. */
	function scheduleRefresh(name) {
		if (name)
			pending.names.add(name);
		else
			pending.all = true;
		clearTimeout(refreshTimer);
		refreshTimer = setTimeout(() => {
			const what = pending;
			pending = { all: false, names: new Set() };
			runRefresh(what);
		}, 60);
	}

	function refreshAll() {
		scheduleRefresh(null);
	}

	async function runRefresh(what) {
		if (refreshing) {
			again = again || { all: false, names: new Set() };
			again.all = again.all || what.all;
			for (const n of what.names)
				again.names.add(n);
			return;
		}
		refreshing = true;
		try {
			await refresh(what);
		} finally {
			refreshing = false;
			if (again) {
				const next = again;
				again = null;
				runRefresh(next);
			}
		}
	}

	async function refresh(what) {
		const [list, ready] = await Promise.all([api("GET", "/models"), api("GET", "/readyz")]);
		if (!list.ok) {
			const err = $("models-error");
			err.hidden = false;
			err.textContent = list.status === 401 ? "Waiting for a token." : "Cannot list the models: " + problemText(list);
			setBusy(false);
			return;
		}
		$("models-error").hidden = true;
		state.models = Array.isArray(list.data) ? list.data : [];
		if (ready.data && Array.isArray(ready.data.models)) {
			state.stores.clear();
			for (const m of ready.data.models)
				if (m && m.store)
					state.stores.set(m.name, m.store);
		}
		const names = new Set(state.models.map((m) => m.name));
		for (const n of [...state.details.keys()])
			if (!names.has(n))
				state.details.delete(n);
		const want = state.models
			.map((m) => m.name)
			.filter((n) => what.all || what.names.has(n) || !state.details.has(n));
		const got = await Promise.all(want.map((n) => api("GET", "/models/" + encodeURIComponent(n))));
		want.forEach((n, i) => {
			if (got[i].ok && got[i].data)
				state.details.set(n, got[i].data);
		});
		state.loaded = true;
		setBusy(false);
		render();
		if (!state.version) {
			const v = await api("GET", "/version");
			if (v.ok && v.data) {
				state.version = (v.data.name || "persistd") + " " + (v.data.version || "");
				$("version").textContent = state.version;
			}
		}
	}

	function setBusy(busy) {
		document.body.setAttribute("aria-busy", busy ? "true" : "false");
	}

	/* ---- events -------------------------------------------------------------------------- */

	function setLive(s, text) {
		const live = $("live");
		live.dataset.state = s;
		live.textContent = text || s;
	}

	function connectEvents() {
		if (state.events)
			state.events.close();
		let url = "/events";
		if (state.token)
			/* "/" may stay as it is in a query; the server leaves an escaped one escaped. */
			url += "?access_token=" + encodeURIComponent(state.token).replace(/%2F/gi, "/");
		const es = new EventSource(url);
		state.events = es;
		setLive("connecting");
		es.onopen = () => {
			state.retry = 1000;
			setLive("live");
			/* Whatever happened while the stream was down. */
			refreshAll();
		};
		es.onerror = () => {
			if (state.events !== es)
				return;
			if (es.readyState === EventSource.CLOSED) {
				/* Refused (401, 503 too many streams) or gone: try again later. */
				setLive("down", "offline");
				es.close();
				setTimeout(() => {
					if (state.events === es)
						connectEvents();
				}, state.retry);
				state.retry = Math.min(state.retry * 2, 30000);
				refreshAll();
			} else {
				setLive("connecting", "reconnecting");
			}
		};
		for (const type of EVENT_TYPES)
			es.addEventListener(type, (ev) => onEvent(type, ev));
	}

	function onEvent(type, ev) {
		let data = {};
		try {
			data = JSON.parse(ev.data || "{}") || {};
		} catch (e) {
			return;
		}
		const name = typeof data.model === "string" ? data.model : null;
		if (!name)
			return refreshAll();
		const g = state.generations.get(name) || {};
		switch (type) {
		case "generate.started":
			g.running = true;
			state.generations.set(name, g);
			render();
			return;
		case "generate.finished":
			state.generations.set(name, {
				running: false,
				ok: true,
				files: Array.isArray(data.files) ? data.files : [],
				durationMs: data.durationMs,
				at: new Date().toISOString(),
			});
			break;
		case "generate.failed":
			state.generations.set(name, {
				running: false,
				ok: false,
				error: String(data.error || "generation failed"),
				at: new Date().toISOString(),
			});
			break;
		case "store.up":
		case "store.down": {
			const s = state.stores.get(name) || {};
			s.reachable = type === "store.up";
			s.error = type === "store.down" ? data.error || null : undefined;
			if (data.datastore)
				s.datastore = data.datastore;
			state.stores.set(name, s);
			render();
			break;
		}
		default:
			break;
		}
		scheduleRefresh(name);
	}

	/* ---- the model list ------------------------------------------------------------------ */

	function diagnosticItem(d) {
		let where = d.file || "";
		if (d.line)
			where += ":" + d.line + ":" + (d.column || 1);
		return el("li", { class: "diag", "data-severity": d.severity || "error" },
			where ? el("span", { class: "where" }, where) : null, where ? " " : null,
			el("span", { class: "severity" }, d.severity || "error"), " ",
			d.code ? el("span", { class: "code" }, d.code) : null, d.code ? ": " : null,
			el("span", { class: "message" }, d.message || ""));
	}

	function storeText(name, fallback) {
		const s = state.stores.get(name);
		if (!s)
			return fallback ? fallback + " (no store)" : "none";
		let t = s.datastore || fallback || "store";
		if (s.reachable === true)
			t += " · up";
		else if (s.reachable === false)
			t += " · down";
		return t;
	}

	function generationSummary(m) {
		const g = state.generations.get(m.name);
		const d = state.details.get(m.name);
		const last = d && d.lastGeneration;
		if (g && g.running)
			return el("span", { class: "badge", "data-status": "generating" }, "generating…");
		const ok = g && g.at ? g.ok : last ? last.ok : null;
		const at = m.generatedAt || (last && last.at) || null;
		const parts = [timeEl(at)];
		if (ok === false)
			parts.push(" ", el("span", { class: "error" }, "(failed)"));
		const files = g && g.files ? g.files : last && Array.isArray(last.files) ? last.files : null;
		if (files && ok !== false)
			parts.push(" · " + plural(files.length, "file"));
		return parts;
	}

	function renderModels() {
		const list = $("models");
		const focused = list.contains(document.activeElement) ? document.activeElement.getAttribute("data-focus") : null;
		clear(list);
		$("models-count").textContent = state.loaded ? "(" + state.models.length + ")" : "";
		$("models-empty").hidden = !state.loaded || state.models.length > 0;
		for (const m of state.models) {
			const d = state.details.get(m.name);
			const diags = d && Array.isArray(d.diagnostics) ? d.diagnostics : [];
			const counts = [];
			if (m.errors)
				counts.push(plural(m.errors, "error"));
			if (m.warnings)
				counts.push(plural(m.warnings, "warning"));
			const card = el("li", {
				class: "card",
				"data-model": m.name,
				"data-status": m.status,
				"aria-current": state.selected === m.name ? "true" : null,
			},
			el("div", { class: "card-head" },
				el("a", { href: modelHref(m.name), "data-focus": "model:" + m.name }, m.name),
				el("span", { class: "badge status", "data-status": m.status }, m.status)),
			el("dl", {},
				el("dt", {}, "File"), el("dd", { class: "mono" }, m.file || ""),
				el("dt", {}, "Store"), el("dd", { class: "store" }, storeText(m.name, m.datastore)),
				el("dt", {}, "Entities"), el("dd", { class: "entities" }, String(m.entities ?? 0)),
				el("dt", {}, "Generated"), el("dd", { class: "generated" }, generationSummary(m)),
				el("dt", {}, "Diagnostics"), el("dd", { class: "diag-count" }, counts.length ? counts.join(", ") : "none")));
			if (diags.length) {
				const ul = el("ul", { class: "diagnostics" });
				for (const x of diags.slice(0, 5))
					ul.append(diagnosticItem(x));
				if (diags.length > 5)
					ul.append(el("li", { class: "muted" }, "and " + (diags.length - 5) + " more"));
				card.append(ul);
			}
			list.append(card);
		}
		if (focused) {
			const again = list.querySelector('[data-focus="' + CSS.escape(focused) + '"]');
			if (again)
				again.focus();
		}
	}

	/* ---- one model ----------------------------------------------------------------------- */

	function render() {
		renderModels();
		renderDetail();
	}

	function fact(dl, term, ...value) {
		dl.append(el("dt", {}, term), el("dd", {}, ...value));
	}

	function renderDetail() {
		const name = state.selected;
		const summary = state.models.find((m) => m.name === name);
		const detail = name ? state.details.get(name) : null;
		$("nothing").hidden = !!name;
		$("detail").hidden = !name;
		if (!name)
			return;
		$("detail-h").textContent = name;
		const status = summary ? summary.status : state.loaded ? "removed" : "loading";
		const badge = $("detail-status");
		badge.textContent = status;
		badge.dataset.status = status;
		$("generate").disabled = !summary || (state.generations.get(name) || {}).running === true;

		for (const v of ["overview", "diagram", "data"]) {
			const tab = $("tab-" + v);
			tab.href = modelHref(name, v);
			if (v === state.view)
				tab.setAttribute("aria-current", "page");
			else
				tab.removeAttribute("aria-current");
			$("view-" + v).hidden = v !== state.view;
		}
		renderOverview(name, summary, detail);
		if (state.view === "diagram")
			renderDiagram(detail);
		if (state.view === "data")
			renderDataForm(name, detail);
	}

	function renderOverview(name, summary, detail) {
		const facts = clear($("facts"));
		if (!summary) {
			fact(facts, "Status", state.loaded ? "this model is gone from persist/" : "loading…");
			clear($("diagnostics"));
			return;
		}
		fact(facts, "File", el("span", { class: "mono" }, summary.file || ""));
		fact(facts, "Layout", summary.layout || "");
		fact(facts, "Status", summary.status, detail && detail.serving ? " (data served from its " + detail.serving + ")" : "");
		fact(facts, "Datastore", summary.datastore || "none bound (in-memory)");
		if (summary.targetModule)
			fact(facts, "Module", el("span", { class: "mono" }, summary.targetModule));
		const s = state.stores.get(name);
		if (s) {
			const parts = [el("span", { class: "badge", "data-state": s.reachable ? "up" : "down" }, s.reachable ? "reachable" : "unreachable")];
			if (s.connections)
				parts.push(" " + plural(s.connections.open || 0, "connection") + ", " + (s.connections.idle || 0) + " idle");
			if (!s.reachable && s.error)
				parts.push(el("div", { class: "error small" }, s.error));
			fact(facts, "Store", parts);
		}
		if (detail && Array.isArray(detail.entities))
			fact(facts, "Entities", detail.entities.length ? detail.entities.map((e) => e.name).join(", ") : "none");
		if (detail && Array.isArray(detail.enums) && detail.enums.length)
			fact(facts, "Enums", detail.enums.map((e) => e.name).join(", "));
		fact(facts, "Updated", timeEl(summary.updatedAt));
		if (detail && detail.connection && detail.connection.host)
			fact(facts, "Connection", el("span", { class: "mono" },
				detail.connection.host + (detail.connection.port ? ":" + detail.connection.port : "") +
				(detail.connection.database ? "/" + detail.connection.database : "")));

		const ul = clear($("diagnostics"));
		const diags = detail && Array.isArray(detail.diagnostics) ? detail.diagnostics : [];
		if (!diags.length)
			ul.append(el("li", { class: "muted" }, "No diagnostics."));
		for (const d of diags)
			ul.append(diagnosticItem(d));

		const g = state.generations.get(name);
		const last = detail && detail.lastGeneration;
		const p = clear($("generation"));
		const files = clear($("generation-files"));
		if (g && g.running) {
			p.append("Generating…");
		} else if (g && g.at) {
			p.append(g.ok ? "Succeeded " : "Failed ", timeEl(g.at));
			if (g.ok && g.durationMs !== undefined)
				p.append(" in " + g.durationMs + " ms");
			if (!g.ok)
				p.append(el("div", { class: "error" }, g.error || ""));
		} else if (last) {
			p.append(last.ok ? "Succeeded " : "Failed ", timeEl(last.at));
			if (!last.ok && last.error)
				p.append(el("div", { class: "error" }, last.error));
		} else if (summary.generatedAt) {
			p.append("Generated ", timeEl(summary.generatedAt));
		} else {
			p.append(summary.datastore ? "Not generated yet." : "Not generated: the model has no [[tool.persist]] binding.");
		}
		const list = g && g.files ? g.files : last && Array.isArray(last.files) ? last.files : null;
		if (list)
			for (const f of list)
				files.append(fileItem(f));
		else if (summary.generatedAt && !(g && g.running))
			files.append(el("li", { class: "muted" }, "The files are listed after the next generation."));
	}

	function fileItem(f) {
		const tags = [];
		if (f.changed)
			tags.push("changed");
		else if (f.changed === false)
			tags.push("unchanged");
		if (f.kept)
			tags.push("kept");
		return el("li", {}, f.path || "",
			el("span", { class: "tag" }, (f.bytes !== undefined ? f.bytes + " bytes" : "") + (tags.length ? ", " + tags.join(", ") : "")));
	}

	/* ---- generate ------------------------------------------------------------------------ */

	$("generate").addEventListener("click", async () => {
		const name = state.selected;
		if (!name)
			return;
		const out = clear($("generate-result"));
		out.removeAttribute("data-ok");
		out.append("Generating ", name, "…");
		$("generate").disabled = true;
		const res = await api("POST", "/models/" + encodeURIComponent(name) + "/generate");
		clear(out);
		$("generate").disabled = false;
		if (state.selected !== name)
			return;
		out.dataset.ok = res.ok ? "true" : "false";
		if (res.ok) {
			const files = Array.isArray(res.data.files) ? res.data.files : [];
			const changed = files.filter((f) => f.changed).length;
			out.append("Generated " + plural(files.length, "file") + " (" + changed + " changed) in " + (res.data.durationMs ?? "?") + " ms.");
			const ul = el("ul", { class: "files" });
			for (const f of files)
				ul.append(fileItem(f));
			out.append(ul);
			state.generations.set(name, { running: false, ok: true, files, durationMs: res.data.durationMs, at: new Date().toISOString() });
		} else {
			out.append(problemText(res));
			const diags = res.data && Array.isArray(res.data.diagnostics) ? res.data.diagnostics : [];
			if (diags.length) {
				const ul = el("ul", { class: "diagnostics" });
				for (const d of diags)
					ul.append(diagnosticItem(d));
				out.append(ul);
			}
		}
		scheduleRefresh(name);
	});

	/* ---- diagram ------------------------------------------------------------------------- */

	/* Relations are listed on both of their entities: keep one of each. */
	function uniqueRelations(entities) {
		const seen = new Map();
		for (const e of entities)
			for (const r of e.relations || []) {
				const k = [r.owner, r.ownerField, r.references, r.referenceField].join("\u0000");
				if (!seen.has(k))
					seen.set(k, r);
			}
		return [...seen.values()];
	}

	/* Related entities next to each other: breadth first from each unplaced entity. */
	function layoutOrder(entities, relations) {
		const adj = new Map(entities.map((e) => [e.name, []]));
		for (const r of relations) {
			if (adj.has(r.owner) && adj.has(r.references)) {
				adj.get(r.owner).push(r.references);
				adj.get(r.references).push(r.owner);
			}
		}
		const order = [];
		const seen = new Set();
		for (const e of entities) {
			if (seen.has(e.name))
				continue;
			const queue = [e.name];
			seen.add(e.name);
			while (queue.length) {
				const n = queue.shift();
				order.push(n);
				for (const m of adj.get(n))
					if (!seen.has(m)) {
						seen.add(m);
						queue.push(m);
					}
			}
		}
		return order;
	}

	const CHAR_W = 7.3, LINE_H = 18, HEAD_H = 26, PAD = 10, GAP_X = 130, GAP_Y = 70, MARGIN = 20;

	/* Where the segment from the centre of box b towards (x, y) leaves the box. */
	function exitPoint(b, x, y) {
		const cx = b.x + b.w / 2, cy = b.y + b.h / 2;
		const dx = x - cx, dy = y - cy;
		if (dx === 0 && dy === 0)
			return [cx, cy];
		const sx = dx ? (b.w / 2) / Math.abs(dx) : Infinity;
		const sy = dy ? (b.h / 2) / Math.abs(dy) : Infinity;
		const s = Math.min(sx, sy);
		return [cx + dx * s, cy + dy * s];
	}

	function cardinality(r) {
		if (r.kind === "one-to-one")
			return ["0..1", "1"];
		if (r.kind === "many-to-many")
			return ["*", "*"];
		return ["*", "1"]; /* one-to-many: many owners (they hold the key) per referenced record */
	}

	/* Rows and columns: a row for one or two entities, a grid for many. */
	function placeOnGrid(list) {
		const colW = [], rowH = [];
		for (const b of list) {
			colW[b.col] = Math.max(colW[b.col] || 0, b.w);
			rowH[b.row] = Math.max(rowH[b.row] || 0, b.h);
		}
		const colX = [], rowY = [];
		colW.reduce((x, w, i) => ((colX[i] = x), x + w + GAP_X), 0);
		rowH.reduce((y, h, i) => ((rowY[i] = y), y + h + GAP_Y), 0);
		for (const b of list) {
			b.x = colX[b.col] + (colW[b.col] - b.w) / 2;
			b.y = rowY[b.row];
		}
	}

	/* Around an ellipse, in breadth-first order so related entities are neighbours: a line
	 * between two boxes then crosses the middle instead of a third box. The ellipse grows
	 * until no two boxes (with a gap around them) overlap. */
	function placeOnEllipse(list) {
		const n = list.length;
		const overlap = (a, b) => a.x < b.x + b.w + GAP_X / 2 && b.x < a.x + a.w + GAP_X / 2 &&
			a.y < b.y + b.h + GAP_Y / 2 && b.y < a.y + a.h + GAP_Y / 2;
		let rx = Math.max(...list.map((b) => b.w)) / 2, ry = Math.max(...list.map((b) => b.h)) / 2;
		for (let round = 0; round < 60; round++) {
			list.forEach((b, i) => {
				const t = -Math.PI / 2 + (2 * Math.PI * i) / n;
				b.x = rx * Math.cos(t) - b.w / 2;
				b.y = ry * Math.sin(t) - b.h / 2;
			});
			let clash = false;
			for (let i = 0; i < n && !clash; i++)
				for (let j = i + 1; j < n && !clash; j++)
					clash = overlap(list[i], list[j]);
			if (!clash)
				return;
			rx *= 1.12;
			ry *= 1.12;
		}
	}

	function renderDiagram(detail) {
		const box = clear($("diagram"));
		const rels = clear($("relations"));
		const entities = detail && Array.isArray(detail.entities) ? detail.entities : [];
		if (!entities.length) {
			box.append(el("p", { class: "muted small" }, detail ? "This model has no entities." : "Loading…"));
			return;
		}
		const relations = uniqueRelations(entities);
		const byName = new Map(entities.map((e) => [e.name, e]));
		const order = layoutOrder(entities, relations);
		const cols = Math.max(1, Math.ceil(Math.sqrt(order.length)));

		/* Box sizes from their text, then a grid with per-column widths and per-row heights. */
		const boxes = new Map();
		order.forEach((n, i) => {
			const e = byName.get(n);
			const keys = new Set(e.keys || []);
			const lines = (e.fields || []).map((f) => ({
				text: f.name + ": " + f.type,
				key: keys.has(f.name),
				rel: !!f.relation,
			}));
			const longest = Math.max(e.name.length, ...lines.map((l) => l.text.length + 3));
			boxes.set(n, {
				e, lines, col: i % cols, row: Math.floor(i / cols),
				w: Math.max(150, Math.ceil(longest * CHAR_W) + 2 * PAD),
				h: HEAD_H + lines.length * LINE_H + PAD,
			});
		});
		const list = [...boxes.values()];
		if (list.length >= 3 && list.length <= 10)
			placeOnEllipse(list);
		else
			placeOnGrid(list);
		/* Shift everything into view; room on the right for a self-relation's loop. */
		const minX = Math.min(...list.map((b) => b.x)), minY = Math.min(...list.map((b) => b.y));
		for (const b of list) {
			b.x += MARGIN - minX;
			b.y += MARGIN - minY;
		}
		const width = Math.max(...list.map((b) => b.x + b.w)) + MARGIN + 40;
		const height = Math.max(...list.map((b) => b.y + b.h)) + MARGIN;

		const titleId = "diagram-title";
		const root = svg("svg", {
			xmlns: SVG_NS, width, height, viewBox: "0 0 " + width + " " + height,
			role: "img", "aria-labelledby": titleId,
		}, svg("title", { id: titleId }, "Entities and relations of model " + detail.name));

		const edges = svg("g", { class: "edges" });
		for (const r of relations) {
			const a = boxes.get(r.owner), b = boxes.get(r.references);
			if (!a || !b)
				continue;
			const [ca, cb] = cardinality(r);
			const g = svg("g", { class: "relation", "data-owner": r.owner, "data-references": r.references });
			if (a === b) {
				/* A relation of an entity to itself: a loop on its right side. */
				const x = a.x + a.w, y = a.y + HEAD_H / 2;
				g.append(svg("path", { class: "edge", d: `M ${x} ${y} h 30 v 30 h -30` }),
					svg("text", { class: "edge-label", x: x + 34, y: y + 18 }, r.ownerField || ""));
			} else {
				const [x1, y1] = exitPoint(a, b.x + b.w / 2, b.y + b.h / 2);
				const [x2, y2] = exitPoint(b, a.x + a.w / 2, a.y + a.h / 2);
				g.append(svg("line", { class: "edge", x1, y1, x2, y2 }));
				/* Cardinalities 14 px from each end, the owner's field name in the middle,
				 * all a little off the line. */
				const len = Math.hypot(x2 - x1, y2 - y1) || 1;
				const ux = (x2 - x1) / len, uy = (y2 - y1) / len;
				const at = (d, side) => ({ x: x1 + ux * d + uy * side, y: y1 + uy * d - ux * side + 4 });
				const p1 = at(14, -9), p2 = at(len - 14, -9), pm = at(len / 2, -9);
				g.append(svg("text", { class: "edge-label card", x: p1.x, y: p1.y, "text-anchor": "middle" }, ca),
					svg("text", { class: "edge-label card", x: p2.x, y: p2.y, "text-anchor": "middle" }, cb),
					svg("text", { class: "edge-label", x: pm.x, y: pm.y, "text-anchor": "middle" }, r.ownerField || ""));
			}
			edges.append(g);
			rels.append(el("li", {},
				el("span", { class: "mono" }, r.owner + "." + (r.ownerField || "?")), " → ",
				el("span", { class: "mono" }, r.references + (r.referenceField ? "." + r.referenceField : "")),
				" (" + r.kind + (r.keys && r.keys.length ? ", key " + r.keys.map((k) => k.field + " → " + k.references).join(", ") : "") + ")"));
		}
		if (!relations.length)
			rels.append(el("li", { class: "muted" }, "No relations."));
		root.append(edges);

		for (const b of boxes.values()) {
			const g = svg("g", { class: "entity", "data-entity": b.e.name, transform: `translate(${b.x},${b.y})` },
				svg("rect", { class: "box", width: b.w, height: b.h, rx: 6 }),
				svg("path", { class: "box-head", d: `M 0 6 a 6 6 0 0 1 6 -6 h ${b.w - 12} a 6 6 0 0 1 6 6 v ${HEAD_H - 6} h ${-b.w} z` }),
				svg("text", { class: "title", x: PAD, y: 17 }, b.e.name));
			b.lines.forEach((l, i) => {
				const y = HEAD_H + 13 + i * LINE_H;
				if (l.key)
					g.append(svg("text", { class: "pk", x: PAD, y }, "PK"));
				g.append(svg("text", {
					class: "field" + (l.key ? " key" : "") + (l.rel ? " rel" : ""),
					x: PAD + 3 * CHAR_W, y,
				}, l.text));
			});
			root.append(g);
		}
		box.append(root);
	}

	/* ---- data ---------------------------------------------------------------------------- */

	function dataEntities(detail) {
		return detail && Array.isArray(detail.entities) ? detail.entities.filter((e) => e.resource) : [];
	}

	function renderDataForm(name, detail) {
		const sel = $("data-entity");
		const entities = dataEntities(detail);
		const store = state.stores.get(name);
		const why = $("data-unavailable");
		why.hidden = !!store && entities.length > 0;
		why.textContent = !store ? "This model has no store to browse." : entities.length ? "" : "This model has no entities.";
		$("data-form").hidden = !why.hidden;
		if (state.data.model !== name) {
			state.data = { model: name, entity: null, offset: 0, next: null, requested: false };
			clear($("data-table").tHead);
			clear($("data-table").tBodies[0]);
			$("data-status").textContent = "";
			$("data-prev").disabled = $("data-next").disabled = true;
		}
		const current = sel.value || state.data.entity;
		const names = entities.map((e) => e.name);
		if (sel.options.length !== names.length || [...sel.options].some((o, i) => o.value !== names[i])) {
			clear(sel);
			for (const e of entities)
				sel.append(el("option", { value: e.name }, e.name + " (" + e.resource + ")"));
		}
		if (names.includes(current))
			sel.value = current;
		/* The first visit to a model's data shows its first entity's first page. */
		if (!state.data.requested && sel.value) {
			state.data.requested = true;
			loadData(0);
		}
	}

	function dataQuery(offset) {
		const parts = ["limit=" + encodeURIComponent($("data-limit").value), "offset=" + offset];
		const order = $("data-order").value.trim();
		if (order)
			parts.push("order=" + encodeURIComponent(order));
		for (const term of $("data-filter").value.split("&")) {
			const t = term.trim();
			if (!t)
				continue;
			const i = t.indexOf("=");
			if (i <= 0)
				throw new Error("'" + t + "' is not field=op.value");
			parts.push(encodeURIComponent(t.slice(0, i).trim()) + "=" + encodeURIComponent(t.slice(i + 1).trim()));
		}
		return parts.join("&");
	}

	function cellText(v) {
		if (v === null || v === undefined)
			return null;
		if (typeof v === "object")
			return JSON.stringify(v);
		return String(v);
	}

	async function loadData(offset) {
		const name = state.selected;
		const detail = state.details.get(name);
		const entity = dataEntities(detail).find((e) => e.name === $("data-entity").value);
		const status = $("data-status");
		if (!entity)
			return;
		let qs;
		try {
			qs = dataQuery(offset);
		} catch (e) {
			status.textContent = "Filter: " + e.message;
			return;
		}
		status.textContent = "Loading…";
		const res = await api("GET", "/models/" + encodeURIComponent(name) + "/data/" + encodeURIComponent(entity.resource) + "?" + qs);
		if (state.selected !== name)
			return;
		const table = $("data-table");
		const head = clear(table.tHead);
		const body = clear(table.tBodies[0]);
		state.data.entity = entity.name;
		if (!res.ok || !Array.isArray(res.data)) {
			status.textContent = problemText(res);
			$("data-prev").disabled = $("data-next").disabled = true;
			return;
		}
		const rows = res.data;
		const next = res.headers.get("X-Next-Offset");
		state.data.offset = offset;
		state.data.next = next !== null && /^\d+$/.test(next) ? Number(next) : null;

		/* Columns: the entity's own fields in model order, then anything else the rows carry. */
		const cols = (entity.fields || []).filter((f) => !f.relation).map((f) => f.name);
		for (const r of rows)
			for (const k of Object.keys(r))
				if (!cols.includes(k))
					cols.push(k);
		const tr = el("tr");
		for (const c of cols)
			tr.append(el("th", { scope: "col" }, c));
		head.append(tr);
		for (const r of rows) {
			const row = el("tr");
			for (const c of cols) {
				const t = cellText(r[c]);
				row.append(t === null ? el("td", { class: "null" }, "null") : el("td", { title: t.length > 40 ? t : null }, t));
			}
			body.append(row);
		}
		status.textContent = rows.length
			? "Records " + (offset + 1) + "–" + (offset + rows.length) + (state.data.next !== null ? " (more on the next page)" : "")
			: offset ? "No more records." : "No records.";
		$("data-prev").disabled = offset === 0;
		$("data-next").disabled = state.data.next === null;
	}

	$("data-form").addEventListener("submit", (ev) => {
		ev.preventDefault();
		loadData(0);
	});
	$("data-entity").addEventListener("change", () => loadData(0));
	$("data-prev").addEventListener("click", () => {
		const limit = Number($("data-limit").value) || 25;
		loadData(Math.max(0, state.data.offset - limit));
	});
	$("data-next").addEventListener("click", () => {
		if (state.data.next !== null)
			loadData(state.data.next);
	});

	/* ---- routing: #/m/<model>[/diagram|/data] -------------------------------------------- */

	function route(userAction) {
		const m = /^#\/m\/([^/]+)(?:\/(overview|diagram|data))?$/.exec(location.hash);
		const before = state.selected;
		state.selected = m ? decodeURIComponent(m[1]) : null;
		state.view = m && m[2] ? m[2] : "overview";
		render();
		if (state.selected !== before)
			clear($("generate-result"));
		if (userAction && state.selected && state.selected !== before)
			$("detail-h").focus();
	}

	$("detail-h").setAttribute("tabindex", "-1");
	window.addEventListener("hashchange", () => route(true));

	/* ---- start --------------------------------------------------------------------------- */

	setBusy(true);
	route(false);
	connectEvents();
	refreshAll();
})();
