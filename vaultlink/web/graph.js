/* vaultlink's concept graph page: sigma.js draws (WebGL), graphology holds the graph,
   ForceAtlas2 lays it out in a web worker. The data comes from the JSON block that
   `vaultlink graph VAULT -o page.html` wrote (export_html.py documents its shape).
   Nothing is ever fetched: the page's Content-Security-Policy forbids it.
   Text from the notes only ever goes into the page as textContent, never as markup. */
(function () {
  "use strict";

  var status = (window.vaultlinkPage = {
    rendered: false, frames: 0, layout: "still", layoutSeconds: null, iterations: 0, nodes: 0, edges: 0, errors: [],
    timings: {},
  });
  var t0 = performance.now();
  function mark(name) { status.timings[name] = Math.round(performance.now() - t0); }
  function fail(message) {
    status.errors.push(String(message));
    var box = document.getElementById("error") || document.body.appendChild(element("div", "", { id: "error" }));
    box.textContent = "The page hit an error: " + status.errors.join("; ");
  }
  window.addEventListener("error", function (event) { fail(event.message); });
  window.addEventListener("unhandledrejection", function (event) { fail(event.reason); });

  var PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#59a14f", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7",
                 "#9c755f", "#17becf", "#bcbd22", "#1f77b4"];
  var OTHER_FOLDERS = "#8a94a6";
  var NODE_KINDS = [
    { name: "note", title: "notes", color: null },
    { name: "missing", title: "missing notes (links to notes not written yet)", color: "#c3c8cf" },
    { name: "concept", title: "concepts (terms notes share)", color: "#52606d" },
  ];
  var EDGE_GROUPS = {
    link: { title: "links", color: "#52606dbb", shown: true },
    mentions: { title: "mentions (note → concept)", color: "#d69e2e55", shown: true },
    related: { title: "related (each note's Related list)", color: "#a855f766", shown: true },
  };
  var FADED = "#e6e8eb";

  var data = JSON.parse(document.getElementById("vaultlink-data").textContent);
  var nodes = data.nodes, edges = data.edges;
  mark("parsed");
  var kindShown = [true, true, true];
  var hovered = null, selected = null;

  function element(tag, text, attrs) {
    var el = document.createElement(tag);
    if (text) el.textContent = text;
    for (var name in attrs || {}) el.setAttribute(name, attrs[name]);
    return el;
  }
  function folderColor(group) { return group < 0 || group >= PALETTE.length ? OTHER_FOLDERS : PALETTE[group]; }
  function nodeColor(i) { return nodes.kind[i] === 0 ? folderColor(nodes.group[i]) : NODE_KINDS[nodes.kind[i]].color; }
  function groupOf(kind) { return kind === "mentions" || kind === "related" ? kind : "link"; }

  // --- the graph ------------------------------------------------------------------------------
  var graph = new graphology.DirectedGraph();
  var count = nodes.kind.length;
  for (var i = 0; i < count; i++) {
    graph.addNode(String(i), { x: nodes.x[i], y: nodes.y[i], label: nodes.label[i], color: nodeColor(i), kind: nodes.kind[i] });
  }
  for (var j = 0; j < edges.source.length; j++) {
    var kind = data.edgeKinds[edges.kind[j]];
    var group = groupOf(kind);
    graph.addDirectedEdgeWithKey(String(j), String(edges.source[j]), String(edges.target[j]), {
      kind: kind, group: group, weight: edges.weight[j], color: EDGE_GROUPS[group].color, size: group === "mentions" ? 0.5 : 1,
      ends: [nodes.kind[edges.source[j]], nodes.kind[edges.target[j]]],
    });
  }
  // Sized by degree; smaller as the graph grows, so that 10,000 notes still leave room between them.
  var scale = Math.max(0.4, Math.min(1, Math.sqrt(3000 / graph.order)));
  graph.forEachNode(function (node, attrs) {
    var root = Math.sqrt(graph.degree(node));
    var size = attrs.kind === 0 ? Math.min(3 + 1.3 * root, 28) : attrs.kind === 1 ? Math.min(2 + root, 12) : Math.min(1 + 0.4 * root, 6);
    graph.mergeNodeAttributes(node, { size: size * scale, zIndex: 2 - attrs.kind });
  });
  mark("built");
  status.nodes = graph.order;
  status.edges = graph.size;

  // --- drawing --------------------------------------------------------------------------------
  function focusSet(node) {
    var set = new Set([node]);
    graph.forEachNeighbor(node, function (other) { set.add(other); });
    return set;
  }
  // Past 50,000 edges, mentions (most of them) start hidden: drawing them all slows every frame.
  // There too, hovering only brings a node's neighbourhood forward and redraws just that
  // (redrawing every node and edge, as fading the rest takes, costs a frame per hover);
  // clicking a node fades the rest, on any graph.
  var LARGE = graph.size > 50000;
  EDGE_GROUPS.mentions.shown = !LARGE;
  var faded = null; // the nodes left as they are while the rest fades (the focus's neighbourhood)
  var forward = null; // large graphs: the hovered node's neighbourhood, brought forward
  function focusOf(node) { return node === hovered || node === selected; }
  function fadeCentre() { return hovered !== null && !LARGE ? hovered : selected; }
  var renderer = new Sigma(graph, document.getElementById("graph"), {
    defaultEdgeType: "line",
    labelRenderedSizeThreshold: Math.max(5, 9 * scale),
    labelDensity: 0.08,
    labelGridCellSize: 70,
    labelFont: "system-ui, sans-serif",
    zIndex: true,
    hideEdgesOnMove: graph.size > 20000,
    minCameraRatio: 0.01,
    maxCameraRatio: 4,
    nodeReducer: function (node, attrs) {
      if (!kindShown[attrs.kind]) return Object.assign({}, attrs, { hidden: true });
      if (faded !== null && !faded.has(node)) return Object.assign({}, attrs, { color: FADED, label: "", zIndex: 0 });
      if (faded !== null || (forward !== null && forward.has(node))) {
        return Object.assign({}, attrs, { zIndex: 3, highlighted: focusOf(node), forceLabel: focusOf(node) });
      }
      return attrs;
    },
    edgeReducer: function (edge, attrs) {
      if (!EDGE_GROUPS[attrs.group].shown || !kindShown[attrs.ends[0]] || !kindShown[attrs.ends[1]]) {
        return Object.assign({}, attrs, { hidden: true });
      }
      var centre = fadeCentre();
      if (centre === null && hovered === null) return attrs;
      var source = graph.source(edge), target = graph.target(edge);
      if (centre !== null && source !== centre && target !== centre) return Object.assign({}, attrs, { hidden: true });
      if (source === centre || target === centre || source === hovered || target === hovered) {
        return Object.assign({}, attrs, { size: attrs.size * 2, zIndex: 1 });
      }
      return attrs;
    },
  });
  mark("drawn");
  status.rendered = true; // sigma draws once as it is made
  renderer.on("afterRender", function () { status.frames++; });
  status.redraw = function () { // for the benchmark: milliseconds to redraw every node and edge
    var start = performance.now();
    renderer.refresh({ skipIndexation: true });
    return performance.now() - start;
  };
  status.hover = function (node) { // for the benchmark: milliseconds a hover on ``node`` costs
    var start = performance.now();
    hover(node === null ? null : String(node));
    return performance.now() - start;
  };
  function refocus() {
    var centre = fadeCentre();
    faded = centre === null ? null : focusSet(centre);
    renderer.refresh({ skipIndexation: true });
  }
  function hover(node) {
    var before = hovered;
    hovered = node;
    if (!LARGE) return refocus();
    // Only the neighbourhoods of the node left and the node entered change.
    var nodes = [], edges = [];
    [before, node].forEach(function (centre) {
      if (centre === null) return;
      focusSet(centre).forEach(function (other) { nodes.push(other); });
      graph.forEachEdge(centre, function (edge) { edges.push(edge); });
    });
    forward = node === null ? null : focusSet(node);
    renderer.refresh({ partialGraph: { nodes: nodes, edges: edges }, skipIndexation: true });
  }
  renderer.on("enterNode", function (event) { hover(event.node); });
  renderer.on("leaveNode", function () { hover(null); });
  renderer.on("clickNode", function (event) { select(event.node, false); });
  renderer.on("clickStage", function () { select(null, false); });

  // --- the controls ---------------------------------------------------------------------------
  var perKind = [0, 0, 0];
  for (i = 0; i < count; i++) perKind[nodes.kind[i]]++;
  var perGroup = { link: 0, mentions: 0, related: 0 };
  graph.forEachEdge(function (edge, attrs) { perGroup[attrs.group]++; });
  document.getElementById("counts").textContent = perKind[0] + " notes, " + perKind[1] + " missing notes, " +
    perKind[2] + " concepts; " + graph.size + " edges";

  function toggle(fieldset, swatchClass, color, title, number, checked, onChange) {
    var box = element("input", "", { type: "checkbox" });
    box.checked = checked;
    box.addEventListener("change", function () { onChange(box.checked); renderer.refresh({ skipIndexation: true }); });
    var swatch = element("span", "", { class: swatchClass });
    swatch.style.background = color;
    var label = element("label");
    label.append(box, swatch, element("span", title), element("span", String(number), { class: "count" }));
    fieldset.appendChild(label);
  }
  var nodeBox = document.getElementById("nodes-shown");
  NODE_KINDS.forEach(function (kind, index) {
    toggle(nodeBox, "swatch", kind.color || PALETTE[0], kind.title, perKind[index], true, function (on) { kindShown[index] = on; });
  });
  var edgeBox = document.getElementById("edges-shown");
  Object.keys(EDGE_GROUPS).forEach(function (name) {
    var group = EDGE_GROUPS[name];
    toggle(edgeBox, "line", group.color, group.title, perGroup[name], group.shown, function (on) { group.shown = on; });
  });
  var folderList = document.querySelector("#folders ul");
  var perFolder = data.folders.map(function () { return 0; });
  for (i = 0; i < count; i++) if (nodes.kind[i] === 0) perFolder[nodes.group[i]]++;
  data.folders.forEach(function (name, index) {
    if (index > PALETTE.length) return;
    var item = element("li");
    var swatch = element("span", "", { class: "swatch" });
    swatch.style.background = folderColor(index);
    var rest = index === PALETTE.length ? perFolder.slice(index).reduce(function (a, b) { return a + b; }, 0) : perFolder[index];
    var title = index === PALETTE.length ? (data.folders.length - index) + " other folders" : name || "(vault root)";
    item.append(swatch, element("span", title), element("span", String(rest), { class: "count" }));
    folderList.appendChild(item);
  });

  // --- search ---------------------------------------------------------------------------------
  var search = document.getElementById("search");
  var matches = document.getElementById("matches");
  var folded = nodes.label.map(function (label, index) { return (label + "\u0000" + nodes.path[index]).toLowerCase(); });
  function matching(query) {
    var found = [];
    for (var i = 0; i < count; i++) if (kindShown[nodes.kind[i]] && folded[i].indexOf(query) >= 0) found.push(i);
    found.sort(function (a, b) {
      var starts = (folded[b].lastIndexOf(query, 0) === 0) - (folded[a].lastIndexOf(query, 0) === 0);
      return starts || nodes.kind[a] - nodes.kind[b] || graph.degree(String(b)) - graph.degree(String(a)) || a - b;
    });
    return found.slice(0, 12);
  }
  search.addEventListener("input", function () {
    var query = search.value.trim().toLowerCase();
    matches.replaceChildren();
    matches.hidden = query === "";
    if (query === "") return;
    var found = matching(query);
    if (found.length === 0) matches.appendChild(element("li", "nothing matches"));
    found.forEach(function (index, rank) {
      var item = element("li", "", rank === 0 ? { class: "active" } : {});
      var swatch = element("span", "", { class: "swatch" });
      swatch.style.background = nodeColor(index);
      item.append(swatch, element("span", nodes.label[index]));
      item.addEventListener("mousedown", function (event) { event.preventDefault(); pick(index); });
      matches.appendChild(item);
    });
  });
  search.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      var found = matching(search.value.trim().toLowerCase());
      if (found.length) pick(found[0]);
    } else if (event.key === "Escape") {
      search.value = "";
      matches.hidden = true;
    }
  });
  search.addEventListener("blur", function () { matches.hidden = true; });
  function pick(index) {
    matches.hidden = true;
    select(String(index), true);
  }

  // --- details of the selected node ------------------------------------------------------------
  var details = document.getElementById("details");
  function link(node) {
    var a = element("a", graph.getNodeAttribute(node, "label"), { role: "button", tabindex: "0" });
    a.addEventListener("click", function () { select(node, true); });
    a.addEventListener("keydown", function (event) { if (event.key === "Enter") select(node, true); });
    return a;
  }
  function section(title, items, render) {
    if (items.length === 0) return;
    details.appendChild(element("h3", title + " (" + items.length + ")"));
    var list = element("ul");
    items.forEach(function (item) {
      var li = element("li");
      render(li, item);
      list.appendChild(li);
    });
    details.appendChild(list);
  }
  function around(node, direction, groups) {
    var found = [];
    var each = direction === "out" ? graph.forEachOutEdge : graph.forEachInEdge;
    each.call(graph, node, function (edge, attrs, source, target) {
      if (groups.indexOf(attrs.group) >= 0) found.push({ node: direction === "out" ? target : source, edge: edge, attrs: attrs });
    });
    return found.sort(function (a, b) { return b.attrs.weight - a.attrs.weight || Number(a.node) - Number(b.node); });
  }
  function labelled(li, item) {
    li.appendChild(link(item.node));
    var kind = graph.getNodeAttribute(item.node, "kind");
    if (kind === 1) li.append(" ", element("span", "(missing)", { class: "score" }));
  }
  function describe(node) {
    var i = Number(node), kind = nodes.kind[i];
    details.replaceChildren();
    var close = element("button", "×", { id: "close", type: "button", "aria-label": "Close" });
    close.addEventListener("click", function () { select(null, false); });
    details.append(close, element("h2", nodes.label[i]));
    var what = kind === 0 ? "note" : kind === 1 ? "missing note: linked to, not written yet" : nodes.termKind[i] + " concept, stated by " + nodes.df[i] + " notes";
    details.appendChild(element("p", what, { class: "meta" }));
    if (nodes.path[i]) details.appendChild(element("p", nodes.path[i], { class: "path" }));
    if (kind === 0) {
      details.appendChild(element("p", nodes.words[i] + " content words", { class: "meta" }));
      [["tags", nodes.tags[i]], ["aliases", nodes.aliases[i]]].forEach(function (pair) {
        if (pair[1].length === 0) return;
        var p = element("p", pair[0] + ": ");
        pair[1].forEach(function (value) { p.appendChild(element("span", value, { class: "tag" })); });
        details.appendChild(p);
      });
      section("Related", around(node, "out", ["related"]), function (li, item) {
        li.append(link(item.node), " ", element("span", item.attrs.weight.toFixed(2), { class: "score" }));
        var why = data.reasons[item.edge];
        if (why && why.length) li.appendChild(element("span", why.join(", "), { class: "reasons" }));
      });
      section("Links", around(node, "out", ["link"]), labelled);
      section("Backlinks", around(node, "in", ["link"]), labelled);
      section("Listed as related by", around(node, "in", ["related"]), labelled);
      section("Concepts", around(node, "out", ["mentions"]).slice(0, 30), labelled);
    } else {
      section(kind === 1 ? "Linked from" : "Stated by", around(node, "in", kind === 1 ? ["link"] : ["mentions"]), labelled);
    }
    details.hidden = false;
  }
  function select(node, move) {
    if (node !== null && !kindShown[graph.getNodeAttribute(node, "kind")]) return;
    selected = node;
    var wasOpen = !details.hidden;
    if (node === null) details.hidden = true; else describe(node);
    if (wasOpen === details.hidden) { // the graph makes room for the details (graph.css), or takes it back
      document.body.classList.toggle("with-details", !details.hidden);
      renderer.resize(true);
    }
    if (node !== null && move) {
      var shown = renderer.getNodeDisplayData(node);
      var camera = renderer.getCamera();
      camera.animate({ x: shown.x, y: shown.y, ratio: Math.min(camera.ratio, 0.5) }, { duration: 400 });
    }
    refocus();
  }

  // --- refining the layout: ForceAtlas2 in a web worker, started and stopped by hand ---------
  // The positions came laid out (vaultlink computes the layout when it writes the page);
  // ForceAtlas2 can tighten them further, at the cost of redrawing the graph at every step.
  var layoutStatus = document.getElementById("layout-status");
  var layoutButton = document.getElementById("layout-toggle");
  var layout = null, started = 0;
  graph.on("eachNodeAttributesUpdated", function () { status.iterations++; });
  function showLayout() {
    var running = layout !== null && layout.isRunning();
    layoutStatus.textContent = running ? "ForceAtlas2 is refining the layout…" : "";
    layoutButton.textContent = running ? "Stop refining" : "Refine the layout (ForceAtlas2)";
    status.layout = running ? "running" : "still";
  }
  layoutButton.addEventListener("click", function () {
    if (layout === null) {
      var settings = Object.assign(graphologyLibrary.layoutForceAtlas2.inferSettings(graph), data.fa2);
      layout = new graphologyLibrary.FA2Layout(graph, { settings: settings, getEdgeWeight: null });
    }
    if (layout.isRunning()) {
      layout.stop();
      status.layoutSeconds = (performance.now() - started) / 1000;
    } else {
      started = performance.now();
      layout.start();
    }
    showLayout();
  });
  showLayout();
})();
