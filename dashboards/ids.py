"""Component ids of the dashboards, in one place so callbacks and tests agree on them."""

# Page frame
URL = "page-url"  # dcc.Location: the path the router shows a page for
PAGE = "page"  # the router fills it with the page for the path
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

# The dispatcher's wall screen
WALL = "wall"
TICK = "wall-tick"  # dcc.Interval driving live updates (clocks, countdowns)
EVENTS = "wall-events"  # dcc.Store: the last outbox id pushed to this page (assets/wall.js)
LANG = "wall-lang"  # dcc.Store: the page's language (from ?lang=)
SELECTED = "wall-selected"  # dcc.Store: the selected ticket id
ACKED = "wall-acked"  # dcc.Store: acknowledged alarm keys
SEEN = "wall-seen"  # dcc.Store: fingerprints of what each live output last showed
CLOCK = "wall-clock"
KPIS = "wall-kpis"
ALARMS = "wall-alarms"
ALARM_ACK = "wall-alarm-ack"
QUEUE = "wall-queue"
PANEL = "wall-panel"
VIDEO = "wall-video"
CONFIRM = "wall-confirm"  # dcc.ConfirmDialog before an assignment
PENDING = "wall-pending"  # dcc.Store: the assignment awaiting confirmation
NOTICE = "wall-notice"
LAYER_INCIDENTS = "layer-incidents"
LAYER_SELECTION = "layer-selection"
LAYER_ROUTES = "layer-routes"
QUEUE_ROW = "queue-row"  # pattern-matching id type: {"type": QUEUE_ROW, "index": ticket_id}
ASSIGN_BUTTON = "assign-button"  # {"type": ASSIGN_BUTTON, "index": crew_id}
VIDEO_TILE = "video-tile"  # {"type": VIDEO_TILE, "index": camera_id}
VIDEO_LARGE = "wall-video-large"
CANCEL_REASON = "wall-cancel-reason"
CANCEL_BUTTON = "wall-cancel-button"
PANEL_VERSION = "wall-panel-version"  # dcc.Store: bumped after an action changed the ticket

# The crew lead's phone (/crew)
CREW_PAGE = "crew-page"
CREW_LANG = "crew-lang"  # dcc.Store: the page's language
CREW_EVENTS = "crew-events"  # dcc.Store: the last outbox id pushed to this page (assets/crew.js)
CREW_TICK = "crew-tick"  # dcc.Interval: a slow redraw in case a push was missed
CREW_SIGNATURE = "crew-signature"  # dcc.Store: what the board last drew (no redraw when same)
CREW_JOB = "crew-job"  # dcc.Store: {"ticket_id", "crew_id", "open"} of the current job
CREW_VERSION = "crew-version"  # dcc.Store: bumped after a tap changed the job
CREW_NOTICE = "crew-notice"
CREW_CURRENT = "crew-current"
CREW_WAY = "crew-way"
CREW_VALVES = "crew-valves"
CREW_STEPS = "crew-steps"
CREW_OTHERS = "crew-others"
CREW_MAP = "crew-map"
CREW_MAP_SECTION = "crew-map-section"
CREW_LAYER_ROUTE = "crew-layer-route"
CREW_LAYER_SITE = "crew-layer-site"
CREW_STEP_BUTTON = "crew-step"  # {"type": CREW_STEP_BUTTON, "index": status}
CREW_VALVE_BUTTON = "crew-valve"  # {"type": CREW_VALVE_BUTTON, "index": "<valve id>:<state>"}

# --- the manager's page (/manager) ---
MGR_LANG = "mgr-lang"  # dcc.Store: the page's language
MGR_RANGE = "mgr-range"  # dcc.DatePickerRange: the period of the map and the compliance table
MGR_TYPES = "mgr-types"  # dcc.Dropdown (multi): work-order types, none = all
MGR_PRIORITIES = "mgr-priorities"  # dcc.Checklist: priorities, none = all
MGR_RESOLUTION = "mgr-resolution"  # dcc.Dropdown: the H3 resolution
MGR_MAP = "mgr-map"
MGR_HEXES = "mgr-hexes"  # dl.GeoJSON: the response-time hexagons
MGR_SUMMARY = "mgr-summary"
MGR_COMPLIANCE = "mgr-compliance"
MGR_ALARMS = "mgr-alarms"
MGR_LOG_DATE = "mgr-log-date"  # dcc.DatePickerSingle: the leak log's day
MGR_LOG = "mgr-log"
MGR_LOG_REVIEW = "mgr-log-review"  # the review button
MGR_LOG_REVIEWED = "mgr-log-reviewed"  # dcc.Store: bumped after a review
MGR_LOG_CSV = "mgr-log-csv"  # the CSV button
MGR_LOG_DOWNLOAD = "mgr-log-download"  # dcc.Download
MGR_LOG_NOTICE = "mgr-log-notice"  # why a review was refused
CREW_CODES = "wall-crew-codes"  # dcc.Store: crew id -> code of the crews the panel recommends
# the crew lead's site work and offline queue (issue 10)
CREW_SITE = "crew-site"  # the site work section: checklist, readings, households, sign-off
CREW_PENDING = "crew-pending"  # how many taps wait for the connection (assets/crew.js)

