"""Third-party browser code served by the app itself (no CDN): ``hls.light.min.js`` is hls.js
1.7.4 (Apache-2.0, ``hls.js.LICENSE``) from the npm package ``hls.js``, ``dist/`` as
published. It plays HLS camera feeds on wall tiles (:mod:`dashboards.camera_relay`)."""
