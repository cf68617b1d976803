/* Real camera tiles (dashboards/camera_relay.py): every two seconds, ask the server what each
 * relayed camera's tile should say (live, connecting, "no signal since HH:MM:SS", or the relay
 * limit) and write it on the tile, over the last frame, in the user's language. A refused
 * tile, or one whose stream broke, opens it again. Generated demo feeds carry
 * their own LIVE mark and get no label. */
(function () {
    "use strict";
    var FEED = /\/video\/cameras\/(\d+)\.mjpg/;
    var EVERY_MS = 2000;

    function tiles() {
        var out = {};
        document.querySelectorAll(".video-tile img.video-feed").forEach(function (img) {
            var match = FEED.exec(img.getAttribute("src") || "");
            if (match) { img.dataset.cameraId = match[1]; }
            if (img.dataset.cameraId) { out[img.dataset.cameraId] = img; }
        });
        return out;
    }

    /* HLS cameras play in a <video> with hls.js (served by the app, loaded on first need);
     * where the browser cannot (no Media Source Extensions or no H.264), the tile keeps the
     * server's MJPEG relay of the same camera. */
    var HLS_TYPE = 'video/mp4; codecs="avc1.42E01E"';
    var playerLoading = null;

    function canPlayHls() {
        return !!(window.MediaSource && window.MediaSource.isTypeSupported(HLS_TYPE));
    }

    function withPlayer(done) {
        if (window.Hls) { done(); return; }
        if (!playerLoading) {
            playerLoading = [];
            var script = document.createElement("script");
            script.src = "/video/player/hls.light.min.js";
            script.onload = function () { playerLoading.forEach(function (f) { f(); }); };
            document.head.appendChild(script);
        }
        playerLoading.push(done);
    }

    function playHls(img, cam) {
        var tile = img.closest(".video-tile") || img.parentNode;
        if (tile.querySelector("video.video-feed")) { return; }
        var video = document.createElement("video");
        video.className = "video-feed video-hls";
        video.muted = true; video.autoplay = true; video.playsInline = true;
        video.setAttribute("data-camera-id", String(cam.id));
        tile.insertBefore(video, img);
        img.dataset.hls = "1";
        img.style.display = "none";
        img.removeAttribute("src");  // the MJPEG relay is not needed: its last viewer leaves
        withPlayer(function () {
            function start() {
                var hls = new window.Hls({liveSyncDurationCount: 2, maxBufferLength: 8});
                hls.on(window.Hls.Events.ERROR, function (_event, data) {
                    if (data.fatal) {
                        hls.destroy();
                        window.setTimeout(start, 5000);
                    }
                });
                hls.loadSource(cam.hls);
                hls.attachMedia(video);
                hls.on(window.Hls.Events.MANIFEST_PARSED, function () {
                    video.play().catch(function () { /* muted autoplay is allowed */ });
                });
            }
            start();
        });
    }

    function label(img) {
        var tile = img.closest(".video-tile") || img.parentNode;
        var node = tile.querySelector(".video-status");
        if (!node) {
            node = document.createElement("div");
            node.className = "video-status";
            tile.insertBefore(node, img.nextSibling);
        }
        return node;
    }

    function reopen(img, id) {
        img.setAttribute("src", "/video/cameras/" + id + ".mjpg?t=" + Date.now());
    }

    function apply(img, cam) {
        var tile = img.closest(".video-tile") || img.parentNode;
        var before = tile.getAttribute("data-camera-state");
        if (cam.state === "demo" || cam.state === "unknown") {
            var old = tile.querySelector(".video-status");
            if (old) { old.remove(); }
            tile.setAttribute("data-camera-state", cam.state);
            return;
        }
        // A refused tile got one frame and its stream ended: try again once the limit allows.
        // (Another web process may hold the relay, so "idle" alone does not mean it ended.)
        if (before === "refused" && cam.state !== "refused" && !img.dataset.hls) {
            reopen(img, cam.id);
        }
        if (cam.hls && canPlayHls()) {
            playHls(img, cam);
        }
        if (!img.dataset.cameraRetry) {  // a stream cut (server restart): open it again
            img.dataset.cameraRetry = "1";
            img.addEventListener("error", function () {
                if (img.dataset.hls || !img.isConnected) { return; }  // gone from the page
                window.setTimeout(function () {
                    if (img.isConnected) { reopen(img, cam.id); }
                }, 5000);
            });
        }
        var node = label(img);
        node.textContent = cam.text;
        node.className = "video-status video-status-" + cam.state;
        tile.setAttribute("data-camera-state", cam.state);
    }

    function poll() {
        var found = tiles();
        var ids = Object.keys(found);
        if (!ids.length) { return; }
        fetch("/video/cameras/status.json?ids=" + ids.join(","), {credentials: "same-origin"})
            .then(function (r) { return r.ok ? r.json() : null; })
            .then(function (body) {
                if (!body) { return; }
                body.cameras.forEach(function (cam) {
                    var img = found[String(cam.id)];
                    if (img) { apply(img, cam); }
                });
            })
            .catch(function () { /* the next poll tries again */ });
    }

    window.setInterval(poll, EVERY_MS);
    document.addEventListener("DOMContentLoaded", poll);
})();
