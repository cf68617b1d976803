/*
 * Style, marker and popup functions of the network map, for dash-leaflet.
 *
 * Python refers to them as {"variable": "gasMap.<name>"}. dash-leaflet calls each with its usual
 * Leaflet arguments plus a last `context` argument: the GeoJSON component's props, including
 * `context.hideout` (colours and titles sent from Python) and `context.map` (the Leaflet map).
 *
 * Points are circle markers and clusters are CSS-styled div icons, so no marker image is fetched
 * (the map works offline). Each kind of feature is drawn in its own pane so the stacking order
 * does not depend on which layer's data arrives first; streets and buildings go to canvas
 * (thousands of lines), the network to SVG (classes gm-main, gm-crew, ... for styling and tests).
 */
(function () {
    "use strict";

    // z-index of each pane: above tiles (200), below Leaflet's markers (600) and tooltips (650).
    var PANE_Z = {buildings: 240, streets: 250, labels: 260, zone: 370, areas: 380, mains: 410,
                  points: 450, crews: 470, incidents: 480};
    // Street names are drawn from this zoom on, at most one per name in each cell of the grid.
    var LABEL_MIN_ZOOM = 16;
    var LABEL_CELL_PX = 260;
    var MAJOR_STREETS = {motorway: 3.5, trunk: 3.5, primary: 3, secondary: 2.5, tertiary: 2};
    var MINOR_STREETS = {unclassified: 2, residential: 1.8, living_street: 1.5, service: 1.2};
    var ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"};

    function pane(map, name) {
        var id = "gm-" + name;
        if (!map.getPane(id)) {
            map.createPane(id).style.zIndex = String(PANE_Z[name]);
        }
        return id;
    }

    function canvasIn(map, paneId) {
        // One canvas renderer per pane and map, kept on the map itself.
        map._gasMapCanvas = map._gasMapCanvas || {};
        if (!map._gasMapCanvas[paneId]) {
            map._gasMapCanvas[paneId] = L.canvas({pane: paneId, padding: 0.5});
        }
        return map._gasMapCanvas[paneId];
    }

    function esc(value) {
        return String(value).replace(/[&<>"']/g, function (c) { return ENTITIES[c]; });
    }

    // Values in the page's language: hideout.words.values maps codes (a status, a material...)
    // to words from the translation tables (dashboards.components.network_map.popup_words).
    function show(key, value, words) {
        var values = (words && words.values) || {};
        if (value === null || value === undefined || value === "") { return "—"; }
        if (Array.isArray(value)) {
            return value.map(function (v) { return show("", v, words); }).join(", ");
        }
        if (typeof value === "boolean") {
            return value ? (values.yes || "yes") : (values.no || "no");
        }
        if (typeof value === "string" && values[value]) { return values[value]; }
        if (/_at$/.test(key)) {
            var when = new Date(value);
            if (!isNaN(when.getTime())) { return when.toLocaleString(); }
        }
        return String(value);
    }

    function heading(properties, hideout) {
        var title = hideout.title || "";
        var value = properties[hideout.labelProp];
        return value === null || value === undefined ? title : title + " " + value;
    }

    function infoHtml(properties, hideout) {
        var words = hideout.words || {};
        var names = words.keys || {};
        var hidden = words.hidden || [];
        var rows = Object.keys(properties).filter(function (key) {
            return hidden.indexOf(key) < 0;
        }).map(function (key) {
            return "<tr><th>" + esc(names[key] || key.replace(/_/g, " ")) + "</th><td>" +
                esc(show(key, properties[key], words)) + "</td></tr>";
        });
        return "<div class=\"gm-popup\"><div class=\"gm-popup-title\">" +
            esc(heading(properties, hideout)) + "</div><table>" + rows.join("") + "</table></div>";
    }

    // Marker sizes follow the page's type size: a 4K wall (root font 32 px) doubles them.
    function scale() {
        var root = parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
        return Math.max(1, root / 16);
    }

    function circle(latlng, context, paneName, options) {
        var k = scale();
        options.pane = pane(context.map, paneName);
        options.radius = (options.radius || 5) * k;
        options.weight = (options.weight || 1) * k;
        return L.circleMarker(latlng, options);
    }

    // --- street names ------------------------------------------------------------------------
    // Each named street segment is registered; at LABEL_MIN_ZOOM and above the segments in view
    // get a label along their middle, one per street name in each grid cell, so names do not
    // pile up. Drawn by the browser from the offline street layer: no tiles, no fonts fetched.
    function labelState(map) {
        if (!map._gasLabels) {
            var state = {segments: [], group: L.layerGroup().addTo(map), pending: null};
            map._gasLabels = state;
            map.on("zoomend moveend", function () { scheduleLabels(map); });
        }
        return map._gasLabels;
    }

    function scheduleLabels(map) {
        var state = labelState(map);
        if (state.pending) { return; }
        state.pending = setTimeout(function () { state.pending = null; drawLabels(map); }, 50);
    }

    function middleOf(latlngs) {
        var mid = Math.floor((latlngs.length - 1) / 2);
        var a = latlngs[mid], b = latlngs[Math.min(mid + 1, latlngs.length - 1)];
        return {a: a, b: b, at: L.latLng((a.lat + b.lat) / 2, (a.lng + b.lng) / 2)};
    }

    function drawLabels(map) {
        var state = labelState(map);
        state.group.clearLayers();
        if (map.getZoom() < LABEL_MIN_ZOOM) { return; }
        var view = map.getBounds().pad(0.1);
        var taken = {};
        var paneId = pane(map, "labels");
        state.segments.forEach(function (seg) {
            var m = middleOf(seg.latlngs);
            if (!view.contains(m.at)) { return; }
            var p = map.latLngToContainerPoint(m.at);
            var cell = seg.name + "|" + Math.floor(p.x / LABEL_CELL_PX) + "|" +
                Math.floor(p.y / LABEL_CELL_PX);
            if (taken[cell]) { return; }
            taken[cell] = true;
            var pa = map.latLngToContainerPoint(m.a), pb = map.latLngToContainerPoint(m.b);
            var angle = Math.atan2(pb.y - pa.y, pb.x - pa.x) * 180 / Math.PI;
            if (angle > 90) { angle -= 180; }
            if (angle < -90) { angle += 180; }
            state.group.addLayer(L.marker(m.at, {
                pane: paneId, interactive: false, keyboard: false,
                icon: L.divIcon({
                    className: "gm-street-label", iconSize: [0, 0],
                    html: "<span style=\"transform: translate(-50%, -50%) rotate(" +
                          angle.toFixed(1) + "deg)\">" + esc(seg.name) + "</span>"
                })
            }));
        });
    }

    function hideoutOf(context) {
        return (context && context.hideout) || {};
    }

    var gasMap = {
        // --- popups and tooltips -------------------------------------------------------------
        bindInfo: function (feature, layer, context) {
            var properties = feature.properties || {};
            if (properties.cluster) { return; }
            var hideout = hideoutOf(context);
            var isPoint = feature.geometry && feature.geometry.type === "Point";
            layer.bindTooltip(esc(heading(properties, hideout)),
                {sticky: !isPoint, className: "gm-tooltip", direction: "top"});
            layer.bindPopup(infoHtml(properties, hideout), {className: "gm-popup-wrap", maxWidth: 360});
        },
        bindStreetName: function (feature, layer, context) {
            var name = feature.properties && feature.properties.name;
            if (!name) { return; }
            layer.bindTooltip(esc(name), {sticky: true, className: "gm-tooltip"});
            var map = context && context.map;
            var latlngs = layer.getLatLngs && layer.getLatLngs();
            if (!map || !latlngs || latlngs.length < 2 || Array.isArray(latlngs[0])) { return; }
            labelState(map).segments.push({name: String(name), latlngs: latlngs});
            scheduleLabels(map);
        },
        // The selected incident: its plan's popups, and the map brought to it once per new
        // selection (its warning zone in full when it has one, else the incident itself).
        bindSelection: function (feature, layer, context) {
            // Features come zone first, incident last (dispatch.wall_read_model.selection_geojson).
            gasMap.bindInfo(feature, layer, context);
            var p = feature.properties || {};
            var map = context && context.map;
            if (!map || (p.kind !== "incident" && p.kind !== "warning_zone")) { return; }
            if (map._gasSelected === p.ticket_id) { return; }  // already brought into view
            map._gasSelected = p.ticket_id;
            if (p.kind === "warning_zone") {
                map.flyToBounds(layer.getBounds().pad(0.6), {maxZoom: 17, duration: 0.6});
            } else {
                map.flyTo(layer.getLatLng(), Math.max(map.getZoom(), 17), {duration: 0.6});
            }
        },

        // --- lines and polygons ----------------------------------------------------------------
        styleStreet: function (feature, context) {
            var highway = (feature.properties || {}).highway;
            var paneId = pane(context.map, "streets");
            var major = MAJOR_STREETS[highway];
            // Quiet streets (no main under most) stay clearly visible: light grey, not faint.
            return {
                pane: paneId, renderer: canvasIn(context.map, paneId),
                color: major ? "#dfe5ec" : "#a9b3bf", opacity: major ? 0.95 : 0.9,
                weight: (major || MINOR_STREETS[highway] || 1.2) * scale(),
                lineCap: "round", lineJoin: "round"
            };
        },
        styleBuilding: function (feature, context) {
            var paneId = pane(context.map, "buildings");
            return {
                pane: paneId, renderer: canvasIn(context.map, paneId),
                color: "#4a5462", weight: 0.5, opacity: 0.6, fillColor: "#353e4a", fillOpacity: 0.45
            };
        },
        styleDistrict: function (feature, context) {
            return {
                pane: pane(context.map, "areas"), className: "gm-district",
                color: "#7f93a8", weight: 1.5, opacity: 0.8, dashArray: "8 6", fill: false
            };
        },
        styleMain: function (feature, context) {
            var p = feature.properties || {};
            var colors = hideoutOf(context).pressureColors || {};
            var style = {
                pane: pane(context.map, "mains"),
                className: "gm-main gm-main-" + p.pressure_class,
                color: colors[p.pressure_class] || "#ffffff", opacity: 0.95,
                weight: Math.max(1.5, Math.min(6, 1 + (p.diameter_mm || 100) / 80)) * scale(),
                lineCap: "round", lineJoin: "round"
            };
            if (p.status === "out_of_service") {
                style.dashArray = "6 6";
                style.opacity = 0.6;
            } else if (p.status === "planned") {
                style.dashArray = "2 6";
                style.opacity = 0.7;
            } else if (p.status === "abandoned") {
                style.color = "#6b7480";
                style.dashArray = "1 5";
                style.opacity = 0.5;
            }
            return style;
        },

        // --- points ----------------------------------------------------------------------------
        pointValve: function (feature, latlng, context) {
            var p = feature.properties || {};
            var colors = hideoutOf(context).valveColors || {};
            var inoperable = p.operable === false;
            return circle(latlng, context, "points", {
                radius: 4, className: "gm-valve",
                color: inoperable ? colors.inoperable : "#0b0f14", weight: inoperable ? 3 : 1.5,
                fillColor: p.currently_open === false ? colors.closed : colors.open, fillOpacity: 1
            });
        },
        pointStation: function (feature, latlng, context) {
            return circle(latlng, context, "points", {
                radius: 7, className: "gm-station",
                color: "#ffffff", weight: 2, fillColor: "#b26bff", fillOpacity: 1
            });
        },
        pointMeter: function (feature, latlng, context) {
            return circle(latlng, context, "points", {
                radius: 3.5, className: "gm-meter",
                color: "#0b0f14", weight: 1, fillColor: "#9fb3c8", fillOpacity: 0.9
            });
        },
        pointDepot: function (feature, latlng, context) {
            return circle(latlng, context, "points", {
                radius: 9, className: "gm-depot",
                color: "#ffffff", weight: 2.5, fillColor: "#3d7eff", fillOpacity: 1
            });
        },
        pointCrew: function (feature, latlng, context) {
            var p = feature.properties || {};
            var colors = hideoutOf(context).crewColors || {};
            // A stale crew (no fix for 5 min) is drawn hollow with a dashed red ring.
            var dot = circle(latlng, context, "crews", {
                radius: 8, className: "gm-crew gm-crew-" + p.status + (p.stale ? " gm-crew-stale" : ""),
                color: p.stale ? "#ff2d55" : "#ffffff", weight: 2.5,
                dashArray: p.stale ? "3 3" : null,
                fillColor: colors[p.status] || "#ffffff", fillOpacity: p.stale ? 0.25 : 1
            });
            if (p.heading_deg === null || p.heading_deg === undefined) { return dot; }
            // A small arrow beside the dot shows which way the crew is heading.
            var side = 28 * scale();
            var arrow = L.marker(latlng, {
                pane: pane(context.map, "crews"), interactive: false, keyboard: false,
                icon: L.divIcon({
                    className: "gm-crew-heading", iconSize: [side, side],
                    iconAnchor: [side / 2, side / 2],
                    html: "<div style=\"transform: rotate(" + Number(p.heading_deg) +
                          "deg)\">&#9650;</div>"
                })
            });
            return L.featureGroup([arrow, dot]);
        },
        pointIncident: function (feature, latlng, context) {
            var p = feature.properties || {};
            var colors = hideoutOf(context).priorityColors || {};
            var classes = "gm-incident gm-incident-p" + p.priority +
                (p.at_risk ? " gm-incident-at-risk" : "") + (p.selected ? " gm-incident-selected" : "");
            return circle(latlng, context, "incidents", {
                radius: p.priority === 1 ? 12 : 9, className: classes,
                color: p.at_risk ? "#ff2d55" : "#ffffff", weight: p.at_risk ? 4 : 2.5,
                fillColor: colors[p.priority] || "#ffffff", fillOpacity: 0.95
            });
        },
        styleRoute: function (feature, context) {
            return {color: "#00e5ff", weight: 4 * scale(), opacity: 0.85, dashArray: "8 6",
                    className: "gm-route"};
        },
        styleSelection: function (feature, context) {
            var kind = (feature.properties || {}).kind;
            if (kind === "valve_to_close") {  // Leaflet restyles point markers with this too
                return {color: "#ffffff", weight: 2.5, fillColor: "#ff2d55", fillOpacity: 1,
                        className: "gm-valve-to-close"};
            }
            if (kind === "incident") {
                return {color: "#ffffff", weight: 3 * scale(), fill: false,
                        className: "gm-selected-ring"};
            }
            if (kind === "warning_zone") {  // a solid red edge and a clear fill: seen at once
                return {pane: pane(context.map, "zone"), color: "#ff2d55", weight: 4 * scale(),
                        dashArray: null, fillColor: "#ff2d55", fillOpacity: 0.28,
                        className: "gm-zone"};
            }
            return {color: "#ff2d55", weight: 7 * scale(), opacity: 0.55, className: "gm-out"};
        },
        pointSelection: function (feature, latlng, context) {
            var p = feature.properties || {};
            if (p.kind === "incident") {  // the selected incident: a ring around its marker
                return circle(latlng, context, "incidents", {
                    radius: 18, className: "gm-selected-ring", color: "#ffffff", weight: 3,
                    fill: false, interactive: false
                });
            }
            if (p.n) {  // a valve to close, numbered as in the panel's list
                var side = 22 * scale();
                return L.marker(latlng, {
                    pane: pane(context.map, "incidents"),
                    icon: L.divIcon({
                        className: "gm-valve-pin", iconSize: [side, side],
                        iconAnchor: [side / 2, side / 2], html: "<span>" + esc(p.n) + "</span>"
                    })
                });
            }
            return circle(latlng, context, "incidents", {
                radius: 7, className: "gm-valve-to-close",
                color: "#ffffff", weight: 2.5, fillColor: "#ff2d55", fillOpacity: 1
            });
        },
        pointCamera: function (feature, latlng, context) {
            return circle(latlng, context, "points", {
                radius: 4.5, className: "gm-camera",
                color: "#0b0f14", weight: 1.5, fillColor: "#1de9b6", fillOpacity: 1
            });
        },
        clusterMeters: function (feature, latlng, index, context) {
            // Quiet on purpose: meter clusters are context, not news (see .gm-cluster in map.css).
            var count = feature.properties.point_count;
            var size = (count < 100 ? 20 : (count < 1000 ? 24 : 28)) * scale();
            var icon = L.divIcon({
                html: "<div><span>" + esc(feature.properties.point_count_abbreviated) + "</span></div>",
                className: "gm-cluster", iconSize: L.point(size, size)
            });
            return L.marker(latlng, {icon: icon, pane: pane(context.map, "points")});
        }
    };

    window.gasMap = Object.assign(window.gasMap || {}, gasMap);
}());
