/*
 * The crew lead's phone page (/crew), in the browser, with no library and nothing fetched
 * from the internet:
 *  - the live push: the server's Server-Sent Events (the wall's /events/stream) go into the
 *    page's event store, whose change redraws the board at once;
 *  - a new job alerts: a tone (WebAudio, no audio file) and a vibration, once per job;
 *  - the countdown to the arrival deadline ticks every second;
 *  - while a job is open, the phone's position (Geolocation API) goes to /crew/position
 *    every 10 s, so the phone is the crew's tracker;
 *  - every tap (status, valves, checklist, readings, households, hazards, sign-off, photos)
 *    goes to the JSON API through one queue kept on the phone: sent in order with an
 *    Idempotency-Key, kept while offline, the number waiting shown;
 *  - the customer signs on a canvas; the service worker keeps the page openable offline.
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
        if (drawn && job !== lastJob) { tappedStep = null; }
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
            // A crew lead's stream: {"id", "tickets"} of its own crew's jobs only.
            var id = Number(event.data);
            if (isNaN(id)) {
                try { id = Number(JSON.parse(event.data).id); } catch (e) { return; }
            }
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

    // --- the taps: one queue, in order, each with its Idempotency-Key ------------------------
    // Every tap of the page is a request to the JSON API (the session cookie logs it in). It
    // goes into a queue kept in localStorage before anything is sent, so a tap made without a
    // connection, or lost with it, is sent again when it returns: in the order of the taps,
    // each with the key it got when it was tapped, so the server applies it once however
    // often it is sent. The queue stops at the first request that could not be delivered.
    var QUEUE_KEY = "gasdispatch.crew.queue";
    var sending = false;
    function loadQueue() {
        try { return JSON.parse(localStorage.getItem(QUEUE_KEY) || "[]"); } catch (e) { return []; }
    }
    function saveQueue(queue) { localStorage.setItem(QUEUE_KEY, JSON.stringify(queue)); }
    function newKey() {
        if (window.crypto && crypto.randomUUID) { return "crew-" + crypto.randomUUID(); }
        return "crew-" + Date.now() + "-" + Math.random().toString(36).slice(2);
    }
    function pendingBox() { return document.getElementById("crew-pending"); }
    function showPending() {
        var box = pendingBox();
        if (!box) { return; }
        var n = loadQueue().length;
        var text = "";
        if (n) { text = (box.dataset.waiting || "{n}").replace("{n}", n); }
        if (!navigator.onLine) { text = (box.dataset.offline || "offline") + (text ? " · " + text : ""); }
        box.textContent = text;
        box.dataset.count = String(n);
    }
    function notice(text) {
        if (window.dash_clientside && window.dash_clientside.set_props) {
            window.dash_clientside.set_props("crew-notice", {children: text});
        }
    }
    function redraw() {
        if (window.dash_clientside && window.dash_clientside.set_props) {
            window.dash_clientside.set_props("crew-version", {data: Date.now()});
        }
    }
    window.crewQueue = {
        // One tap: {url, body, ok (the notice on success), needs (what a refusal lacks)}.
        send: function (request) {
            var queue = loadQueue();
            request.key = request.key || newKey();
            queue.push(request);
            saveQueue(queue);
            showPending();
            if (!navigator.onLine) { notice((pendingBox() || {dataset: {}}).dataset.queued || "queued"); }
            flush();
        },
        flush: flush,
        size: function () { return loadQueue().length; }
    };
    function flush() {
        if (sending) { return; }
        var queue = loadQueue();
        if (!queue.length) { showPending(); return; }
        sending = true;
        var head = queue[0];
        fetch(head.url, {method: "POST", credentials: "same-origin",
                         headers: {"Content-Type": "application/json", "Idempotency-Key": head.key},
                         body: JSON.stringify(head.body)})
            .then(function (response) {
                return response.json().catch(function () { return {}; }).then(function (answer) {
                    return {status: response.status, answer: answer};
                });
            })
            .then(function (result) {
                sending = false;
                if (result.status >= 500 || result.status === 408 || result.status === 429 ||
                        result.status === 401) {
                    // Not applied: kept, tried again later (401: logged out, after the log-in).
                    setTimeout(flush, 5000);
                    showPending();
                    return;
                }
                dropHead(head.key);
                if (result.status < 300) {
                    notice(head.ok || "");
                } else {  // refused by the rules: said, and not sent again
                    if (head.body && head.body.status === tappedStep) { undoStep(tappedStep); }
                    var box = pendingBox();
                    var failed = (box && box.dataset.failed) || "Not done";
                    var why = result.answer.detail || String(result.status);
                    notice(failed + ": " + (head.needs ? head.needs + " — " : "") + why);
                }
                redraw();
                flush();
            }, function () {  // no connection: kept; sent when it returns
                sending = false;
                showPending();
            });
    }
    function dropHead(key) {
        var queue = loadQueue();
        if (queue.length && queue[0].key === key) { queue.shift(); saveQueue(queue); }
        showPending();
    }
    window.addEventListener("online", function () { showPending(); flush(); });
    window.addEventListener("offline", showPending);

    // --- the controls: each carries its request (dashboards/components/crew_site_parts.py) --
    function control(el) {  // the input or select a labelled field holds
        return el.matches("input, select") ? el : el.querySelector("input, select");
    }
    function gather(button) {
        var body = JSON.parse(button.dataset.body || "{}");
        var form = button.dataset.form ? document.getElementById(button.dataset.form) : null;
        if (form) {
            form.querySelectorAll("[data-field]").forEach(function (el) {
                var input = control(el);
                var value = input ? input.value : "";
                if (value === "" || value === null || value === undefined) { return; }
                var kind = el.dataset.kind;
                if (kind === "number") { value = Number(value); }
                else if (kind === "int") { value = parseInt(value, 10); }
                else if (kind === "date") { value = new Date(value + "T23:59:00").toISOString(); }
                body[el.dataset.field] = value;
            });
            var lines = form.querySelectorAll("[data-item]");
            if (lines.length) {
                body.items = [];
                lines.forEach(function (el) {
                    var quantity = parseInt((control(el) || {}).value, 10);
                    if (quantity > 0) { body.items.push({code: el.dataset.item, quantity: quantity}); }
                });
            }
        }
        if (button.dataset.stamp) { body[button.dataset.stamp] = new Date().toISOString(); }
        return body;
    }
    // The step tapped last counts as done on the page until the server says otherwise (a
    // refusal): a redraw computed before the tap reached the server, or none at all while
    // offline, does not take the button back, and the next step can be tapped at once.
    var tappedStep = null;
    function showTappedStep() {
        if (!tappedStep) { return; }
        var rows = Array.prototype.slice.call(document.querySelectorAll(".crew-step"));
        var at = rows.findIndex(function (b) { return b.dataset.status === tappedStep; });
        if (at < 0) { return; }
        rows.forEach(function (b, i) {
            if (i <= at) {
                if (!b.disabled) { b.disabled = true; }
                if (!b.classList.contains("crew-step-done")) { b.classList.add("crew-step-done"); }
            } else if (i === at + 1 && b.disabled && !b.classList.contains("crew-step-done")) {
                b.disabled = false;
            }
        });
    }
    function undoStep(status) {  // refused: the step may be tapped again, the next not yet
        tappedStep = null;
        var rows = Array.prototype.slice.call(document.querySelectorAll(".crew-step"));
        var at = rows.findIndex(function (b) { return b.dataset.status === status; });
        if (at < 0) { return; }
        rows[at].disabled = false;
        rows[at].classList.remove("crew-step-done");
        if (rows[at + 1] && !rows[at + 1].classList.contains("crew-step-done")) {
            rows[at + 1].disabled = true;
        }
    }
    function afterQueued(button) {
        if (button.dataset.once) {
            button.disabled = true;
            button.classList.add("crew-queued");
        }
        if (button.dataset.status) {
            tappedStep = button.dataset.status;
            showTappedStep();
        }
    }
    // Photos: the camera is opened by a file input made here (accept=image/*,
    // capture=environment); a photo waiting for its form is kept by the button's id.
    var attached = {};
    function readPhoto(file, then) {
        var reader = new FileReader();
        reader.onload = function () { then(String(reader.result).split(",")[1]); };
        reader.onerror = function () { then(null); };
        reader.readAsDataURL(file);
    }
    function openCamera(button) {
        var input = document.createElement("input");
        input.type = "file";
        input.accept = "image/*";
        input.setAttribute("capture", "environment");
        input.className = "crew-photo-input";
        input.addEventListener("change", function () {
            var file = input.files && input.files[0];
            input.remove();
            if (!file) { return; }
            readPhoto(file, function (image) {
                if (!image) { return; }
                if (button.dataset.send) {
                    crewQueue.send({url: button.dataset.url, ok: button.dataset.ok,
                                    body: {image_base64: image}});
                } else {
                    attached[button.id] = image;
                    button.textContent = button.dataset.attached || "✓";
                }
            });
        });
        document.body.appendChild(input);
        input.click();
    }
    function tap(button) {
        var body = gather(button);
        if (button.dataset.signature && !body.customer_refused) {
            var pad = document.getElementById(button.dataset.signature);
            if (!pad || !pad.dataset.signed) {
                var box = pendingBox();
                notice((box && box.dataset.signFirst) || "sign first");
                return;
            }
            body.signature_png_base64 = pad.toDataURL("image/png").split(",")[1];
        }
        var photo = button.dataset.photo ? document.getElementById(button.dataset.photo) : null;
        if (photo && attached[photo.id]) {  // the photo first, then the notice it belongs to
            crewQueue.send({url: photo.dataset.url, ok: photo.dataset.ok,
                            body: {image_base64: attached[photo.id], note: body.hazard_type || ""}});
            delete attached[photo.id];
        }
        crewQueue.send({url: button.dataset.url, body: body, ok: button.dataset.ok,
                        needs: button.dataset.needs || ""});
        afterQueued(button);
    }
    document.addEventListener("click", function (event) {
        var button = event.target.closest && event.target.closest(".crew-act");
        if (button && !button.disabled && document.getElementById(PAGE)) {
            event.preventDefault();
            tap(button);
            return;
        }
        var logout = event.target.closest && event.target.closest("a[href^='/logout']");
        if (logout && window.caches) {  // the kept job (with the caller's phone) goes too
            caches.delete("gasdispatch-crew-v1");
        }
        var camera = event.target.closest && event.target.closest(".crew-photo-button");
        if (camera && document.getElementById(PAGE)) { openCamera(camera); return; }
        var clear = event.target.closest && event.target.closest("[data-clear]");
        if (clear) { clearPad(document.getElementById(clear.dataset.clear)); }
    });
    document.addEventListener("input", function (event) {
        if (event.target.closest && event.target.closest("[data-item]")) {
            showTotal(event.target.closest(".crew-form"));
        }
    });
    function showTotal(form) {  // the charge as the customer sees it before signing
        if (!form) { return; }
        var fen = 0;
        form.querySelectorAll("[data-item]").forEach(function (el) {
            var quantity = Math.max(0, parseInt((control(el) || {}).value, 10) || 0);
            fen += quantity * Math.round(Number(el.dataset.price) * 100);
        });
        var total = form.querySelector(".crew-total");
        if (total) {
            total.textContent = total.dataset.template.replace("{total}", (fen / 100).toFixed(2));
        }
    }

    // --- the customer's signature, drawn on the screen ---------------------------------------
    function clearPad(pad) {
        if (!pad) { return; }
        pad.getContext("2d").clearRect(0, 0, pad.width, pad.height);
        delete pad.dataset.signed;
    }
    var drawing = null;
    function padPoint(pad, event) {
        var box = pad.getBoundingClientRect();
        return [(event.clientX - box.left) * pad.width / box.width,
                (event.clientY - box.top) * pad.height / box.height];
    }
    document.addEventListener("pointerdown", function (event) {
        var pad = event.target.closest && event.target.closest(".crew-signature");
        if (!pad) { return; }
        event.preventDefault();
        drawing = {pad: pad, last: padPoint(pad, event)};
        var ctx = pad.getContext("2d");
        ctx.fillStyle = "#111";
        ctx.fillRect(drawing.last[0] - 1, drawing.last[1] - 1, 2, 2);
    });
    document.addEventListener("pointermove", function (event) {
        if (!drawing) { return; }
        var at = padPoint(drawing.pad, event);
        var ctx = drawing.pad.getContext("2d");
        ctx.strokeStyle = "#111";
        ctx.lineWidth = 3;
        ctx.lineCap = "round";
        ctx.beginPath();
        ctx.moveTo(drawing.last[0], drawing.last[1]);
        ctx.lineTo(at[0], at[1]);
        ctx.stroke();
        drawing.last = at;
        drawing.pad.dataset.signed = "1";
    });
    document.addEventListener("pointerup", function () { drawing = null; });
    document.addEventListener("pointercancel", function () { drawing = null; });

    // --- times in the phone's own zone -----------------------------------------------------
    function localTimes() {
        document.querySelectorAll("time.crew-at[datetime]").forEach(function (el) {
            if (!el.dateTime || el.dataset.local === el.dateTime) { return; }
            var d = new Date(el.dateTime);
            if (isNaN(d.getTime())) { return; }
            el.textContent = two(d.getHours()) + ":" + two(d.getMinutes()) + ":" + two(d.getSeconds());
            el.dataset.local = el.dateTime;
        });
    }

    // --- the page without a connection: the service worker (dashboards/crew_offline.py) ----
    if ("serviceWorker" in navigator && window.isSecureContext &&
            location.pathname.indexOf("/crew") === 0) {
        navigator.serviceWorker.register("/crew-sw.js", {scope: "/crew"}).catch(function () {});
    }

    function start() {
        if (!document.getElementById(PAGE)) {
            setTimeout(start, 300);
            return;
        }
        showPending();
        flush();
        setInterval(flush, 15000);  // a server that was unreachable although "online"
        setInterval(localTimes, 1000);
        if (window.EventSource) { follow(); }
        // Every redraw of the job card is looked at, however quickly the next one follows.
        new MutationObserver(watchJob).observe(document.getElementById("crew-current"),
                                               {childList: true, subtree: true});
        watchJob();
        new MutationObserver(showTappedStep).observe(document.getElementById("crew-steps"),
            {childList: true, subtree: true, attributes: true, attributeFilter: ["disabled", "class"]});
        setInterval(tick, 500);
        setInterval(sendPosition, POSITION_EVERY_MS);
        setTimeout(sendPosition, 1500);
    }
    start();
}());
