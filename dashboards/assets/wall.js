/*
 * Small client-side behaviours of the wall screen that need no server round trip:
 * a click on a camera tile enlarges it; an alarm plays a tone when the sound is switched on
 * (WebAudio, no audio file, works offline). The sound setting is kept in this browser.
 */
(function () {
    "use strict";
    var SOUND_KEY = "gasdispatch.sound";

    // A queue row is selected on the press itself (not on release): the queue is redrawn every
    // second, and a press and a release on two renderings of a row would make no click.
    function selectRow(row) {
        var id = Number(row.getAttribute("data-ticket"));
        if (!id || !window.dash_clientside || !window.dash_clientside.set_props) { return; }
        document.querySelectorAll(".queue-row.queue-selected").forEach(function (other) {
            other.classList.remove("queue-selected");
        });
        row.classList.add("queue-selected");
        window.dash_clientside.set_props("wall-selected", {data: id});
    }
    document.addEventListener("pointerdown", function (event) {
        var row = event.target.closest && event.target.closest(".queue-row[data-ticket]");
        if (row && event.button === 0) { selectRow(row); }
    }, true);
    document.addEventListener("keydown", function (event) {
        var row = event.target.closest && event.target.closest(".queue-row[data-ticket]");
        if (row && (event.key === "Enter" || event.key === " ")) { selectRow(row); }
    });

    document.addEventListener("click", function (event) {
        var tile = event.target.closest && event.target.closest(".video-tile");
        if (tile) {
            tile.classList.toggle("video-large");
        }
        var toggle = event.target.closest && event.target.closest(".wall-sound");
        if (toggle) {
            var on = localStorage.getItem(SOUND_KEY) !== "on";
            localStorage.setItem(SOUND_KEY, on ? "on" : "off");
            toggle.classList.toggle("wall-sound-on", on);
            if (on) { beep(); }
        }
    });

    function beep() {
        var Context = window.AudioContext || window.webkitAudioContext;
        if (!Context) { return; }
        var audio = new Context();
        [0, 0.35].forEach(function (start) {
            var tone = audio.createOscillator();
            var gain = audio.createGain();
            tone.frequency.value = 880;
            gain.gain.value = 0.2;
            tone.connect(gain).connect(audio.destination);
            tone.start(audio.currentTime + start);
            tone.stop(audio.currentTime + start + 0.2);
        });
    }

    // A new alarm banner (its text changes) sounds once, when the sound is on.
    var last = "";
    setInterval(function () {
        var banner = document.querySelector(".alarm-banner");
        var text = banner ? banner.textContent : "";
        var toggle = document.querySelector(".wall-sound");
        if (toggle) {
            toggle.classList.toggle("wall-sound-on", localStorage.getItem(SOUND_KEY) === "on");
        }
        if (text && text !== last && localStorage.getItem(SOUND_KEY) === "on") { beep(); }
        last = text;
    }, 1000);
}());

/*
 * Live events: the server pushes the id of each change (Server-Sent Events, same origin, no
 * library); it goes into the wall's event store, whose change redraws the wall at once.
 * EventSource reconnects by itself when the server restarts.
 */
(function () {
    "use strict";
    function follow() {
        // The wall (its event store renders no element of its own) may not be laid out yet.
        if (!document.getElementById("wall") || !window.EventSource) {
            setTimeout(follow, 500);
            return;
        }
        var source = new EventSource("/events/stream");
        source.onmessage = function (event) {
            var id = Number(event.data);
            if (window.dash_clientside && window.dash_clientside.set_props && id > 0) {
                window.dash_clientside.set_props("wall-events", {data: id});
            }
        };
    }
    follow();
})();
