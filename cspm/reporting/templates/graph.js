/* cspm HTML report: a directed graph laid out by dagre (vendored, see docs/html-report.md) and drawn
   as SVG, with pan (drag), zoom (wheel, buttons) and highlighting. It knows nothing of reports:
   report.js gives it nodes {id, label, sub, cls, tip} and edges {id, source, target, label, cls, tip}.
   Every string is set with textContent or setAttribute, never parsed as markup. */
var CspmGraph = (function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var NODE_H = 40, PAD = 10, MIN_W = 96, MAX_W = 250, FONT = "600 12px system-ui,-apple-system,\"Segoe UI\",Roboto,Helvetica,Arial,sans-serif";
  var GAP = 40;  // between packed components
  var MIN_START_ZOOM = 0.8;  // the first view never shrinks labels below ~10px: "Fit" shows everything

  function svg(tag, attrs) {
    var node = document.createElementNS(SVG, tag);
    for (var k in attrs) if (attrs[k] != null) node.setAttribute(k, attrs[k]);
    return node;
  }

  // Shortens text to fit maxWidth pixels with an ellipsis; the full text stays in the tooltip and the details.
  function fit(ctx, text, maxWidth) {
    if (ctx.measureText(text).width <= maxWidth) return text;
    var lo = 0, hi = text.length;
    while (lo < hi) {
      var mid = (lo + hi + 1) >> 1;
      if (ctx.measureText(text.slice(0, mid) + "…").width <= maxWidth) lo = mid; else hi = mid - 1;
    }
    return text.slice(0, lo) + "…";
  }

  // dagre's own crossing minimisation repeats its sweeps until four rounds bring no gain: over
  // half of the layout time of a 1,000-node component. Above this size, its initial order is
  // refined by a fixed number of median sweeps instead (dagre's customOrder option), the last one
  // downwards (each node follows what refers to it). Measured on 1,000-node graphs: half to two
  // thirds of the CPU time, edges as short or shorter on average (docs/html-report.md).
  var FAST_ORDER_ABOVE = 300, SWEEPS = 9;
  function medianOrder(g, order) {
    order(g, { disableOptimalOrderHeuristic: true });
    var layers = [];
    g.nodes().forEach(function (v) { var n = g.node(v); (layers[n.rank] = layers[n.rank] || []).push(v); });
    layers = layers.filter(Boolean);
    layers.forEach(function (l) { l.sort(function (a, b) { return g.node(a).order - g.node(b).order; }); });
    for (var s = 0; s < SWEEPS; s++) {
      var down = s % 2 === 0;
      for (var i = down ? 1 : layers.length - 2; down ? i < layers.length : i >= 0; i += down ? 1 : -1) {
        var at = {};
        layers[i].forEach(function (v) {
          var near = (down ? g.predecessors(v) : g.successors(v)).map(function (u) { return g.node(u).order; });
          near.sort(function (a, b) { return a - b; });
          var m = near.length >> 1;
          at[v] = !near.length ? g.node(v).order : near.length % 2 ? near[m] : (near[m - 1] + near[m]) / 2;
        });
        layers[i].sort(function (a, b) { return at[a] - at[b] || g.node(a).order - g.node(b).order; });
        layers[i].forEach(function (v, k) { g.node(v).order = k; });
      }
    }
  }

  // Lays out each weakly connected component with dagre (left to right), then packs the components
  // in rows, largest first: dagre's cost grows faster than the graph, and the pieces of an estate
  // (one pipeline per team) are often separate. Returns centres, edge points and the total size.
  function layout(model, widths) {
    var parent = {};
    function find(x) { while (parent[x] !== x) { parent[x] = parent[parent[x]]; x = parent[x]; } return x; }
    model.nodes.forEach(function (n) { parent[n.id] = n.id; });
    model.edges.forEach(function (e) { parent[find(e.source)] = find(e.target); });
    var comps = {}, order = [];
    model.nodes.forEach(function (n) {
      var r = find(n.id);
      if (!comps[r]) { comps[r] = { nodes: [], edges: [] }; order.push(r); }
      comps[r].nodes.push(n.id);
    });
    model.edges.forEach(function (e) { comps[find(e.source)].edges.push(e); });
    var parts = order.map(function (r) { return comps[r]; }).sort(function (a, b) { return b.nodes.length - a.nodes.length; });
    var nodes = {}, edges = {}, placed = [], rowWidth = 0;
    parts.forEach(function (c) {
      var g = new dagre.graphlib.Graph({ multigraph: true });
      // tight-tree ranking: network-simplex takes several times longer at 1,000 nodes.
      g.setGraph({ rankdir: "LR", nodesep: 14, ranksep: 70, edgesep: 8, marginx: 0, marginy: 0, ranker: "tight-tree" });
      c.nodes.forEach(function (id) { g.setNode(id, { width: widths[id], height: NODE_H }); });
      c.edges.forEach(function (e) { g.setEdge(e.source, e.target, {}, e.id); });
      dagre.layout(g, c.nodes.length > FAST_ORDER_ABOVE ? { customOrder: medianOrder } : {});
      c.g = g;
      rowWidth = Math.max(rowWidth, g.graph().width);
      placed.push(c);
    });
    rowWidth = Math.max(rowWidth, 1800);
    var x = GAP, y = GAP, rowH = 0, width = 0;
    placed.forEach(function (c) {
      var gw = c.g.graph().width, gh = c.g.graph().height;
      if (x > GAP && x + gw > rowWidth + GAP) { x = GAP; y += rowH + GAP; rowH = 0; }
      c.nodes.forEach(function (id) { var p = c.g.node(id); nodes[id] = { x: p.x + x, y: p.y + y, width: p.width, height: p.height }; });
      c.edges.forEach(function (e) { edges[e.id] = c.g.edge({ v: e.source, w: e.target, name: e.id }).points.map(function (p) { return { x: p.x + x, y: p.y + y }; }); });
      x += gw + GAP; rowH = Math.max(rowH, gh); width = Math.max(width, x);
    });
    return { nodes: nodes, edges: edges, size: { width: width, height: y + rowH + GAP } };
  }

  function create(container, model, options) {
    var t0 = performance.now();
    var ctx = document.createElement("canvas").getContext("2d");
    ctx.font = FONT;
    var labels = {}, sizes = {};
    model.nodes.forEach(function (n) {
      var shown = fit(ctx, n.label, MAX_W - 2 * PAD);
      var w = Math.max(MIN_W, Math.min(MAX_W, Math.ceil(Math.max(ctx.measureText(shown).width, ctx.measureText(n.sub || "").width * 0.85)) + 2 * PAD));
      labels[n.id] = shown;
      sizes[n.id] = w;
    });
    var laid = layout(model, sizes);
    var pos = laid.nodes, points = laid.edges, size = laid.size;
    var layoutMs = performance.now() - t0;

    var root = svg("svg", { id: "lineage-graph", class: "graph", role: "img", "aria-label": "AI lineage graph" });
    var defs = svg("defs", {});
    // Marker sizes are in stroke widths: the highlighted stroke is about twice as wide.
    [["arrow", "#8896ab", "7"], ["arrow-hl", "#2457c5", "4"]].forEach(function (m) {
      var marker = svg("marker", { id: m[0], viewBox: "0 0 10 10", refX: "10", refY: "5", markerWidth: m[2], markerHeight: m[2], orient: "auto" });
      marker.appendChild(svg("path", { d: "M0,0 L10,5 L0,10 z", fill: m[1] }));
      defs.appendChild(marker);
    });
    root.appendChild(defs);
    var view = svg("g", { class: "viewport" });
    root.appendChild(view);
    var edgeLayer = svg("g", { class: "edges" }), nodeLayer = svg("g", { class: "nodes" });
    view.appendChild(edgeLayer); view.appendChild(nodeLayer);
    var nodeEls = {}, edgeEls = {};

    model.edges.forEach(function (e) {
      var pts = points[e.id];
      var d = "M" + pts.map(function (p) { return p.x.toFixed(1) + "," + p.y.toFixed(1); }).join(" L");
      var path = svg("path", { d: d, class: "edge " + (e.cls || ""), "marker-end": "url(#arrow)", "data-id": e.id,
        "data-source": e.source, "data-target": e.target, "data-relation": e.label });
      var title = svg("title", {});
      title.textContent = e.tip;
      path.appendChild(title);
      path.addEventListener("click", function (ev) { ev.stopPropagation(); if (options.onEdge) options.onEdge(e.id); });
      edgeLayer.appendChild(path);
      edgeEls[e.id] = path;
    });
    model.nodes.forEach(function (n) {
      var p = pos[n.id], x = p.x - p.width / 2, y = p.y - p.height / 2;
      var node = svg("g", { class: "node " + (n.cls || ""), transform: "translate(" + x.toFixed(1) + "," + y.toFixed(1) + ")", tabindex: "0",
        "data-id": n.id, "data-x": x.toFixed(1), "data-y": y.toFixed(1), "data-w": String(p.width), "data-h": String(p.height) });
      var title = svg("title", {});
      title.textContent = n.tip;
      var name = svg("text", { x: String(PAD), y: "17", class: "name" }), sub = svg("text", { x: String(PAD), y: "32", class: "sub" });
      name.textContent = labels[n.id];
      sub.textContent = n.sub || "";
      node.appendChild(title);
      node.appendChild(svg("rect", { width: String(p.width), height: String(p.height), rx: "6" }));
      node.appendChild(name); node.appendChild(sub);
      function pick(ev) { ev.stopPropagation(); if (!dragged && options.onNode) options.onNode(n.id); dragged = false; }
      node.addEventListener("click", pick);
      node.addEventListener("keydown", function (ev) { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); pick(ev); } });
      nodeLayer.appendChild(node);
      nodeEls[n.id] = node;
    });
    container.appendChild(root);

    // ------------------------------------------------------------ pan and zoom
    var k = 1, tx = 0, ty = 0;
    function apply() {
      view.setAttribute("transform", "translate(" + tx.toFixed(1) + "," + ty.toFixed(1) + ") scale(" + k.toFixed(4) + ")");
      root.setAttribute("data-zoom", k.toFixed(3));
    }
    function zoomAt(factor, cx, cy) {
      var nk = Math.max(0.05, Math.min(4, k * factor));
      tx = cx - (cx - tx) * nk / k; ty = cy - (cy - ty) * nk / k; k = nk; apply();
    }
    function box(ids) {
      var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
      ids.forEach(function (id) {
        var p = pos[id];
        if (!p) return;
        x0 = Math.min(x0, p.x - p.width / 2); y0 = Math.min(y0, p.y - p.height / 2);
        x1 = Math.max(x1, p.x + p.width / 2); y1 = Math.max(y1, p.y + p.height / 2);
      });
      return x0 === Infinity ? { x: 0, y: 0, w: size.width, h: size.height } : { x: x0 - 20, y: y0 - 20, w: x1 - x0 + 40, h: y1 - y0 + 40 };
    }
    // Shows a box of the layout: whole when it fits at minZoom or more, else its top-left part at minZoom.
    function show(b, minZoom) {
      var vw = root.clientWidth || 800, vh = root.clientHeight || 500;
      k = Math.min(1.2, vw / b.w, vh / b.h);
      if (k < minZoom) { k = minZoom; tx = -b.x * k; ty = -b.y * k; }
      else { tx = (vw - b.w * k) / 2 - b.x * k; ty = (vh - b.h * k) / 2 - b.y * k; }
      apply();
    }
    var drag = null, dragged = false;
    root.addEventListener("pointerdown", function (ev) {
      if (ev.button !== 0) return;
      drag = { x: ev.clientX, y: ev.clientY, tx: tx, ty: ty, moved: false };
    });
    root.addEventListener("pointermove", function (ev) {
      if (!drag) return;
      var dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
      if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
      if (!drag.moved) { drag.moved = true; root.setPointerCapture(ev.pointerId); root.classList.add("panning"); }
      tx = drag.tx + dx; ty = drag.ty + dy; apply();
    });
    function endDrag(ev) {
      dragged = !!(drag && drag.moved);
      if (dragged) { root.releasePointerCapture(ev.pointerId); root.classList.remove("panning"); }
      drag = null;
    }
    root.addEventListener("pointerup", endDrag);
    root.addEventListener("pointercancel", endDrag);
    root.addEventListener("click", function () { if (!dragged && options.onBackground) options.onBackground(); dragged = false; });
    root.addEventListener("wheel", function (ev) {
      ev.preventDefault();
      var r = root.getBoundingClientRect();
      zoomAt(Math.exp(-ev.deltaY * 0.0015), ev.clientX - r.left, ev.clientY - r.top);
    }, { passive: false });

    // ------------------------------------------------------------ highlighting
    var lit = [];
    function highlight(nodeIds, edgeIds) {
      lit.forEach(function (x) { x.classList.remove("hl"); });
      lit = [];
      nodeIds.forEach(function (id) { if (nodeEls[id]) lit.push(nodeEls[id]); });
      edgeIds.forEach(function (id) { if (edgeEls[id]) lit.push(edgeEls[id]); });
      lit.forEach(function (x) {
        x.classList.add("hl");
        if (x.tagName === "path") { x.setAttribute("marker-end", "url(#arrow-hl)"); x.parentNode.appendChild(x); }
      });
      edgeLayer.querySelectorAll("path.edge:not(.hl)").forEach(function (p) { p.setAttribute("marker-end", "url(#arrow)"); });
      root.classList.toggle("dimmed", lit.length > 0);
    }

    // Focusing a box (keyboard) must not scroll the clipped container: pan the drawing instead.
    container.addEventListener("scroll", function () { container.scrollTop = 0; container.scrollLeft = 0; });
    nodeLayer.addEventListener("focusin", function (ev) {
      var id = ev.target.getAttribute && ev.target.getAttribute("data-id");
      if (id) reveal(id);
    });
    // Pans (zoom unchanged) so that the node is in view, when it is not.
    function reveal(id) {
      var p = pos[id], vw = root.clientWidth || 800, vh = root.clientHeight || 500;
      if (!p) return;
      var left = (p.x - p.width / 2) * k + tx, right = (p.x + p.width / 2) * k + tx;
      var top = (p.y - p.height / 2) * k + ty, bottom = (p.y + p.height / 2) * k + ty;
      if (left >= 0 && right <= vw && top >= 0 && bottom <= vh) return;
      tx = vw / 2 - p.x * k; ty = vh / 2 - p.y * k; apply();
    }

    show(box([]), MIN_START_ZOOM);
    return {
      element: root,
      layoutMs: layoutMs,
      width: size.width,
      height: size.height,
      highlight: highlight,
      focus: function (ids) { show(box(ids), 0.15); },
      reveal: reveal,
      fitAll: function () { show(box([]), 0.02); },
      zoom: function (factor) { zoomAt(factor, (root.clientWidth || 800) / 2, (root.clientHeight || 500) / 2); },
      has: function (id) { return !!nodeEls[id]; }
    };
  }

  return { create: create };
})();
