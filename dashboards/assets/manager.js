/*
 * The manager's response-time map: style and tooltip of the H3 hexagons (dash-leaflet).
 * Python refers to them as {"variable": "managerMap.<name>"}; `context.hideout` carries the
 * colour bins ({bins: [15, 30, 45, 60], colors: [5 colours], sparse: "#8b949e"}).
 * A hexagon with too few jobs for its median to mean anything is drawn HATCHED, never
 * coloured: its fill is the SVG pattern #mgr-hatch, added once to the page (Leaflet's SVG
 * paths may use any pattern of the document as their fill).
 */
(function () {
    "use strict";

    var HATCH_ID = "mgr-hatch";

    function ensureHatch(color) {
        if (document.getElementById(HATCH_ID)) { return; }
        var ns = "http://www.w3.org/2000/svg";
        var svg = document.createElementNS(ns, "svg");
        svg.setAttribute("width", "0");
        svg.setAttribute("height", "0");
        svg.setAttribute("aria-hidden", "true");
        svg.style.position = "absolute";
        var pattern = document.createElementNS(ns, "pattern");
        pattern.setAttribute("id", HATCH_ID);
        pattern.setAttribute("patternUnits", "userSpaceOnUse");
        pattern.setAttribute("width", "8");
        pattern.setAttribute("height", "8");
        pattern.setAttribute("patternTransform", "rotate(45)");
        var back = document.createElementNS(ns, "rect");
        back.setAttribute("width", "8");
        back.setAttribute("height", "8");
        back.setAttribute("fill", color);
        back.setAttribute("fill-opacity", "0.15");
        var line = document.createElementNS(ns, "line");
        line.setAttribute("x1", "0");
        line.setAttribute("y1", "0");
        line.setAttribute("x2", "0");
        line.setAttribute("y2", "8");
        line.setAttribute("stroke", color);
        line.setAttribute("stroke-width", "3");
        pattern.appendChild(back);
        pattern.appendChild(line);
        var defs = document.createElementNS(ns, "defs");
        defs.appendChild(pattern);
        svg.appendChild(defs);
        document.body.appendChild(svg);
    }

    function colourOf(minutes, hideout) {
        var bins = hideout.bins || [];
        var colors = hideout.colors || [];
        for (var i = 0; i < bins.length; i++) {
            if (minutes <= bins[i]) { return colors[i]; }
        }
        return colors[colors.length - 1];
    }

    window.managerMap = {
        styleHex: function (feature, context) {
            var hideout = (context && context.hideout) || {};
            var p = feature.properties;
            if (p.sparse) {
                ensureHatch(hideout.sparse || "#8b949e");
                return {color: "#6e7681", weight: 1, dashArray: "4 3",
                        fillColor: "url(#" + HATCH_ID + ")", fillOpacity: 1,
                        className: "mgr-hex mgr-hex-sparse"};
            }
            return {color: "#1f2328", weight: 1, fillColor: colourOf(p.median_min, hideout),
                    fillOpacity: 0.62, className: "mgr-hex mgr-hex-coloured"};
        },
        bindHex: function (feature, layer) {
            var p = feature.properties;
            layer.bindTooltip(
                p.jobs + " · " + (p.sparse ? "—" : p.median_min + " / " + p.p90_min + " min"),
                {sticky: true});
        }
    };
}());

/*
 * The replay of a past day: the day's tickets and crew tracks are in a dcc.Store (read once);
 * `frame` picks what was open at the slider's minute and where each crew last reported.
 */
(function () {
    "use strict";

    function pad(n) { return (n < 10 ? "0" : "") + n; }

    function frame(day, minutes) {
        var empty = {type: "FeatureCollection", features: []};
        if (!day) { return [empty, ""]; }
        var m = Number(minutes) || 0;
        var at = day.start + m * 60;
        var features = [];
        var open = 0;
        (day.tickets || []).forEach(function (tk) {
            if (tk.from <= at && (tk.to === null || tk.to > at)) {
                open += 1;
                features.push({type: "Feature", geometry: {type: "Point",
                    coordinates: [tk.lon, tk.lat]},
                    properties: {kind: "ticket", label: tk.number, priority: tk.priority}});
            }
        });
        Object.keys(day.crews || {}).forEach(function (code) {
            var last = null;
            day.crews[code].forEach(function (fix) { if (fix[0] <= at) { last = fix; } });
            if (last) {
                features.push({type: "Feature", geometry: {type: "Point",
                    coordinates: [last[1], last[2]]}, properties: {kind: "crew", label: code}});
            }
        });
        var clock = pad(Math.floor(m / 60)) + ":" + pad(m % 60);
        var text = (day.text || "{n} @ {time}").replace("{n}", open).replace("{time}", clock);
        return [{type: "FeatureCollection", features: features}, text];
    }

    // Added to Dash's own object, never replacing it: the renderer keeps its references
    // (set_props, callback_context) on that object, and every page loads this file.
    window.dash_clientside = window.dash_clientside || {};
    window.dash_clientside.managerReplay = {frame: frame};
    window.managerReplay = {
        point: function (feature, latlng) {
            var crew = feature.properties.kind === "crew";
            return L.circleMarker(latlng, {
                radius: crew ? 6 : 7, weight: 2,
                color: crew ? "#58a6ff" : "#ff7b72", fillOpacity: crew ? 0.9 : 0.6,
                className: crew ? "replay-crew" : "replay-ticket"});
        },
        bind: function (feature, layer) { layer.bindTooltip(feature.properties.label); }
    };
}());
