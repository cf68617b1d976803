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
            if (match) { out[match[1]] = img; }
        });
        return out;
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
        if (before === "refused" && cam.state !== "refused") {
            reopen(img, cam.id);
        }
        if (!img.dataset.cameraRetry) {  // a stream cut (server restart): open it again
            img.dataset.cameraRetry = "1";
            img.addEventListener("error", function () {
                window.setTimeout(function () { reopen(img, cam.id); }, 5000);
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
