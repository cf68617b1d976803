/*
 * The crew lead's phone page (/crew), in the browser, with no library and nothing fetched
 * from the internet:
 *  - the live push: the server's Server-Sent Events (the wall's /events/stream) go into the
 *    page's event store, whose change redraws the board at once;
 *  - a new job alerts: a tone (WebAudio, no audio file) and a vibration, once per job;
 *  - the countdown to the arrival deadline ticks every second;
 *  - while a job is open, the phone's position (Geolocation API) goes to /crew/position
 *    every 10 s, so the phone is the crew's tracker.
 * Everything starts only when the page's element is there (Dash lays pages out later).
 */
(function () {
    "use strict";
    var PAGE = "crew-page";
    var POSITION_EVERY_MS = 10000;
    var SEEN_KEY = "gasdispatch.crew.seen-jobs";

    // --- map markers (dash-leaflet calls them; see dashboards/pages/crew.py) ---------------
    window.crewMap = {
        pointSite: function (feature, latlng) {
            var p = feature.properties || {};
            if (p.kind === "leak") {
                return L.circleMarker(latlng, {radius: 11, className: "crew-leak", color: "#ffffff",
                    weight: 3, fillColor: "#ff2d55", fillOpacity: 0.95});
            }
            return L.circleMarker(latlng, {radius: 8, className: "gm-valve-to-close",
                color: "#ffffff", weight: 2.5, fillColor: "#ffbf00", fillOpacity: 1});
        }
    };

    // --- the alert ---------------------------------------------------------------------------
    var audio = null;
    function unlockAudio() {  // browsers let a page sound only after a tap
        var Context = window.AudioContext || window.webkitAudioContext;
        if (!Context) { return; }
        if (!audio) { audio = new Context(); }
        if (audio.state === "suspended") { audio.resume(); }
    }
    document.addEventListener("touchstart", unlockAudio, {passive: true});
    document.addEventListener("click", unlockAudio);

    function alertNewJob() {
        window.crewAlerts = (window.crewAlerts || 0) + 1;  // for the browser tests
        if (navigator.vibrate) { navigator.vibrate([400, 200, 400, 200, 400]); }
        if (!audio) { unlockAudio(); }
        if (!audio) { return; }
        [0, 0.3, 0.6].forEach(function (start) {
            var tone = audio.createOscillator();
            var gain = audio.createGain();
            tone.frequency.value = 988;
            gain.gain.value = 0.25;
            tone.connect(gain).connect(audio.destination);
            tone.start(audio.currentTime + start);
            tone.stop(audio.currentTime + start + 0.2);
        });
        document.body.classList.add("crew-alerting");
        setTimeout(function () { document.body.classList.remove("crew-alerting"); }, 3000);
    }

    function seenJobs() {
        try { return JSON.parse(sessionStorage.getItem(SEEN_KEY) || "[]"); } catch (e) { return []; }
    }

    // The job the board shows, from the job card's number (set by the server's redraw). The
    // first drawing of the board shows what was known already: no alert for that.
    var lastJob = null;
    var drawn = false;
    function watchJob() {
        var current = document.getElementById("crew-current");
        if (!current || !current.firstChild) { return; }  // not drawn yet
        var number = current.querySelector(".crew-number");
        var job = number ? number.textContent : null;
        if (drawn && job === lastJob) { return; }
        var seen = seenJobs();
        if (job && seen.indexOf(job) < 0) {
            if (drawn) { alertNewJob(); }
            seen.push(job);
            sessionStorage.setItem(SEEN_KEY, JSON.stringify(seen.slice(-50)));
        }
        lastJob = job;
        drawn = true;
    }

    // --- the countdown ----------------------------------------------------------------------
    function two(n) { return (n < 10 ? "0" : "") + n; }
    // As dashboards.i18n.format_duration writes it: "12分05秒" / "12 min 05 s".
    function duration(seconds, zh) {
        var s = Math.round(Math.abs(seconds));
        var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
        if (h) { return zh ? h + "小时" + two(m) + "分" + two(r) + "秒" : h + " h " + two(m) + " min " + two(r) + " s"; }
        if (m) { return zh ? m + "分" + two(r) + "秒" : m + " min " + two(r) + " s"; }
        return zh ? r + "秒" : r + " s";
    }
    function tick() {
        var zh = (document.querySelector(".site-page") || document.documentElement).lang !== "en";
        document.querySelectorAll(".crew-countdown[data-due]").forEach(function (el) {
            var left = (new Date(el.dataset.due).getTime() - Date.now()) / 1000;
            var text = left < 0 ? el.dataset.overdue + " " + duration(left, zh) : duration(left, zh);
            if (el.textContent !== text) { el.textContent = text; }
            el.classList.toggle("crew-overdue", left < 0);
        });
        document.querySelectorAll(".crew-eta[data-due]").forEach(function (el) {
            var left = Math.max(0, (new Date(el.dataset.due).getTime() - Date.now()) / 1000);
            var text = duration(left, zh);
            if (el.textContent !== text) { el.textContent = text; }
        });
    }

    // --- the live push ----------------------------------------------------------------------
    var pending = null;
    function follow() {
        var source = new EventSource("/events/stream");
        source.onmessage = function (event) {
            var id = Number(event.data);
            if (!(id > 0) || pending) { return; }
            // A burst of events redraws once.
            pending = setTimeout(function () {
                pending = null;
                if (window.dash_clientside && window.dash_clientside.set_props) {
                    window.dash_clientside.set_props("crew-events", {data: id});
                }
            }, 250);
        };
    }

    // --- the phone as tracker ---------------------------------------------------------------
    function jobOpen() {
        return !!document.querySelector("#crew-current .crew-job-head");
    }
    function sendPosition() {
        if (!navigator.geolocation || !jobOpen()) { return; }
        navigator.geolocation.getCurrentPosition(function (pos) {
            var fix = {lon: pos.coords.longitude, lat: pos.coords.latitude,
                       time: new Date(pos.timestamp || Date.now()).toISOString()};
            var speed = pos.coords.speed, heading = pos.coords.heading;
            if (typeof speed === "number" && isFinite(speed) && speed >= 0 && speed <= 70) {
                fix.speed = speed;
            }
            if (typeof heading === "number" && isFinite(heading) && heading >= 0 && heading <= 360) {
                fix.heading = heading;
            }
            fetch("/crew/position", {method: "POST", credentials: "same-origin",
                headers: {"Content-Type": "application/json"}, body: JSON.stringify(fix)})
                .catch(function () { /* offline: the next fix goes in 10 s */ });
        }, function () { /* no permission or no fix: nothing to send */ },
        {enableHighAccuracy: true, maximumAge: 5000, timeout: 9000});
    }

    function start() {
        if (!document.getElementById(PAGE)) {
            setTimeout(start, 300);
            return;
        }
        if (window.EventSource) { follow(); }
        // Every redraw of the job card is looked at, however quickly the next one follows.
        new MutationObserver(watchJob).observe(document.getElementById("crew-current"),
                                               {childList: true, subtree: true});
        watchJob();
        setInterval(tick, 500);
        setInterval(sendPosition, POSITION_EVERY_MS);
        setTimeout(sendPosition, 1500);
    }
    start();
}());
