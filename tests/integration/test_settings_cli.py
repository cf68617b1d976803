"""`dispatch settings show` and a bad setting at start, through the command line."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from dispatch.cli import main

STALE_VAR = "DISPATCH__DISPATCH__STALE_GPS_AFTER_S"


def _exe() -> str:
    return shutil.which("dispatch") or str(Path(sys.executable).with_name("dispatch"))


def test_settings_show_prints_every_value_with_its_source_one_per_line(
    monkeypatch, tmp_path, capsys
):
    site = tmp_path / "site.toml"
    site.write_text("[dispatch]\nduplicate_radius_m = 200\n")
    monkeypatch.setenv("DISPATCH_SETTINGS", str(site))
    monkeypatch.setenv(STALE_VAR, "120")

    assert main(["settings", "show"]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert f"# DISPATCH_SETTINGS file: {site}" in lines
    assert f"dispatch.stale_gps_after_s = 120.0  ({STALE_VAR})" in lines
    assert "dispatch.duplicate_radius_m = 200.0  (DISPATCH_SETTINGS file)" in lines
    assert "dispatch.arrival_radius_m = 50.0  (default file)" in lines
    assert 'clocks.jurisdictions.urban = "urban"  (default file)' in lines
    assert "clocks.policies.henan.depart_min.p1 = 5.0  (default file)" in lines
    keys = [line.split(" = ")[0] for line in lines if not line.startswith("#")]
    assert len(keys) == len(set(keys))  # one line per key


def test_settings_show_json_gives_each_value_and_its_source(monkeypatch, capsys):
    monkeypatch.setenv(STALE_VAR, "120")

    assert main(["settings", "show", "--json"]) == 0

    shown = json.loads(capsys.readouterr().out)
    assert shown["settings"]["dispatch.stale_gps_after_s"] == {"value": 120.0, "source": STALE_VAR}
    assert shown["settings"]["clocks.policies.uk.target_share"] == {
        "value": 0.97,
        "source": "default file",
    }
    assert shown["files"]["default file"].endswith("settings.toml")


def test_a_bad_setting_stops_settings_show_in_one_line_with_exit_2(monkeypatch, capsys):
    monkeypatch.setenv(STALE_VAR, "-5")

    assert main(["settings", "show"]) == 2

    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [
        "error: settings: dispatch.stale_gps_after_s must be a positive number, got -5"
        f" (from {STALE_VAR})"
    ]


def test_serve_with_a_bad_setting_stops_in_one_line_before_touching_the_database():
    # An unreachable database would exit 1: the setting is refused first, with 2.
    env = {
        **os.environ,
        "DATABASE_URL": "postgresql://postgres@127.0.0.1:1/nowhere",
        "DISPATCH__CLOCKS__JURISDICTIONS__RURAL": "mars",
    }

    result = subprocess.run(
        [_exe(), "serve", "--port", "1"], env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        'error: settings: clocks.jurisdictions.rural names no policy: "mars"; policies: urban,'
        " rural, henan, uk (from DISPATCH__CLOCKS__JURISDICTIONS__RURAL)"
    ]


def test_a_bad_serve_flag_is_checked_like_the_setting_it_overrides():
    env = {**os.environ, "DATABASE_URL": "postgresql://postgres@127.0.0.1:1/nowhere"}

    result = subprocess.run(
        [_exe(), "serve", "--simulate", "--simulate-auto-share", "1.5"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: settings: simulator.auto_assign_share must be at most 1, got 1.5"
        " (from --simulate-auto-share)"
    ]
