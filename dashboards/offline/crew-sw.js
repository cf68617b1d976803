/*
 * The crew lead's page without a connection: a service worker (served at /crew-sw.js by
 * dashboards/crew_offline.py, controlling /crew) that keeps what the page needs to open.
 *  - GET requests of the page (the page itself, Dash's scripts and styles, the layout, the
 *    offline street layers) go to the network first and are kept; without a connection the
 *    kept copy answers.
 *  - Dash's callback requests (POST /_dash-update-component) are kept by their body: opening
 *    the page offline replays its first drawing (the last job seen) from the copy.
 *  - The API, the event stream and the position door are never cached: the taps go through
 *    the page's own queue (assets/crew.js), which keeps them until they are delivered.
 */
"use strict";
var CACHE = "gasdispatch-crew-v1";
var LIVE = ["/api/", "/events/stream", "/crew/position", "/login", "/logout"];

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

self.addEventListener("fetch", function (event) {
    var request = event.request;
    var url = new URL(request.url);
    if (url.origin !== self.location.origin) { return; }
    if (LIVE.some(function (prefix) { return url.pathname.indexOf(prefix) === 0; })) { return; }
    if (request.method === "GET") {
        event.respondWith(networkFirst(request, request));
    } else if (request.method === "POST" && url.pathname === "/_dash-update-component") {
        event.respondWith(request.clone().text().then(function (body) {
            return bodyKey(body).then(function (key) { return networkFirst(request, key); });
        }));
    }
});

function networkFirst(request, key) {
    return caches.open(CACHE).then(function (cache) {
        return fetch(request).then(function (response) {
            if (response.ok && !response.redirected && response.type === "basic") {
                cache.put(key, response.clone());
            }
            return response;
        }, function (error) {
            return cache.match(key, {ignoreVary: true}).then(function (kept) {
                if (kept) { return kept; }
                throw error;
            });
        });
    });
}

function bodyKey(body) {
    return crypto.subtle.digest("SHA-256", new TextEncoder().encode(body)).then(function (hash) {
        var hex = Array.prototype.map.call(new Uint8Array(hash), function (b) {
            return (b < 16 ? "0" : "") + b.toString(16);
        }).join("");
        return new Request(self.location.origin + "/crew-offline/dash-update/" + hex);
    });
}
