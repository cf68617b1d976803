"""`python -m gis.bench` on a database without tables: one line saying what to run first."""

from __future__ import annotations

import numpy as np

from gis import bench


def test_an_unmigrated_database_is_skipped_with_one_line_naming_the_commands(
    make_database, monkeypatch, capsys
):
    monkeypatch.setenv("DATABASE_URL", make_database())

    rows = bench._demo(5, np.random.default_rng(1))

    err = capsys.readouterr().err.strip().splitlines()
    assert rows == []
    assert len(err) == 1
    assert "has no tables" in err[0]
    assert "dispatch db migrate && dispatch demo load" in err[0]
