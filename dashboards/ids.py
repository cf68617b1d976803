"""Component ids of the dashboards, in one place so callbacks and tests agree on them."""

# Page frame
PAGE = "page"
HEADER = "header"
ALERT = "alert"

# Network map
MAP = "network-map"
LAYERS_CONTROL = "network-layers-control"
LEGEND = "network-legend"

# Map layers (dl.GeoJSON components), one per served layer
LAYER_STREETS = "layer-streets"
LAYER_BUILDINGS = "layer-buildings"
LAYER_DISTRICTS = "layer-districts"
LAYER_MAINS = "layer-mains"
LAYER_VALVES = "layer-valves"
LAYER_REGULATOR_STATIONS = "layer-regulator-stations"
LAYER_METERS = "layer-meters"
LAYER_DEPOTS = "layer-depots"
LAYER_CREWS = "layer-crews"
LAYER_CAMERAS = "layer-cameras"
LAYER_OSM_TILES = "layer-osm-tiles"
