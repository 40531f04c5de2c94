/* The annotation page: loads the lease's task, lets the person draw with touch, pen or mouse,
   and submits the regions in pixels of the stored picture. Works without Telegram; inside
   Telegram it signs every request with initData and uses the theme, MainButton and BackButton. */
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const Tools = window.TapmarkTools;
  const TAP_PX = 8;

  const state = {
    auth: null, lease: "", task: null, image: 0, regions: [], nextId: 1, selected: null,
    tool: null, label: null, past: [], future: [], draft: null, views: {}, busy: false,
    locked: false, tg: null,
  };

  /* ---- the server ---- */

  function authHeader() {
    return state.auth.kind === "tma" ? "tma " + state.auth.initData : "Link " + state.auth.link;
  }

  async function api(path, body) {
    const init = { headers: { Authorization: authHeader() }, cache: "no-store" };
    if (body !== undefined) {
      init.method = "POST";
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(Object.assign({ lease: state.lease }, body));
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (e) {
      return { error: "The server cannot be reached. Check the connection and try again." };
    }
    let data;
    try {
      data = await response.json();
    } catch (e) {
      return { error: "The server answered something unexpected (" + response.status + ")." };
    }
    if (!response.ok && !data.error) data.error = "Refused (" + response.status + ").";
    return data;
  }

  function say(text, kind) {
    const box = $("message");
    box.textContent = text || "";
    box.className = kind || "";
    box.hidden = !text;
  }

  async function outcome(data) {
    if (data.error) {
      say(data.error, "error");
      if (data.kind === "expired" || data.kind === "not_yours" || data.kind === "auth"
          || data.kind === "gone" || data.kind === "unknown") lock(true);
      return;
    }
    if (data.done) {
      state.task = null;
      say(data.done, "done");
      lock(true);
      document.body.classList.add("finished");
      return;
    }
    show(data.task);
  }

  async function send(path, body) {
    if (state.busy || state.locked) return;
    state.busy = true;
    document.body.classList.add("busy");
    try {
      await outcome(await api(path, body));
    } finally {
      state.busy = false;
      document.body.classList.remove("busy");
    }
  }

  function round(v) { return Math.round(v * 10) / 10; }

  function answer() {
    return { regions: state.regions.map((r) => {
      const out = { image: r.image, label: r.label, type: r.type };
      const coords = Tools.get(r.type).json(r);
      for (const [k, v] of Object.entries(coords)) {
        out[k] = Array.isArray(v) ? v.map((q) => [round(q[0]), round(q[1])]) : round(v);
      }
      return out;
    }) };
  }

  const submit = () => send("api/submit", { answer: answer() });
  const skip = () => send("api/skip", {});
  const report = () => {
    if (state.task && state.task.review) {
      /* QA: the correction becomes the result and the item a gold question. */
      send("api/submit", { answer: Object.assign(answer(), { gold: true }) });
      return;
    }
    const reason = window.prompt("What is wrong with this item?", "");
    if (reason !== null) send("api/report", { reason: reason });
  };

  /* ---- showing a task ---- */

  function lock(on) {
    state.locked = on;
    document.body.classList.toggle("locked", on);
    for (const id of ["submit", "skip", "report"]) $(id).disabled = on;
    if (state.tg) on ? state.tg.MainButton.hide() : state.tg.MainButton.show();
  }

  function show(task) {
    state.task = task;
    state.lease = task.lease;
    if (task.link) {
      state.auth.link = task.link;
      const url = new URL(location.href);
      url.searchParams.set("t", task.link);
      url.searchParams.set("lease", task.lease);
      history.replaceState(null, "", url.toString());
    }
    state.image = 0;
    state.views = {};
    state.past = [];
    state.future = [];
    state.draft = null;
    state.selected = null;
    state.nextId = 1;
    state.regions = (task.pre || []).map((r) => Object.assign({ id: state.nextId++ },
      r.type === "box" ? { x: r.x, y: r.y, w: r.w, h: r.h } : {},
      r.type === "point" ? { x: r.x, y: r.y } : {},
      r.type === "polygon" ? { points: r.points.map((q) => q.slice()) } : {},
      { image: r.image || 0, label: r.label, type: r.type }));
    $("prompt").textContent = task.prompt || "";
    $("progress").textContent = task.total ? (task.done + 1) + " / " + task.total : "";
    const texts = $("texts");
    texts.replaceChildren();
    for (const [name, text] of task.texts || []) {
      const row = document.createElement("p");
      const b = document.createElement("b");
      b.textContent = name + ": ";
      const span = document.createElement("span");
      span.textContent = text;
      row.append(b, span);
      texts.appendChild(row);
    }
    (task.layers || []).forEach(([name], k) => {
      const row = document.createElement("p");
      const swatch = document.createElement("span");
      swatch.className = "swatch c" + (k % 8);
      const who = document.createElement("span");
      who.textContent = name;
      row.append(swatch, who);
      row.className = "legend";
      texts.appendChild(row);
    });
    texts.hidden = !(task.texts || []).length && !(task.layers || []).length;
    $("report").textContent = task.review ? "Submit as gold" : "Report";
    $("skip").hidden = Boolean(task.review);
    buildTools();
    lock(false);
    say(task.note || "", task.note ? "note" : "");
    showImage(0);
  }

  function buildTools() {
    const shapes = state.task.rules.shapes;
    const bar = $("tools");
    bar.replaceChildren();
    for (const shape of shapes) {
      const tool = Tools.get(shape);
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = tool.title;
      b.dataset.tool = shape;
      b.addEventListener("click", () => chooseTool(shape));
      bar.appendChild(b);
    }
    bar.hidden = shapes.length < 2;
    chooseTool(shapes.includes(state.tool) ? state.tool : shapes[0]);
  }

  function labelsFor(shape) {
    const rules = state.task.rules;
    return shape === "point" && rules.points ? rules.points : rules.labels;
  }

  function chooseTool(shape) {
    state.tool = shape;
    state.draft = null;
    state.selected = null;
    for (const b of $("tools").children) b.setAttribute("aria-pressed", b.dataset.tool === shape);
    const labels = labelsFor(shape);
    if (!labels.includes(state.label)) state.label = labels[0];
    buildLabels();
    render();
  }

  function buildLabels() {
    const bar = $("labels");
    bar.replaceChildren();
    for (const label of labelsFor(state.tool)) {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = label;
      b.dataset.label = label;
      b.setAttribute("role", "radio");
      b.setAttribute("aria-checked", label === state.label);
      b.addEventListener("click", () => chooseLabel(label));
      bar.appendChild(b);
    }
  }

  function chooseLabel(label) {
    state.label = label;
    for (const b of $("labels").children) b.setAttribute("aria-checked", b.dataset.label === label);
    const r = selectedRegion();
    if (r && r.label !== label && labelsFor(r.type).includes(label)) {
      change(() => { r.label = label; });
    }
  }

  function showImage(index) {
    state.image = index;
    state.draft = null;
    state.selected = null;
    const info = state.task.images[index];
    const img = $("picture");
    img.width = info.width;
    img.height = info.height;
    img.style.width = info.width + "px";
    img.style.height = info.height + "px";
    img.src = info.url;
    const svg = $("overlay");
    svg.setAttribute("viewBox", "0 0 " + info.width + " " + info.height);
    svg.setAttribute("width", info.width);
    svg.setAttribute("height", info.height);
    const many = state.task.images.length > 1;
    $("images").hidden = !many;
    $("image-number").textContent = "Picture " + (index + 1) + " of " + state.task.images.length;
    $("prev-image").disabled = index === 0;
    $("next-image").disabled = index === state.task.images.length - 1;
    if (!state.views[index]) fit();
    else applyView();
    render();
  }

  /* ---- the view: image pixels <-> screen ---- */

  function view() { return state.views[state.image]; }

  function fit() {
    const info = state.task.images[state.image];
    const stage = $("stage").getBoundingClientRect();
    const s = Math.min(stage.width / info.width, stage.height / info.height);
    state.views[state.image] = { s: s, fit: s, tx: (stage.width - info.width * s) / 2,
                                 ty: (stage.height - info.height * s) / 2 };
    applyView();
  }

  function applyView() {
    const v = view();
    $("world").style.transform = "translate(" + v.tx + "px," + v.ty + "px) scale(" + v.s + ")";
    render();
  }

  function toImage(clientX, clientY) {
    const stage = $("stage").getBoundingClientRect();
    const v = view();
    return { x: (clientX - stage.left - v.tx) / v.s, y: (clientY - stage.top - v.ty) / v.s };
  }

  const ctx = {
    screenPx(n) { return n / view().s; },
    get rules() { return state.task.rules; },
  };

  function zoomAt(clientX, clientY, s) {
    const v = view();
    const stage = $("stage").getBoundingClientRect();
    const ns = Math.min(Math.max(s, v.fit * 0.5), v.fit * 20);
    const px = (clientX - stage.left - v.tx) / v.s, py = (clientY - stage.top - v.ty) / v.s;
    v.tx = clientX - stage.left - px * ns;
    v.ty = clientY - stage.top - py * ns;
    v.s = ns;
    applyView();
  }

  /* ---- editing, with undo ---- */

  function snapshot() { return JSON.stringify(state.regions); }

  function change(edit) {
    const before = snapshot();
    edit();
    if (snapshot() !== before) {
      state.past.push(before);
      state.future = [];
    }
    render();
  }

  function undo() {
    if (state.draft && Tools.get(state.tool).undoStep) {
      state.draft = Tools.get(state.tool).undoStep(state.draft);
      render();
      return;
    }
    if (!state.past.length) return;
    state.future.push(snapshot());
    state.regions = JSON.parse(state.past.pop());
    state.selected = null;
    render();
  }

  function redo() {
    if (!state.future.length) return;
    state.past.push(snapshot());
    state.regions = JSON.parse(state.future.pop());
    state.selected = null;
    render();
  }

  function selectedRegion() { return state.regions.find((r) => r.id === state.selected); }

  function remove() {
    if (state.draft) { state.draft = null; render(); return; }
    const r = selectedRegion();
    if (!r) return;
    change(() => { state.regions = state.regions.filter((q) => q.id !== r.id); });
    state.selected = null;
    render();
  }

  function add(shape) {
    const info = state.task.images[state.image];
    const tool = Tools.get(shape.type);
    const r = tool.clamp(Object.assign({ id: state.nextId++, image: state.image,
                                         label: state.label }, shape), info.width, info.height);
    change(() => { state.regions.push(r); });
    state.selected = r.id;
    render();
  }

  /* ---- drawing the overlay ---- */

  function render() {
    const svg = $("overlay");
    if (!state.task || !view()) return;
    svg.replaceChildren();
    const labels = state.task.rules.labels.concat(state.task.rules.points || []);
    (state.task.layers || []).forEach(([, drawn], k) => {
      /* QA: what each annotator drew, read-only, in their own colour, under the result. */
      for (const r of drawn) {
        if ((r.image || 0) !== state.image) continue;
        const g = Tools.svg("g", { class: "layer c" + (k % 8) });
        Tools.get(r.type).draw(ctx, r, g);
        svg.appendChild(g);
      }
    });
    for (const r of state.regions) {
      if (r.image !== state.image) continue;
      const g = Tools.svg("g", { class: "region c" + (labels.indexOf(r.label) % 8)
        + (r.id === state.selected ? " selected" : ""), "data-rid": r.id });
      Tools.get(r.type).draw(ctx, r, g);
      const [lx, ly] = r.type === "polygon" ? r.points[0] : [r.x, r.y];
      const tag = Tools.svg("text", { x: lx, y: ly - ctx.screenPx(4), class: "tag",
                                      "font-size": ctx.screenPx(13) });
      tag.textContent = r.label;
      g.appendChild(tag);
      svg.appendChild(g);
    }
    const r = selectedRegion();
    if (r && r.image === state.image) {
      for (const h of Tools.get(r.type).handles(r)) {
        svg.appendChild(Tools.svg("circle", { cx: h.x, cy: h.y, r: ctx.screenPx(14),
                                              class: "handle-hit", "data-handle": h.name }));
        svg.appendChild(Tools.svg("circle", { cx: h.x, cy: h.y, r: ctx.screenPx(6),
                                              class: "handle", "data-handle": h.name }));
      }
    }
    if (state.draft) {
      const layer = Tools.svg("g", { class: "drafting" });
      Tools.get(state.tool).drawDraft(ctx, state.draft, layer);
      svg.appendChild(layer);
    }
    $("undo").disabled = !state.past.length && !state.draft;
    $("redo").disabled = !state.future.length;
    $("delete").disabled = !r && !state.draft;
    $("stage").dataset.regions = String(state.regions.length);
    if (state.tg) {
      const back = state.tg.BackButton;
      r || state.draft ? back.show() : back.hide();
    }
  }

  /* ---- gestures: one pointer draws or edits; two pinch and pan ---- */

  const pointers = new Map();
  let gesture = null;

  function onDown(ev) {
    if (!state.task || state.locked) return;
    ev.preventDefault();
    $("stage").setPointerCapture(ev.pointerId);
    pointers.set(ev.pointerId, { x: ev.clientX, y: ev.clientY });
    if (pointers.size === 2) {
      if (gesture && gesture.before !== undefined) state.regions = JSON.parse(gesture.before);
      if (gesture && gesture.kind === "draw" && !Tools.get(state.tool).tapsOnly) state.draft = null;
      const [a, b] = [...pointers.values()];
      const v = view();
      gesture = { kind: "pinch", d0: Math.hypot(a.x - b.x, a.y - b.y) || 1, s0: v.s,
                  mid: toImage((a.x + b.x) / 2, (a.y + b.y) / 2) };
      render();
      return;
    }
    if (pointers.size > 2) return;
    const p = toImage(ev.clientX, ev.clientY);
    const start = { x: ev.clientX, y: ev.clientY, p: p };
    const target = ev.target.closest ? ev.target : null;
    const handle = target && target.getAttribute && target.getAttribute("data-handle");
    const group = target && target.closest && target.closest("[data-rid]");
    if (handle !== null && handle !== undefined && selectedRegion()) {
      gesture = { kind: "resize", start: start, handle: handle, before: snapshot(),
                  origin: JSON.parse(JSON.stringify(selectedRegion())) };
    } else if (group && !state.draft) {
      state.selected = Number(group.getAttribute("data-rid"));
      const r = selectedRegion();
      if (labelsFor(r.type).includes(r.label)) {
        state.label = r.label;
        for (const b of $("labels").children) b.setAttribute("aria-checked", b.dataset.label === r.label);
      }
      gesture = { kind: "move", start: start, before: snapshot(),
                  origin: JSON.parse(JSON.stringify(r)) };
      render();
    } else {
      gesture = { kind: "draw", start: start, moved: false };
    }
  }

  function onMove(ev) {
    if (!pointers.has(ev.pointerId)) return;
    ev.preventDefault();
    pointers.set(ev.pointerId, { x: ev.clientX, y: ev.clientY });
    if (!gesture) return;
    if (gesture.kind === "pinch") {
      if (pointers.size < 2) return;
      const [a, b] = [...pointers.values()];
      const v = view();
      const stage = $("stage").getBoundingClientRect();
      const ns = Math.min(Math.max(gesture.s0 * Math.hypot(a.x - b.x, a.y - b.y) / gesture.d0,
                                   v.fit * 0.5), v.fit * 20);
      v.s = ns;
      v.tx = (a.x + b.x) / 2 - stage.left - gesture.mid.x * ns;
      v.ty = (a.y + b.y) / 2 - stage.top - gesture.mid.y * ns;
      applyView();
      return;
    }
    const s = gesture.start;
    if (Math.hypot(ev.clientX - s.x, ev.clientY - s.y) >= TAP_PX) gesture.moved = true;
    if (!gesture.moved) return;
    const p = toImage(ev.clientX, ev.clientY);
    const info = state.task.images[state.image];
    if (gesture.kind === "resize" || gesture.kind === "move") {
      const o = gesture.origin;
      const tool = Tools.get(o.type);
      const next = gesture.kind === "resize" ? tool.resize(o, gesture.handle, p)
        : tool.move(o, p.x - s.p.x, p.y - s.p.y);
      const fitted = tool.clamp(next, info.width, info.height);
      const i = state.regions.findIndex((r) => r.id === o.id);
      state.regions[i] = fitted;
      render();
    } else if (gesture.kind === "draw") {
      const tool = Tools.get(state.tool);
      if (tool.tapsOnly) return;
      if (!state.draft) state.draft = tool.start(ctx, s.p);
      tool.drag(ctx, state.draft, { x: Math.min(Math.max(p.x, 0), info.width),
                                    y: Math.min(Math.max(p.y, 0), info.height) });
      render();
    }
  }

  function onUp(ev) {
    if (!pointers.has(ev.pointerId)) return;
    pointers.delete(ev.pointerId);
    const g = gesture;
    if (!g) return;
    if (g.kind === "pinch") {
      if (pointers.size === 0) gesture = null;
      return;
    }
    gesture = null;
    if (ev.type === "pointercancel") {
      if (g.before !== undefined) state.regions = JSON.parse(g.before);
      if (!Tools.get(state.tool).tapsOnly) state.draft = null;
      render();
      return;
    }
    if (g.kind === "resize" || g.kind === "move") {
      if (g.moved && snapshot() !== g.before) {
        state.past.push(g.before);
        state.future = [];
      }
      render();
      return;
    }
    const tool = Tools.get(state.tool);
    const p = g.start.p;
    const info = state.task.images[state.image];
    const inside = p.x >= 0 && p.y >= 0 && p.x <= info.width && p.y <= info.height;
    if (tool.tapsOnly) {
      if (g.moved || !inside) return;
      state.selected = null;
      const step = tool.tap(ctx, state.draft, p);
      state.draft = step.draft || null;
      if (step.done) add(step.done);
      else render();
      return;
    }
    if (!g.moved) {
      state.selected = null;
      render();
      return;
    }
    const done = state.draft ? tool.finish(ctx, state.draft, false) : null;
    state.draft = null;
    if (done) add(done);
    else render();
  }

  function onWheel(ev) {
    if (!state.task) return;
    ev.preventDefault();
    zoomAt(ev.clientX, ev.clientY, view().s * Math.exp(-ev.deltaY / 300));
  }

  /* ---- Telegram, when the page runs inside it ---- */

  function theme(tg) {
    const params = tg.themeParams || {};
    const root = document.documentElement.style;
    for (const [key, value] of Object.entries(params)) {
      if (typeof value === "string" && /^#[0-9a-fA-F]{3,8}$/.test(value)) {
        root.setProperty("--tg-" + key.replace(/_/g, "-"), value);
      }
    }
    document.documentElement.classList.toggle("dark", tg.colorScheme === "dark");
  }

  function useTelegram(tg) {
    state.tg = tg;
    document.body.classList.add("in-telegram");
    tg.ready();
    if (tg.expand) tg.expand();
    theme(tg);
    if (tg.onEvent) tg.onEvent("themeChanged", () => theme(tg));
    tg.MainButton.setText("Submit");
    tg.MainButton.onClick(submit);
    tg.MainButton.show();
    tg.BackButton.onClick(() => {
      if (state.draft) state.draft = null;
      else state.selected = null;
      render();
    });
  }

  function loadTelegram() {
    const src = document.querySelector('meta[name="tapmark-telegram-js"]').content;
    if (!location.hash.includes("tgWebAppData") || !src) return Promise.resolve(null);
    return new Promise((resolve) => {
      const script = document.createElement("script");
      script.src = src;
      script.onload = () => resolve(window.Telegram && window.Telegram.WebApp || null);
      script.onerror = () => resolve(null);
      document.head.appendChild(script);
    });
  }

  /* ---- start ---- */

  async function start() {
    const stage = $("stage");
    stage.addEventListener("pointerdown", onDown);
    stage.addEventListener("pointermove", onMove);
    stage.addEventListener("pointerup", onUp);
    stage.addEventListener("pointercancel", onUp);
    stage.addEventListener("wheel", onWheel, { passive: false });
    $("undo").addEventListener("click", undo);
    $("redo").addEventListener("click", redo);
    $("delete").addEventListener("click", remove);
    $("fit").addEventListener("click", () => { if (state.task) fit(); });
    $("submit").addEventListener("click", submit);
    $("skip").addEventListener("click", skip);
    $("report").addEventListener("click", report);
    $("prev-image").addEventListener("click", () => showImage(state.image - 1));
    $("next-image").addEventListener("click", () => showImage(state.image + 1));
    document.addEventListener("keydown", (ev) => {
      if ((ev.ctrlKey || ev.metaKey) && ev.key === "z") { ev.shiftKey ? redo() : undo(); }
      else if (ev.key === "Delete" || ev.key === "Backspace") remove();
      else if (ev.key === "Escape") { state.draft = null; state.selected = null; render(); }
    });
    new ResizeObserver(() => {
      const v = state.task && view();
      if (v && v.s === v.fit) fit();
    }).observe(stage);

    const params = new URLSearchParams(location.search);
    state.lease = params.get("lease") || "";
    const telegram = loadTelegram();
    /* Telegram hands the Mini App its initData in the address too (#tgWebAppData=...): with
       it the task is asked for at once, while telegram-web-app.js is still loading. */
    const signed = new URLSearchParams(location.hash.slice(1)).get("tgWebAppData") || "";
    if (state.lease && /(^|&)hash=/.test(signed)) {
      state.auth = { kind: "tma", initData: signed };
      const first = api("api/task?lease=" + encodeURIComponent(state.lease));
      const tg = await telegram;
      if (tg) useTelegram(tg);
      await outcome(await first);
      return;
    }
    const tg = await telegram;
    if (tg && tg.initData) {
      state.auth = { kind: "tma", initData: tg.initData };
      useTelegram(tg);
    } else if (params.get("t")) {
      state.auth = { kind: "link", link: params.get("t") };
    } else {
      lock(true);
      say("Open this page from the task card in the chat.", "error");
      return;
    }
    if (!state.lease) {
      lock(true);
      say("No task named: open the page from the task card in the chat.", "error");
      return;
    }
    await outcome(await api("api/task?lease=" + encodeURIComponent(state.lease)));
  }

  window.addEventListener("DOMContentLoaded", start);
})();