# --- the hotline agent's page (/hotline) ---
HL_PAGE = "hl-page"
HL_LANG = "hl-lang"  # dcc.Store: the page's language
HL_SEARCH = "hl-search"  # the one search box (Enter picks the best customer)
HL_RESULTS = "hl-results"
HL_RESULT = "hl-result"  # {"type": HL_RESULT, "index": customer id}
HL_CUSTOMER = "hl-customer"  # dcc.Store: the chosen customer's id
HL_FILE = "hl-file"  # the customer's file
HL_FILE_FACTS = "hl-file-facts"
HL_TYPE_INPUT = "hl-type-input"  # type a few letters of the type, Enter takes the first
HL_TYPES = "hl-types"
HL_TYPE_BUTTON = "hl-type-btn"  # {"type": HL_TYPE_BUTTON, "index": ticket type}
HL_TYPE = "hl-type"  # dcc.Store: the chosen type
HL_ADVICE = "hl-advice"  # the emergency banner and safety advice
HL_ADDRESS = "hl-address"  # a typed address (Enter geocodes it)
HL_ADDRESS_CANDIDATES = "hl-address-candidates"
HL_CANDIDATE = "hl-candidate"  # {"type": HL_CANDIDATE, "index": n}
HL_CANDIDATES = "hl-candidates"  # dcc.Store: the geocoder's candidates
HL_MAP = "hl-map"
HL_MAP_POINT = "hl-map-point"  # dl.GeoJSON: the call's place and the tickets near it
HL_LOCATION = "hl-location"  # dcc.Store: {lon, lat, address, source}
HL_LOCATION_TEXT = "hl-location-text"
HL_NEARBY = "hl-nearby"
HL_REPEAT_BUTTON = "hl-repeat"  # {"type": HL_REPEAT_BUTTON, "index": ticket id}
HL_REPEAT_OF = "hl-repeat-of"  # dcc.Store: the open ticket this call repeats
HL_DESCRIPTION = "hl-description"
HL_CALLER_NAME = "hl-caller-name"
HL_CALLER_PHONE = "hl-caller-phone"
HL_APPOINTMENT = "hl-appointment"
HL_DEPARTMENT = "hl-department"
HL_PROMISED_REPLY = "hl-promised-reply"
HL_SAVE = "hl-save"
HL_SAVED = "hl-saved"  # the answer to tell the caller
HL_SAVED_STORE = "hl-saved-store"  # dcc.Store: bumped after each save
HL_NOTICE = "hl-notice"
HL_REPLIES = "hl-replies"
HL_REPLY_BUTTON = "hl-reply"  # {"type": HL_REPLY_BUTTON, "index": ticket id}
HL_TICK = "hl-tick"
HL_FOCUS = "hl-focus"  # dcc.Store: a dummy output of the focus-moving clientside callbacks
# the manager's page, issue 12's remainder: a cell's jobs, the trend, breakdowns, measures, exports
MGR_CELL_JOBS = "mgr-cell-jobs"  # the jobs of the clicked hexagon
MGR_TREND = "mgr-trend"  # dcc.Graph: median and p90 per week
MGR_BY = "mgr-by"  # dcc.RadioItems: compliance per week, month, district or crew
MGR_BREAKDOWN = "mgr-breakdown"
MGR_BREAKDOWN_CSV = "mgr-breakdown-csv"
MGR_MEASURES = "mgr-measures"
MGR_MEASURE_CSV = "mgr-measure-csv"  # {"type": MGR_MEASURE_CSV, "index": measure}
MGR_EXPORT_MONTH = "mgr-export-month"  # dcc.Dropdown: the month of the PDF report and buckets
MGR_EXPORT_MAP = "mgr-export-map"  # the standalone HTML map
MGR_EXPORT_PDF = "mgr-export-pdf"  # the monthly PDF report
MGR_EXPORT_LOG_PDF = "mgr-export-log-pdf"  # the day's leak log as PDF
MGR_EXPORT_BUCKETS_PDF = "mgr-export-buckets-pdf"  # the month's buckets as PDF
MGR_DOWNLOAD = "mgr-download"  # dcc.Download of the tables and exports
