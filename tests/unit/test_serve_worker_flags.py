"""``dispatch serve`` hands the background jobs' flags to the worker it starts, and only those;
``dispatch worker`` accepts them itself."""

from __future__ import annotations

import sys

from dispatch.cli import build_parser, worker_command


def test_serve_starts_its_worker_with_the_background_flags_it_was_given():
    flags = "--port 9000 --workers 3 --simulate --simulate-speedup 5 --auto-dispatch-after 90"
    args = build_parser().parse_args(["serve", *flags.split(), "--online-tiles"])

    assert worker_command(args) == [
        sys.executable,
        "-m",
        "dispatch.cli",
        "worker",
        "--auto-dispatch-after",
        "90.0",
        "--simulate",
        "--simulate-speedup",
        "5.0",
    ]


def test_a_plain_serve_starts_a_plain_worker_and_the_worker_takes_the_same_flags():
    plain = build_parser().parse_args(["serve"])
    worker = build_parser().parse_args(["worker", "--simulate", "--simulate-seed", "3"])

    assert worker_command(plain)[3:] == ["worker"]
    assert (worker.simulate, worker.simulate_seed, worker.auto_dispatch_after) == (True, 3, None)
    assert (plain.workers, plain.threads, plain.no_worker, plain.dev) == (None, None, False, False)
