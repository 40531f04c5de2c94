/* The drawing tools, one registry entry per shape. A tool turns pointer gestures (in image
   pixels) into regions; page.js owns the gestures, the view, undo and the server.
   Later tools (text spans, audio/video segments) register the same way. */
"use strict";

(function () {
  const SVG = "http://www.w3.org/2000/svg";
  const registry = new Map();

  function el(name, attrs) {
    const node = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    return node;
  }

  function normalBox(r) {
    const x = Math.min(r.x, r.x + r.w), y = Math.min(r.y, r.y + r.h);
    return Object.assign({}, r, { x: x, y: y, w: Math.abs(r.w), h: Math.abs(r.h) });
  }

  const box = {
    shape: "box",
    title: "Box",
    /* A drag on empty picture draws a box. */
    start(ctx, p) { return { x0: p.x, y0: p.y, x1: p.x, y1: p.y }; },
    drag(ctx, draft, p) { draft.x1 = p.x; draft.y1 = p.y; },
    finish(ctx, draft, tap) {
      if (tap) return null;
      const r = normalBox({ type: "box", x: draft.x0, y: draft.y0,
                            w: draft.x1 - draft.x0, h: draft.y1 - draft.y0 });
      const min = Math.max(ctx.rules.min_size || 0, ctx.screenPx(6));
      return r.w >= min && r.h >= min ? r : null;
    },
    drawDraft(ctx, draft, layer) {
      const r = normalBox({ x: draft.x0, y: draft.y0, w: draft.x1 - draft.x0,
                            h: draft.y1 - draft.y0 });
      layer.appendChild(el("rect", { x: r.x, y: r.y, width: r.w, height: r.h,
                                     class: "draft" }));
    },
    draw(ctx, r, group) {
      group.appendChild(el("rect", { x: r.x, y: r.y, width: r.w, height: r.h,
                                     class: "body" }));
    },
    handles(r) {
      const xs = { w: r.x, c: r.x + r.w / 2, e: r.x + r.w };
      const ys = { n: r.y, m: r.y + r.h / 2, s: r.y + r.h };
      return [["nw", xs.w, ys.n], ["n", xs.c, ys.n], ["ne", xs.e, ys.n], ["e", xs.e, ys.m],
              ["se", xs.e, ys.s], ["s", xs.c, ys.s], ["sw", xs.w, ys.s], ["w", xs.w, ys.m]]
        .map(([name, x, y]) => ({ name: name, x: x, y: y }));
    },
    resize(r, handle, p) {
      let x0 = r.x, y0 = r.y, x1 = r.x + r.w, y1 = r.y + r.h;
      if (handle.includes("w")) x0 = p.x;
      if (handle.includes("e")) x1 = p.x;
      if (handle.includes("n")) y0 = p.y;
      if (handle.includes("s")) y1 = p.y;
      return normalBox(Object.assign({}, r, { x: x0, y: y0, w: x1 - x0, h: y1 - y0 }));
    },
    move(r, dx, dy) { return Object.assign({}, r, { x: r.x + dx, y: r.y + dy }); },
    clamp(r, W, H) {
      const w = Math.min(r.w, W), h = Math.min(r.h, H);
      return Object.assign({}, r, { x: Math.min(Math.max(r.x, 0), W - w),
                                    y: Math.min(Math.max(r.y, 0), H - h), w: w, h: h });
    },
    json(r) { return { x: r.x, y: r.y, w: r.w, h: r.h }; },
  };

  const polygon = {
    shape: "polygon",
    title: "Polygon",
    /* Taps add points; a tap on the first point (with three or more) closes it. */
    tapsOnly: true,
    tap(ctx, draft, p) {
      const d = draft || { points: [] };
      if (d.points.length >= 3) {
        const [fx, fy] = d.points[0];
        if (Math.hypot(fx - p.x, fy - p.y) <= ctx.screenPx(18)) {
          return { done: { type: "polygon", points: d.points.slice() } };
        }
      }
      d.points.push([p.x, p.y]);
      return { draft: d };
    },
    undoStep(draft) {
      draft.points.pop();
      return draft.points.length ? draft : null;
    },
    drawDraft(ctx, draft, layer) {
      if (!draft.points.length) return;
      layer.appendChild(el("polyline", { points: draft.points.map((q) => q.join(",")).join(" "),
                                         class: "draft" }));
      draft.points.forEach((q, i) => {
        layer.appendChild(el("circle", { cx: q[0], cy: q[1], r: ctx.screenPx(i ? 5 : 9),
                                         class: i ? "draft-point" : "draft-first" }));
      });
    },
    draw(ctx, r, group) {
      group.appendChild(el("polygon", { points: r.points.map((q) => q.join(",")).join(" "),
                                        class: "body" }));
    },
    handles(r) { return r.points.map((q, i) => ({ name: String(i), x: q[0], y: q[1] })); },
    resize(r, handle, p) {
      const points = r.points.map((q) => q.slice());
      points[Number(handle)] = [p.x, p.y];
      return Object.assign({}, r, { points: points });
    },
    move(r, dx, dy) {
      return Object.assign({}, r, { points: r.points.map((q) => [q[0] + dx, q[1] + dy]) });
    },
    clamp(r, W, H) {
      return Object.assign({}, r, { points: r.points.map((q) => [
        Math.min(Math.max(q[0], 0), W), Math.min(Math.max(q[1], 0), H)]) });
    },
    json(r) { return { points: r.points.map((q) => [q[0], q[1]]) }; },
  };

  const point = {
    shape: "point",
    title: "Point",
    /* A tap places a keypoint. */
    tapsOnly: true,
    tap(ctx, draft, p) { return { done: { type: "point", x: p.x, y: p.y } }; },
    draw(ctx, r, group) {
      group.appendChild(el("circle", { cx: r.x, cy: r.y, r: ctx.screenPx(7), class: "body" }));
    },
    handles() { return []; },
    resize(r) { return r; },
    move(r, dx, dy) { return Object.assign({}, r, { x: r.x + dx, y: r.y + dy }); },
    clamp(r, W, H) {
      return Object.assign({}, r, { x: Math.min(Math.max(r.x, 0), W),
                                    y: Math.min(Math.max(r.y, 0), H) });
    },
    json(r) { return { x: r.x, y: r.y }; },
  };

  for (const tool of [box, polygon, point]) registry.set(tool.shape, tool);

  window.TapmarkTools = {
    /* register(tool): a tool with shape, title, draw, handles, resize, move, clamp, json and
       either start/drag/finish (drags) or tap (taps only). */
    register(tool) { registry.set(tool.shape, tool); },
    get(shape) { return registry.get(shape); },
    svg: el,
  };
})();
