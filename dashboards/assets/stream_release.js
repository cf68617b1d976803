/* A browser opens at most six HTTP/1.1 connections to one server, and an endless MJPEG <img>
 * taken off the page keeps its connection until it is garbage-collected. A few redraws of the
 * video wall (the busiest area's cameras, then the selected incident's) could so leave no
 * connection for the page's own requests, and a click would wait forever. Every feed that
 * leaves the page is cut loose at once. */
(function () {
    "use strict";
    var EMPTY = "data:,";

    function release(node) {
        if (node.nodeType !== 1) { return; }
        var feeds = node.matches("img.video-feed") ? [node] : node.querySelectorAll("img.video-feed");
        feeds.forEach(function (img) {
            if (img.getAttribute("src") !== EMPTY) { img.setAttribute("src", EMPTY); }
        });
    }

    new MutationObserver(function (records) {
        records.forEach(function (record) { record.removedNodes.forEach(release); });
    }).observe(document.documentElement, {childList: true, subtree: true});
}());
