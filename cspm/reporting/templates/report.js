/* cspm HTML report: plain JS, no network. Data is the JSON in #cspm-data (see cspm/reporting/html.py).
   Every value from the report is written with textContent, never parsed as HTML. */
(function () {
  "use strict";
  var t0 = performance.now();
  var D = JSON.parse(document.getElementById("cspm-data").textContent);
  var STATUS = ["PASS", "FAIL", "ERROR"];
  var SEVERITIES = ["critical", "high", "medium", "low", "informational"];
  var SEV_RANK = { critical: 4, high: 3, medium: 2, low: 1, informational: 0 };
  var BASELINES = ["least-privilege", "encryption", "private-endpoint", "integrity", "logging"];
  // Finding tuple: [variant, resource, status, muted, message, evidence, mute]
  var V = D.variants, R = D.resources, F = D.findings, M = D.mutes;
  var state = { tab: "overview", q: "", status: "", muted: "", severity: "", baseline: "", check: "", account: "",
    region: "", resource: "", sort: "severity", dir: "desc", page: 0, size: 100, open: -1, rq: "", rpage: 0, risk: "", node: "" };
  var filtered = [], searchText = null;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) for (var k in attrs) {
      if (attrs[k] == null) continue;
      if (k === "text") node.textContent = attrs[k];
      else if (k === "class") node.className = attrs[k];
      else if (k.slice(0, 2) === "on") node.addEventListener(k.slice(2), attrs[k]);
      else node.setAttribute(k, attrs[k]);
    }
    (children || []).forEach(function (c) { if (c != null) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return node;
  }
  function $(id) { return document.getElementById(id); }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }
  function scoreClass(v) { return v == null ? "na" : v >= 90 ? "good" : v >= 70 ? "warn" : "bad"; }
  function fmtScore(v) { return v == null ? "n/a" : v.toFixed(1); }
  function uniq(values) { var s = {}; values.forEach(function (v) { s[v] = 1; }); return Object.keys(s).sort(); }

  // ---------------------------------------------------------------- state <-> URL hash
  var KEYS = ["q", "status", "muted", "severity", "baseline", "check", "account", "region", "resource", "sort", "dir", "page", "rq", "risk", "node"];
  function readHash() {
    var h = location.hash.replace(/^#/, ""), parts = h.split("?");
    if (parts[0]) state.tab = parts[0];
    new URLSearchParams(parts[1] || "").forEach(function (v, k) {
      if (KEYS.indexOf(k) >= 0) state[k] = k === "page" ? (parseInt(v, 10) || 0) : v;
    });
  }
  function writeHash() {
    var p = new URLSearchParams();
    KEYS.forEach(function (k) { if (state[k] !== "" && state[k] !== 0 && !(k === "sort" && state[k] === "severity") && !(k === "dir" && state[k] === "desc")) p.set(k, state[k]); });
    var s = p.toString();
    history.replaceState(null, "", "#" + state.tab + (s ? "?" + s : ""));
  }

  // ---------------------------------------------------------------- header and tabs
  var TABS = [["overview", "Overview"], ["findings", "Findings (" + F.length + ")"], ["resources", "Resources (" + R.length + ")"],
    ["errors", "Collection errors (" + D.errors.length + ")"]];
  if (D.lineage || (D.risks && D.risks.length)) TABS.push(["lineage", "AI lineage"]);
  function renderTabs() {
    var nav = clear($("tabs"));
    TABS.forEach(function (t) {
      nav.appendChild(el("button", { type: "button", role: "tab", id: "tab-" + t[0], "aria-selected": String(state.tab === t[0]),
        onclick: function () { show(t[0]); }, text: t[1] }));
    });
  }
  function show(tab) {
    if (!TABS.some(function (t) { return t[0] === tab; })) tab = "overview";
    state.tab = tab;
    TABS.forEach(function (t) { $("view-" + t[0]).hidden = t[0] !== tab; });
    renderTabs();
    if (tab === "findings") renderFindings();
    if (tab === "resources") renderResources();
    if (tab === "lineage") showLineage();
    writeHash();
  }

  // ---------------------------------------------------------------- overview
  function renderOverview() {
    var s = D.meta.summary, view = clear($("view-overview"));
    renderTopRisks(view);
    var cards = el("div", { class: "cards", id: "score-cards" });
    [["overall", "Overall"]].concat(BASELINES.map(function (b) { return [b, b]; })).forEach(function (b) {
      var v = s.scores[b[0]];
      cards.appendChild(el("div", { class: "card", "data-baseline": b[0] }, [
        el("div", { class: "label", text: b[1] }), el("div", { class: "value " + scoreClass(v), text: fmtScore(v) })]));
    });
    view.appendChild(el("h2", { text: "Scores per baseline (0-100)" }));
    view.appendChild(cards);
    var counts = el("div", { class: "cards", id: "counts" });
    [["FAIL", s.fail, "bad"], ["PASS", s.pass, "good"], ["ERROR", s.error, "warn"], ["Muted", s.muted, "na"],
     ["Resources", R.length, ""], ["Collection errors", D.errors.length, D.errors.length ? "warn" : ""]].forEach(function (c) {
      counts.appendChild(el("div", { class: "card" }, [el("div", { class: "label", text: c[0] }), el("div", { class: "value " + c[2], text: String(c[1]) })]));
    });
    view.appendChild(el("h2", { text: "Findings" }));
    view.appendChild(counts);
    if (D.expired.length) {
      var box = el("div", { class: "notice", id: "expired-mutes" }, [el("strong", { text: "Expired mutelist entries (no longer muting): " })]);
      D.expired.forEach(function (m) { box.appendChild(el("div", { text: m[0] + " expired " + m[2] + " — " + m[1] })); });
      view.appendChild(box);
    }
    if (!D.meta.scan.complete) view.appendChild(el("div", { class: "notice", text: "This scan is incomplete: some data could not be collected (see Collection errors); checks that needed it answered ERROR." }));
    var bars = el("div", { class: "bars" }), max = Math.max.apply(null, SEVERITIES.map(function (x) { return s.fail_by_severity[x] || 0; }).concat([1]));
    SEVERITIES.forEach(function (sev) {
      var n = s.fail_by_severity[sev] || 0;
      bars.appendChild(el("div", null, [el("span", { class: "sev sev-" + sev, text: sev }),
        el("span", { class: "bar sev-" + sev, style: "width:" + Math.round(300 * n / max) + "px" }), String(n)]));
    });
    view.appendChild(el("h2", { text: "Failing findings by severity" }));
    view.appendChild(bars);
    var top = {}, i;
    for (i = 0; i < F.length; i++) if (F[i][2] === 1 && !F[i][3]) { var c = V[F[i][0]][0]; top[c] = (top[c] || 0) + 1; }
    var ranked = Object.keys(top).sort(function (a, b) { return top[b] - top[a] || (a < b ? -1 : 1); }).slice(0, 10);
    if (ranked.length) {
      view.appendChild(el("h2", { text: "Checks with the most failures" }));
      var list = el("ol", { id: "top-checks" });
      ranked.forEach(function (cid) {
        list.appendChild(el("li", null, [el("a", { href: "#", onclick: function (e) { e.preventDefault(); resetFilters(); state.check = cid; state.status = "FAIL"; show("findings"); }, text: cid }), " — " + top[cid]]));
      });
      view.appendChild(list);
    }
  }

  // ---------------------------------------------------------------- top risks (the overview leads with them)
  var RISKS = D.risks || [], TOP = 5;
  var NODES = {};  // lineage node id -> node, for names in path summaries
  if (D.lineage) (D.lineage.nodes || []).forEach(function (n) { if (n && typeof n === "object") NODES[String(n.id)] = n; });
  function nodeName(id) { var n = NODES[id]; return String(n && (n.label || n.name) || shortName(id)); }
  function shortName(uid) {
    uid = String(uid);
    var tail = uid.indexOf("arn:") === 0 ? uid.slice(uid.lastIndexOf(":") + 1) : uid;
    var parts = tail.replace(/\/+$/, "").split("/");
    return parts[parts.length - 1] || uid;
  }
  function pathSummary(path) {
    var ids = (path && path.nodes) || [], names = ids.map(nodeName);
    if (names.length > 6) names = names.slice(0, 3).concat(["… " + (names.length - 5) + " more …"], names.slice(-2));
    var open = ((path && path.edges) || []).filter(function (e) { return e && e.resolved === false; }).length;
    return names.join(" → ") + (open ? "  (" + open + " unresolved link" + (open > 1 ? "s" : "") + ")" : "");
  }
  function sevPill(sev) { return el("span", { class: "sev sev-" + sev, text: sev }); }
  function selectRisk(id) { state.risk = id; state.node = ""; show("lineage"); }
  function riskItem(r, i) {
    var fix = r.fix || {};
    var head = el("div", { class: "risk-head" }, [
      el("span", { class: "score", title: "risk score (0-100)", text: String(r.score != null ? r.score : "") }), sevPill(r.severity),
      el("a", { href: "#lineage?risk=" + encodeURIComponent(r.id), class: "risk-title", onclick: function (e) { e.preventDefault(); selectRisk(r.id); }, text: r.title })]);
    var item = el("li", { class: "risk", "data-risk-id": String(r.id), "data-rank": String(i + 1) }, [head,
      el("div", { class: "risk-path", title: ((r.path && r.path.nodes) || []).join("\n"), text: pathSummary(r.path) })]);
    if (fix.action) item.appendChild(el("div", { class: "risk-fix", title: fix.action }, [el("strong", { text: "Fix: " }), fix.action]));
    return item;
  }
  function priorityItem(p) {
    var f = F[p[0]], v = V[f[0]], r = R[f[1]];
    var head = el("div", { class: "risk-head" }, [sevPill(v[2]),
      el("a", { href: "#findings", class: "risk-title", onclick: function (e) { e.preventDefault(); resetFilters(); state.resource = r[0]; state.check = v[0]; state.status = "FAIL"; buildFilterValues(); show("findings"); }, text: v[1] })]);
    var where = el("div", { class: "risk-path", title: r[0] }, [r[1] + " (" + r[2] + ")" + (p[2] ? " — " + p[2] : "")]);
    if (p[3]) { where.appendChild(document.createTextNode(" · ")); where.appendChild(el("a", { href: "#findings", class: "more", onclick: function (e) { e.preventDefault(); resetFilters(); state.check = v[0]; state.status = "FAIL"; buildFilterValues(); show("findings"); }, text: "and " + p[3] + " more" })); }
    if (D.lineage && NODES[r[0]]) { where.appendChild(document.createTextNode(" · ")); where.appendChild(el("a", { href: "#lineage", class: "in-graph", onclick: function (e) { e.preventDefault(); state.risk = ""; state.node = r[0]; show("lineage"); }, text: "show in lineage" })); }
    return el("li", { class: "risk priority", "data-finding": String(p[0]), "data-check": v[0] }, [head, where, el("div", { class: "risk-fix", title: v[4] }, [el("strong", { text: "Fix: " }), v[4]])]);
  }
  function renderTopRisks(view) {
    var box = el("section", { id: "top-risks" }), list = el("ol", { id: "risk-list", class: "risks" });
    if (RISKS.length) {
      box.appendChild(el("h2", { text: "Top risks (" + RISKS.length + ")" }));
      RISKS.forEach(function (r, i) { var li = riskItem(r, i); li.hidden = i >= TOP; list.appendChild(li); });
    } else {
      box.appendChild(el("h2", { text: "Fix first" }));
      box.appendChild(el("p", { class: "muted", text: (D.risks ? "No risk: no attack path joins the failing findings of this scan. " :
        "This report has no risks section (an older cspm). ") + "Failing findings ranked by severity and by how close the resource is to the AI supply chain." }));
      if (!D.priorities.length) box.appendChild(el("p", { class: "empty", text: "No unmuted failing finding." }));
      D.priorities.forEach(function (p, i) { var li = priorityItem(p); li.hidden = i >= TOP; list.appendChild(li); });
    }
    box.appendChild(list);
    var total = RISKS.length || D.priorities.length;
    if (total > TOP) {
      var more = el("button", { type: "button", id: "more-risks", class: "link", text: "Show all " + total, onclick: function () {
        Array.prototype.forEach.call(list.children, function (li) { li.hidden = false; }); more.hidden = true; } });
      box.appendChild(more);
    }
    view.appendChild(box);
  }

  // ---------------------------------------------------------------- findings
  function setOptions(id, label, values, current) {
    var sel = clear($(id));
    sel.appendChild(el("option", { value: "", text: label }));
    values.forEach(function (v) { var o = el("option", { value: v[0], text: v[1] }); if (v[0] === current) o.selected = true; sel.appendChild(o); });
  }
  function pairs(values) { return values.map(function (v) { return [v, v]; }); }
  function buildFilters() {
    setOptions("f-status", "Any status", pairs(STATUS), state.status);
    setOptions("f-muted", "Muted and unmuted", [["no", "Unmuted only"], ["yes", "Muted only"]], state.muted);
    setOptions("f-severity", "Any severity", pairs(SEVERITIES), state.severity);
    setOptions("f-baseline", "Any baseline", pairs(BASELINES), state.baseline);
    setOptions("f-check", "Any check", pairs(uniq(V.map(function (v) { return v[0]; }))), state.check);
    setOptions("f-account", "Any account", pairs(uniq(R.map(function (r) { return r[3]; }))), state.account);
    setOptions("f-region", "Any region", pairs(uniq(R.map(function (r) { return r[4]; }))), state.region);
    [["f-status", "status"], ["f-muted", "muted"], ["f-severity", "severity"], ["f-baseline", "baseline"], ["f-check", "check"],
     ["f-account", "account"], ["f-region", "region"]].forEach(function (p) {
      $(p[0]).addEventListener("change", function () { state[p[1]] = this.value; state.page = 0; state.open = -1; renderFindings(); writeHash(); });
    });
    var q = $("q"); q.value = state.q;
    var timer = null;
    q.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(function () { state.q = q.value; state.page = 0; state.open = -1; renderFindings(); writeHash(); }, 120); });
    $("f-reset").addEventListener("click", function () { resetFilters(); buildFilterValues(); renderFindings(); writeHash(); });
    Array.prototype.forEach.call(document.querySelectorAll("#findings-table th[data-sort]"), function (th) {
      th.addEventListener("click", function () {
        var k = th.getAttribute("data-sort");
        if (state.sort === k) state.dir = state.dir === "asc" ? "desc" : "asc"; else { state.sort = k; state.dir = k === "severity" ? "desc" : "asc"; }
        state.page = 0; renderFindings(); writeHash();
      });
    });
  }
  function buildFilterValues() {
    $("q").value = state.q;
    ["status", "muted", "severity", "baseline", "check", "account", "region"].forEach(function (k) { $("f-" + k).value = state[k]; });
  }
  function resetFilters() { ["q", "status", "muted", "severity", "baseline", "check", "account", "region", "resource"].forEach(function (k) { state[k] = ""; }); state.page = 0; state.open = -1; }

  function text(i) {
    if (!searchText) {
      searchText = new Array(F.length);
      for (var j = 0; j < F.length; j++) {
        var f = F[j], v = V[f[0]], r = R[f[1]];
        searchText[j] = (v[0] + "\n" + v[1] + "\n" + r[0] + "\n" + r[1] + "\n" + f[4]).toLowerCase();
      }
    }
    return searchText[i];
  }
  function applyFilters() {
    var out = [], q = state.q.trim().toLowerCase(), st = STATUS.indexOf(state.status), res = -1;
    if (state.resource) R.some(function (r, i) { if (r[0] === state.resource) { res = i; return true; } return false; });
    for (var i = 0; i < F.length; i++) {
      var f = F[i], v = V[f[0]], r = R[f[1]];
      if (st >= 0 && f[2] !== st) continue;
      if (state.muted === "yes" && !f[3]) continue;
      if (state.muted === "no" && f[3]) continue;
      if (state.severity && v[2] !== state.severity) continue;
      if (state.baseline && v[3] !== state.baseline) continue;
      if (state.check && v[0] !== state.check) continue;
      if (state.account && r[3] !== state.account) continue;
      if (state.region && r[4] !== state.region) continue;
      if (state.resource && f[1] !== res) continue;
      if (q && text(i).indexOf(q) < 0) continue;
      out.push(i);
    }
    var key = SORTS[state.sort] || SORTS.severity, sign = state.dir === "asc" ? 1 : -1;
    out.sort(function (a, b) { var x = key(a), y = key(b); return x < y ? -sign : x > y ? sign : a - b; });
    return out;
  }
  var SORTS = {
    severity: function (i) { return SEV_RANK[V[F[i][0]][2]] * 10 + (F[i][2] === 1 ? 2 : F[i][2] === 2 ? 1 : 0); },
    status: function (i) { return STATUS[F[i][2]]; },
    check: function (i) { return V[F[i][0]][0]; },
    resource: function (i) { return R[F[i][1]][1].toLowerCase(); },
    account: function (i) { return R[F[i][1]][3]; },
    region: function (i) { return R[F[i][1]][4]; }
  };
  function pager(node, total, page, size, onPage) {
    clear(node);
    var pages = Math.max(1, Math.ceil(total / size)), from = total ? page * size + 1 : 0, to = Math.min(total, (page + 1) * size);
    var prev = el("button", { type: "button", class: "prev", onclick: function () { onPage(page - 1); }, text: "‹ Prev" });
    prev.disabled = page <= 0;
    node.appendChild(prev);
    node.appendChild(el("span", { class: "range", text: from + "–" + to + " of " + total + " (page " + (page + 1) + " of " + pages + ")" }));
    var next = el("button", { type: "button", class: "next", onclick: function () { onPage(page + 1); }, text: "Next ›" });
    next.disabled = page >= pages - 1;
    node.appendChild(next);
  }
  function renderFindings() {
    filtered = applyFilters();
    var pages = Math.max(1, Math.ceil(filtered.length / state.size));
    if (state.page >= pages) state.page = pages - 1;
    var body = clear($("findings-body")), start = state.page * state.size, end = Math.min(filtered.length, start + state.size);
    for (var n = start; n < end; n++) body.appendChild(findingRow(filtered[n]));
    if (!filtered.length) body.appendChild(el("tr", null, [el("td", { colspan: "7", class: "empty", text: "No finding matches these filters." })]));
    var go = function (p) { state.page = p; state.open = -1; renderFindings(); writeHash(); window.scrollTo(0, 0); };
    pager($("pager-top"), filtered.length, state.page, state.size, go);
    pager($("pager-bottom"), filtered.length, state.page, state.size, go);
    Array.prototype.forEach.call(document.querySelectorAll("#findings-table th[data-sort]"), function (th) {
      th.setAttribute("aria-sort", th.getAttribute("data-sort") === state.sort ? (state.dir === "asc" ? "ascending" : "descending") : "none");
    });
    var chip = $("resource-filter");
    chip.hidden = !state.resource;
    clear(chip);
    if (state.resource) chip.appendChild(el("span", { text: "Resource: " + state.resource + " " }, [el("button", { type: "button", title: "Clear", onclick: function () { state.resource = ""; renderFindings(); writeHash(); }, text: "×" })]));
    document.body.setAttribute("data-shown", String(filtered.length));
  }
  function findingRow(i) {
    var f = F[i], v = V[f[0]], r = R[f[1]], status = STATUS[f[2]];
    var st = el("td", null, [el("span", { class: "st-" + status, text: status })]);
    if (f[3]) st.appendChild(el("span", { class: "tag-muted", text: "muted" }));
    var tr = el("tr", { class: "row", "data-i": String(i), "data-status": status, "data-severity": v[2] }, [
      el("td", null, [el("span", { class: "sev sev-" + v[2], text: v[2] })]), st,
      el("td", { title: v[1] }, [el("div", { text: v[1] }), el("small", { class: "muted", text: v[0] })]),
      el("td", { title: r[0], text: r[1] }), el("td", { text: r[3] }), el("td", { text: r[4] }), el("td", { text: f[4] })]);
    tr.addEventListener("click", function () {
      var next = tr.nextSibling;
      if (next && next.classList && next.classList.contains("detail")) { next.parentNode.removeChild(next); return; }
      tr.parentNode.insertBefore(detailRow(i), tr.nextSibling);
    });
    return tr;
  }
  function detailRow(i) {
    var f = F[i], v = V[f[0]], r = R[f[1]], dl = el("dl");
    function item(k, val) { if (val == null || val === "") return; dl.appendChild(el("dt", { text: k })); dl.appendChild(el("dd", null, [typeof val === "string" ? document.createTextNode(val) : val])); }
    item("Check", v[0]); item("Message", f[4]); item("Resource", r[0]); item("Resource type", r[2]);
    item("Baseline", v[3]); item("Remediation", v[4]);
    var comp = Object.keys(v[5]).map(function (k) { return k + ": " + v[5][k].join(", "); }).join("; ");
    item("Compliance", comp); item("MITRE ATLAS", v[6].join(", "));
    if (f[5]) item("Evidence", el("pre", { text: JSON.stringify(f[5], null, 2) }));
    if (f[6] >= 0) item("Muted by", M[f[6]][0] + " — " + M[f[6]][1] + (M[f[6]][2] ? " (expires " + M[f[6]][2] + ")" : "") +
      (M[f[6]][3] ? " — by a tag condition: anyone who may tag the resource can mute it" : ""));
    else if (f[3]) item("Muted", "yes");
    var tags = Object.keys(r[5]).map(function (k) { return k + "=" + r[5][k]; }).join(", ");
    item("Tags", tags);
    return el("tr", { class: "detail" }, [el("td", { colspan: "7" }, [dl])]);
  }

  // ---------------------------------------------------------------- resources
  var rstats = null;
  function resourceStats() {
    if (rstats) return rstats;
    rstats = R.map(function () { return [0, 0, 0]; });
    for (var i = 0; i < F.length; i++) if (!F[i][3]) rstats[F[i][1]][F[i][2] === 1 ? 0 : F[i][2] === 0 ? 1 : 2]++;
    return rstats;
  }
  function renderResources() {
    var stats = resourceStats(), q = state.rq.trim().toLowerCase(), rows = [];
    for (var i = 0; i < R.length; i++) {
      var r = R[i];
      if (q && (r[0] + "\n" + r[1] + "\n" + r[2]).toLowerCase().indexOf(q) < 0) continue;
      rows.push(i);
    }
    rows.sort(function (a, b) { return stats[b][0] - stats[a][0] || (R[a][1] < R[b][1] ? -1 : 1); });
    var size = 100, pages = Math.max(1, Math.ceil(rows.length / size));
    if (state.rpage >= pages) state.rpage = pages - 1;
    var body = clear($("resources-body"));
    rows.slice(state.rpage * size, (state.rpage + 1) * size).forEach(function (i) {
      var r = R[i], s = stats[i];
      var scores = Object.keys(r[6]).map(function (b) { return b + " " + fmtScore(r[6][b]); }).join(" · ");
      var link = el("a", { href: "#", title: r[0], text: r[1], onclick: function (e) { e.preventDefault(); resetFilters(); state.resource = r[0]; buildFilterValues(); show("findings"); } });
      body.appendChild(el("tr", null, [el("td", null, [link]), el("td", { text: r[2] }), el("td", { text: r[3] }), el("td", { text: r[4] }),
        el("td", { class: s[0] ? "bad" : "", text: String(s[0]) }), el("td", { text: String(s[1]) }), el("td", { text: String(s[2]) }), el("td", { text: scores })]));
    });
    pager($("rpager"), rows.length, state.rpage, size, function (p) { state.rpage = p; renderResources(); });
  }

  // ---------------------------------------------------------------- errors
  function renderErrors() {
    var view = clear($("view-errors"));
    if (!D.errors.length) { view.appendChild(el("p", { class: "empty", text: "No collection errors: every API call the scan needed succeeded." })); return; }
    view.appendChild(el("p", { text: "These API calls failed. Checks that needed their data answered ERROR (never PASS)." }));
    var body = el("tbody");
    D.errors.forEach(function (e) { body.appendChild(el("tr", null, e.map(function (x) { return el("td", { text: x }); }))); });
    view.appendChild(el("table", { class: "grid", id: "errors-table" }, [el("thead", null, [el("tr", null,
      ["Account", "Region", "Service", "Operation", "Code", "Message"].map(function (h) { return el("th", { text: h }); }))]), body]));
  }

  // ---------------------------------------------------------------- AI lineage
  var lineage = null;  // {graph, nodes, edges, byId, edgeKey} once the tab was first shown
  function worstById() {
    var worst = {}, byUid = {};
    for (var i = 0; i < F.length; i++) {
      if (F[i][2] !== 1 || F[i][3]) continue;
      var sev = V[F[i][0]][2], uid = R[F[i][1]][0];
      if (!byUid[uid] || SEV_RANK[sev] > SEV_RANK[byUid[uid]]) byUid[uid] = sev;
    }
    Object.keys(NODES).forEach(function (id) { worst[id] = NODES[id].risk || byUid[id] || null; });
    return { of: function (id) { return worst[id] || byUid[id] || null; } };
  }
  function edgeKey(s, t, rel) { return s + "\u0000" + t + "\u0000" + rel; }
  function lineageModel() {
    var g = D.lineage || {}, worst = worstById(), nodes = [], edges = [], byId = {}, keys = {};
    function addNode(id, n) {
      if (byId[id]) return;
      n = n || { id: id };
      var sev = worst.of(id), type = String(n.type || ""), name = nodeName(id);
      var cls = sev ? "sev-" + sev : n.in_inventory === false ? "outside" : "ok";
      byId[id] = { id: id, label: name, sub: type.replace(/^[a-z]+\./, ""), cls: cls, raw: n, worst: sev,
        tip: name + "\n" + id + (type ? "\n" + type : "") + (sev ? "\nworst failing finding: " + sev : "") };
      nodes.push(byId[id]);
    }
    function addEdge(e, extra) {
      var s = String(e.source != null ? e.source : e.from), t = String(e.target != null ? e.target : e.to);
      var rel = String(e.relation || e.label || e.type || ""), key = edgeKey(s, t, rel);
      if (keys[key]) return;
      addNode(s); addNode(t);
      var open = e.resolved === false;
      keys[key] = { id: "e" + edges.length, source: s, target: t, label: rel, reason: e.reason || "", resolved: !open,
        cls: (open ? "unresolved" : "") + (extra ? " extra" : ""),
        tip: nodeName(s) + " —" + rel + "→ " + nodeName(t) + (open ? "\nunresolved: " + (e.reason || "no reason given") : "") };
      edges.push(keys[key]);
    }
    (g.nodes || []).forEach(function (n) { var o = typeof n === "object" ? n : { id: String(n) }; addNode(String(o.id), o); });
    (g.edges || []).forEach(function (e) { addEdge(e, false); });
    // A risk's path may name an edge the lineage does not hold: draw it too, so selecting the risk shows it all.
    RISKS.forEach(function (r) {
      var p = r.path || {};
      (p.nodes || []).forEach(function (id) { addNode(String(id)); });
      (p.edges || []).forEach(function (e) { addEdge(e, true); });
    });
    return { nodes: nodes, edges: edges, byId: byId, keys: keys };
  }
  function detailList(rows) {
    var dl = el("dl");
    rows.forEach(function (row) {
      if (row[1] == null || row[1] === "") return;
      dl.appendChild(el("dt", { text: row[0] }));
      dl.appendChild(el("dd", null, [typeof row[1] === "string" ? document.createTextNode(row[1]) : row[1]]));
    });
    return dl;
  }
  function edgeLine(e) {
    return el("li", { class: e.resolved ? "" : "unresolved" }, [nodeName(e.source) + " —" + e.label + "→ " + nodeName(e.target) +
      (e.resolved ? "" : " (unresolved: " + (e.reason || "no reason given") + ")")]);
  }
  function showNode(id) {
    var n = lineage.byId[id], raw = n.raw, box = clear($("lineage-detail"));
    var touching = lineage.edges.filter(function (e) { return e.source === id || e.target === id; });
    lineage.graph.highlight([id], touching.map(function (e) { return e.id; }));
    box.appendChild(el("h3", { text: n.label }));
    var link = el("a", { href: "#findings", text: "findings on this resource", onclick: function (e) { e.preventDefault(); resetFilters(); state.resource = id; buildFilterValues(); show("findings"); } });
    box.appendChild(detailList([["Id", id], ["Type", raw.type || ""], ["Account", raw.account || ""], ["Region", raw.region || ""],
      ["Worst failing", n.worst ? sevPill(n.worst) : "none"], ["In the inventory", raw.in_inventory == null ? "" : raw.in_inventory ? "yes" : "no (referenced only)"],
      ["Findings", link]]));
    box.appendChild(el("h4", { text: "Links (" + touching.length + ")" }));
    box.appendChild(el("ul", { class: "edge-list" }, touching.map(edgeLine)));
  }
  function showRisk(r) {
    var p = r.path || {}, ids = (p.nodes || []).map(String), box = clear($("lineage-detail")), fix = r.fix || {};
    var edgeIds = (p.edges || []).map(function (e) {
      var k = lineage.keys[edgeKey(String(e.source), String(e.target), String(e.relation || e.label || ""))];
      return k && k.id;
    }).filter(Boolean);
    lineage.graph.highlight(ids, edgeIds);
    lineage.graph.focus(ids);
    box.appendChild(el("h3", { text: r.title }));
    // A factor is {value, contribution, why} (docs/risks.md); anything else is shown as it is.
    var factors = el("ul", { class: "factors" }, Object.keys(r.factors || {}).map(function (k) {
      var f = r.factors[k], plain = f === null || typeof f !== "object";
      var points = !plain && typeof f.contribution === "number" ? " (" + (f.contribution >= 0 ? "+" : "") + f.contribution + ")" : "";
      return el("li", { title: plain ? "" : String(f.why || "") }, [k + ": " + (plain ? String(f) : String(f.value != null ? f.value : "") + points)]);
    }));
    box.appendChild(detailList([["Score", String(r.score)], ["Severity", sevPill(r.severity)], ["Kind", r.kind || ""], ["Factors", factors],
      ["Fix", fix.action || ""], ["Fix on", fix.resource_uid || ""], ["Check", fix.check_id || ""]]));
    box.appendChild(el("h4", { text: "Path (" + ids.length + " resources)" }));
    box.appendChild(el("ol", { class: "path-list" }, ids.map(function (id) { return el("li", { title: id }, [nodeName(id), el("small", { class: "muted", text: " " + id })]); })));
    var edges = (p.edges || []).map(function (e) { return lineage.keys[edgeKey(String(e.source), String(e.target), String(e.relation || e.label || ""))]; }).filter(Boolean);
    box.appendChild(el("ul", { class: "edge-list" }, edges.map(edgeLine)));
  }
  // Shows the selected risk or node; brings it into view when asked (a link, the URL), not on a click in the graph.
  function selectInGraph(reveal) {
    var risk = null;
    RISKS.forEach(function (r) { if (String(r.id) === state.risk) risk = r; });
    $("risk-select").value = risk ? state.risk : "";
    if (risk) showRisk(risk);
    else if (state.node && lineage.byId[state.node]) { showNode(state.node); if (reveal) lineage.graph.reveal(state.node); }
    else { lineage.graph.highlight([], []); clear($("lineage-detail")).appendChild(el("p", { class: "muted", text: "Select a resource or a risk: its full name, its links and their reasons show here." })); }
  }
  function showLineage() {
    if (!lineage) buildLineage();
    selectInGraph(true);
  }
  function buildLineage() {
    var view = clear($("view-lineage")), t0 = performance.now();
    lineage = lineageModel();
    var open = lineage.edges.filter(function (e) { return !e.resolved; }).length;
    view.appendChild(el("p", { id: "lineage-count", text: lineage.nodes.length + " nodes, " + lineage.edges.length + " edges (" + open + " unresolved): how data, code and models flow between the resources. Drag to pan, wheel to zoom; hover or select a box for its full name." }));
    var select = el("select", { id: "risk-select", "aria-label": "Highlight a risk", onchange: function () { state.risk = this.value; state.node = ""; selectInGraph(true); writeHash(); } });
    select.appendChild(el("option", { value: "", text: RISKS.length ? "Highlight a risk…" : "No risks in this report" }));
    RISKS.forEach(function (r) { select.appendChild(el("option", { value: String(r.id), text: r.score + " · " + r.severity + " · " + r.title })); });
    var legend = el("span", { class: "legend" }, SEVERITIES.slice(0, 4).map(function (sev) { return el("span", { class: "key sev-" + sev, text: sev }); })
      .concat([el("span", { class: "key ok", text: "no failing finding" }), el("span", { class: "key outside", text: "outside the inventory" }), el("span", { class: "key dashed", text: "- - unresolved link" })]));
    var graphBox = el("div", { class: "graph-box", id: "graph-box" }), detail = el("aside", { id: "lineage-detail", class: "graph-detail" });
    // Find a resource by name or id: Enter selects the first match and brings it into view.
    var find = el("input", { type: "search", id: "node-find", placeholder: "Find a resource…", "aria-label": "Find a resource in the graph" });
    find.addEventListener("keydown", function (ev) {
      if (ev.key !== "Enter") return;
      var q = find.value.trim().toLowerCase(), hit = null;
      if (q) lineage.nodes.some(function (n) { if ((n.label + "\n" + n.id).toLowerCase().indexOf(q) >= 0) { hit = n; return true; } return false; });
      find.classList.toggle("no-match", !!q && !hit);
      if (!hit) return;
      state.risk = ""; state.node = hit.id; selectInGraph(true); writeHash();
    });
    var tools = el("div", { class: "graph-tools" }, [select, find,
      el("button", { type: "button", id: "zoom-in", title: "Zoom in", text: "+", onclick: function () { lineage.graph.zoom(1.25); } }),
      el("button", { type: "button", id: "zoom-out", title: "Zoom out", text: "−", onclick: function () { lineage.graph.zoom(0.8); } }),
      el("button", { type: "button", id: "zoom-fit", title: "Show the whole graph", text: "Fit", onclick: function () { lineage.graph.fitAll(); } }), legend]);
    view.appendChild(tools);
    view.appendChild(el("div", { class: "graph-wrap" }, [graphBox, detail]));
    lineage.graph = CspmGraph.create(graphBox, lineage, {
      onNode: function (id) { state.risk = ""; state.node = id; selectInGraph(); writeHash(); },
      onEdge: function (id) { var e = lineage.edges.filter(function (x) { return x.id === id; })[0]; state.risk = ""; state.node = ""; selectInGraph(); lineage.graph.highlight([e.source, e.target], [id]); clear($("lineage-detail")).appendChild(el("ul", { class: "edge-list" }, [edgeLine(e)])); writeHash(); },
      onBackground: function () { state.risk = ""; state.node = ""; selectInGraph(); writeHash(); }
    });
    var body = el("tbody");
    view.appendChild(el("h2", { text: "Links" }));
    view.appendChild(el("table", { class: "grid", id: "lineage-edges" }, [el("thead", null, [el("tr", null, [el("th", { text: "From" }), el("th", { text: "Relation" }), el("th", { text: "To" }), el("th", { text: "Unresolved: why" })])]), body]));
    document.body.setAttribute("data-layout-ms", String(Math.round(lineage.graph.layoutMs)));
    document.body.setAttribute("data-graph-ms", String(Math.round(performance.now() - t0)));
    document.body.setAttribute("data-graph-ready", "true");
    // The table of links, below the graph, once the graph is usable.
    setTimeout(function () {
      var rows = document.createDocumentFragment();
      lineage.edges.forEach(function (e) {
        rows.appendChild(el("tr", { class: e.resolved ? "" : "unresolved" }, [el("td", { title: e.source, text: nodeName(e.source) }), el("td", { text: e.label }),
          el("td", { title: e.target, text: nodeName(e.target) }), el("td", { text: e.resolved ? "" : e.reason || "unresolved" })]));
      });
      body.appendChild(rows);
      document.body.setAttribute("data-links-ready", "true");
    }, 0);
  }

  // ---------------------------------------------------------------- start
  var scan = D.meta.scan;
  $("scan-line").textContent = D.meta.tool + " " + D.meta.version + " · " + scan.provider + " · " +
    scan.scopes.map(function (s) { return s.account; }).join(", ") + " · started " + scan.started_at + " · scan " + scan.id + (scan.complete ? "" : " · INCOMPLETE");
  readHash();
  renderOverview();
  renderErrors();
  buildFilters();
  $("rq").addEventListener("input", function () { state.rq = this.value; state.rpage = 0; renderResources(); });
  show(state.tab);
  document.body.setAttribute("data-render-ms", String(Math.round(performance.now() - t0)));
  document.body.setAttribute("data-ready", "true");
})();
