/* The map of groups: one canvas-drawn circle per group, so thousands of points stay smooth.
   Reads its settings from <script id="map-config">; fetches GeoJSON from the page's own URL with the
   same filters. Works without tiles (offline): points on a plain background with a light grid. */
(function () {
  "use strict";
  var configEl = document.getElementById("map-config");
  var el = document.getElementById("map");
  var statusEl = document.getElementById("map-status");
  if (!configEl || !el || typeof L === "undefined") return;
  var cfg = JSON.parse(configEl.textContent);
  var COLORS = layerColors();

  // The layer colours of the stylesheet (--action, --network, --support), so every page agrees.
  function layerColors() {
    var css = getComputedStyle(document.documentElement);
    function v(name, fallback) { return (css.getPropertyValue(name) || "").trim() || fallback; }
    return { action: v("--action", "#0f8a5f"), network: v("--network", "#1f6feb"), support: v("--support", "#6d3fc0") };
  }

  var renderer = L.canvas({ padding: 0.5 });
  var map = L.map(el, {
    preferCanvas: true, renderer: renderer, worldCopyJump: true, minZoom: 1, zoomSnap: 0.25, zoomDelta: 0.5,
  });
  map.setView([0, 20], 2);
  L.control.scale({ imperial: false }).addTo(map);

  if (cfg.tileUrl) {
    L.tileLayer(cfg.tileUrl, { attribution: cfg.tileAttribution || "", maxZoom: 19 }).addTo(map);
  } else {
    el.classList.add("geo-plain");
    drawGraticule();
    map.attributionControl.addAttribution("No map tiles configured: groups on a latitude/longitude grid");
  }

  function drawGraticule() {
    var style = { color: "#b8c4ce", weight: 0.6, interactive: false, renderer: renderer };
    var lines = [];
    for (var lat = -80; lat <= 80; lat += 10) lines.push([[lat, -180], [lat, 180]]);
    for (var lon = -180; lon <= 180; lon += 10) lines.push([[-85, lon], [85, lon]]);
    L.polyline(lines, style).addTo(map);
    L.polyline([[[0, -180], [0, 180]]], { color: "#8fa1b0", weight: 1, interactive: false, renderer: renderer }).addTo(map);
  }

  function say(text) { if (statusEl) statusEl.textContent = text; }

  function popup(feature) {
    var p = feature.properties;
    var box = document.createElement("div");
    var a = document.createElement("a");
    a.href = cfg.groupUrl.replace("{id}", String(feature.id));
    a.textContent = p.name;
    a.className = "geo-popup-title";
    box.appendChild(a);
    var meta = document.createElement("div");
    meta.className = "geo-popup-meta";
    meta.textContent = [p.kind, p.status, p.code].filter(Boolean).join(" · ");
    box.appendChild(meta);
    return box;
  }

  var params = new URLSearchParams(window.location.search);
  params.set("format", "geojson");
  say("Loading the map…");
  fetch(cfg.dataUrl + "?" + params.toString(), { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
    .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
    .then(function (data) {
      var features = data.features || [];
      // Action groups first, so the network and support hubs are drawn on top of them.
      var order = { action: 0, network: 1, support: 2 };
      features.sort(function (a, b) { return (order[a.properties.layer] || 0) - (order[b.properties.layer] || 0); });
      var bounds = L.latLngBounds([]);
      features.forEach(function (f) {
        var c = f.geometry.coordinates;
        var latlng = L.latLng(c[1], c[0]);
        bounds.extend(latlng);
        var color = COLORS[f.properties.layer] || "#495057";
        var closed = f.properties.status === "closed";
        L.circleMarker(latlng, {
          renderer: renderer,
          radius: f.properties.layer === "action" ? 5 : 7,
          color: "#ffffff",
          weight: 1,
          fillColor: color,
          fillOpacity: closed ? 0.35 : 0.85,
        }).bindPopup(function () { return popup(f); }).bindTooltip(f.properties.name, { direction: "top" }).addTo(map);
      });
      if (features.length === 1) {
        map.setView(bounds.getCenter(), 9);
      } else if (features.length > 1) {
        map.fitBounds(bounds.pad(0.05), { maxZoom: 12 });
      }
      var n = features.length;
      var text = n === 0 ? "No group you can see has a place on the map with these filters."
        : n.toLocaleString() + (n === 1 ? " group" : " groups") + " on the map.";
      if (data.truncated) text += " Only the first " + data.cap.toLocaleString() + " are drawn: narrow the filters to see the rest.";
      say(text);
    })
    .catch(function () { say("The map data could not be loaded. Reload the page to try again."); });
})();
