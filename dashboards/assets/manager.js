/*
 * The manager's response-time map: style and tooltip of the H3 hexagons (dash-leaflet).
 * Python refers to them as {"variable": "managerMap.<name>"}; `context.hideout` carries the
 * colour bins ({bins: [15, 30, 45, 60], colors: [5 colours], sparse: "#8b949e"}).
 * A hexagon with too few jobs for its median to mean anything is drawn grey and hatched
 * (dashed outline, faint fill), never coloured.
 */
(function () {
    "use strict";

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
                return {color: "#6e7681", weight: 1, dashArray: "4 3", fillColor: hideout.sparse,
                        fillOpacity: 0.18, className: "mgr-hex mgr-hex-sparse"};
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
