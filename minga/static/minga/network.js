/* The network view: groups as nodes (colour = layer, size = number of links), links as edges, bridging
   groups ringed. Cytoscape with the built-in "cose" layout: no download, no build step. */
(function () {
  "use strict";
  var configEl = document.getElementById("network-config");
  var el = document.getElementById("network");
  var statusEl = document.getElementById("network-status");
  var info = document.getElementById("network-info");
  if (!configEl || !el || typeof cytoscape === "undefined") return;
  var cfg = JSON.parse(configEl.textContent);
  var COLORS = layerColors();

  // The layer colours of the stylesheet (--action, --network, --support), so every page agrees.
  function layerColors() {
    var css = getComputedStyle(document.documentElement);
    function v(name, fallback) { return (css.getPropertyValue(name) || "").trim() || fallback; }
    return { action: v("--action", "#0f8a5f"), network: v("--network", "#1f6feb"), support: v("--support", "#6d3fc0") };
  }

  function say(text) { if (statusEl) statusEl.textContent = text; }

  function showInfo(node) {
    info.textContent = "";
    var h = document.createElement("h2");
    var a = document.createElement("a");
    a.href = cfg.groupUrl.replace("{id}", String(node.data("pk")));
    a.textContent = node.data("label");
    h.appendChild(a);
    info.appendChild(h);
    var facts = [
      node.data("code"),
      node.data("layer") + " layer",
      node.data("status"),
      node.data("degree") + (node.data("degree") === 1 ? " link" : " links"),
    ];
    if (node.data("bridging")) facts.push("bridging group");
    var p = document.createElement("p");
    p.className = "muted";
    p.textContent = facts.join(" · ");
    info.appendChild(p);
    var neighbours = node.connectedEdges('[kind != "tree"]').connectedNodes().not(node);
    if (neighbours.length) {
      var title = document.createElement("p");
      title.textContent = "Linked with:";
      info.appendChild(title);
      var ul = document.createElement("ul");
      neighbours.slice(0, 25).forEach(function (n) {
        var li = document.createElement("li");
        li.textContent = n.data("label");
        ul.appendChild(li);
      });
      info.appendChild(ul);
    }
  }

  var params = new URLSearchParams(window.location.search);
  params.set("format", "json");
  fetch(cfg.dataUrl + "?" + params.toString(), { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
    .then(function (data) {
      var n = data.nodes.length;
      if (n === 0) { say("There is no group you can see here."); return; }
      say("Arranging " + n.toLocaleString() + " groups…");
      var maxDegree = 1;
      data.nodes.forEach(function (node) { if (node.data.degree > maxDegree) maxDegree = node.data.degree; });
      var big = n > 400;
      // Area grows with the number of links; network and support groups stay visible as the tree's hubs.
      function size(e) {
        var d = 8 + 30 * Math.sqrt(e.data("degree") / maxDegree);
        return e.data("layer") === "action" ? d : Math.max(d, 18);
      }
      var cy = cytoscape({
        container: el,
        elements: data.nodes.concat(data.edges),
        minZoom: 0.05,
        maxZoom: 4,
        textureOnViewport: big,
        hideEdgesOnViewport: big,
        style: [
          { selector: "node", style: {
            "background-color": function (e) { return COLORS[e.data("layer")] || "#495057"; },
            "width": size,
            "height": size,
            "label": "",
            "font-size": 11,
            // Labels appear as you zoom in; bridging and hub groups (bigger font) show theirs first.
            "min-zoomed-font-size": 13,
            "text-valign": "bottom",
            "text-margin-y": 3,
            "color": "#212529",
            "text-outline-color": "#ffffff",
            "text-outline-width": 2,
            "border-color": "#ffffff",
            "border-width": 1,
          } },
          // Names only for the groups that orient a reader (hubs, bridges, the most linked); the rest
          // show theirs on hover or when selected, so hundreds of labels never pile up.
          { selector: "node.named, node.hover, node:selected", style: { "label": "data(label)" } },
          { selector: 'node[layer != "action"]', style: {
            "label": "data(label)", "font-size": 13, "font-weight": "bold", "z-index": 5,
          } },
          { selector: 'node[status = "closed"]', style: { "opacity": 0.4 } },
          { selector: "node[?bridging]", style: {
            "label": "data(label)", "border-color": "#f59f00", "border-width": 5, "font-weight": "bold",
            "z-index": 10,
          } },
          { selector: "edge", style: {
            "width": "mapData(weight, 0, 10, 1, 5)", "line-color": "#868e96", "curve-style": "haystack", "opacity": 0.7,
          } },
          { selector: 'edge[kind = "tree"]', style: {
            "width": 1, "line-color": "#ced4da", "line-style": "dashed", "opacity": 0.8,
          } },
          { selector: "node:selected", style: { "border-color": "#000000", "border-width": 4 } },
          { selector: ".faded", style: { "opacity": 0.12 } },
        ],
      });
      var degrees = data.nodes.map(function (node) { return node.data.degree; }).sort(function (a, b) { return b - a; });
      var named = Math.max(2, degrees[Math.min(degrees.length - 1, 9)]);  // the ten most linked, roughly
      cy.nodes().filter(function (node) { return node.data("degree") >= named; }).addClass("named");
      cy.on("mouseover", "node", function (evt) { evt.target.addClass("hover"); });
      cy.on("mouseout", "node", function (evt) { evt.target.removeClass("hover"); });
      var started = window.performance.now();
      var layout = cy.layout({
        name: "cose",
        animate: false,
        randomize: true,
        nodeDimensionsIncludeLabels: false,
        numIter: big ? 250 : 500,
        coolingFactor: 0.95,
        idealEdgeLength: function (edge) { return edge.data("kind") === "tree" ? 40 : 70; },
        nodeRepulsion: function () { return big ? 4000 : 8000; },
        gravity: 1.2,
      });
      layout.one("layoutstop", function () {
        el.setAttribute("data-ready", "1");
        el.setAttribute("data-layout-ms", String(Math.round(window.performance.now() - started)));
      });
      layout.run();
      cy.on("tap", "node", function (evt) {
        var node = evt.target;
        cy.elements().addClass("faded");
        node.closedNeighborhood().removeClass("faded");
        showInfo(node);
      });
      cy.on("tap", function (evt) { if (evt.target === cy) cy.elements().removeClass("faded"); });
      cy.on("dbltap", "node", function (evt) {
        window.location.href = cfg.groupUrl.replace("{id}", String(evt.target.data("pk")));
      });
      var text = n.toLocaleString() + (n === 1 ? " group, " : " groups, ") + data.links.toLocaleString() +
        (data.links === 1 ? " link." : " links.");
      if (data.truncated) text += " Only the top " + data.cap.toLocaleString() + " groups of the tree are drawn: choose a part of the network to see the rest.";
      // When the metrics were computed is said once, above the drawing (the page's freshness line).
      if (data.bridging) text += " " + data.bridging + " bridging group" + (data.bridging === 1 ? "" : "s") + " ringed.";
      else if (!data.snapshot_at) text += " Bridging groups appear once the network metrics have been computed.";
      say(text);
    })
    .catch(function () { say("The network could not be loaded. Reload the page to try again."); });
})();
