"""Meter readings on a real PostGIS: the import with its reject report (CLI exit codes, nothing
half-written), the month partitions, and the rules' scan on a real Dask cluster. Expected
figures are worked out by hand from the rows written here."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dispatch import meter_repository
from dispatch.cli import main
from dispatch.meter_import import import_readings
from tests.dbutil import execute, fetch_all, fetch_value

# meter id, meter_no, account_no, category
METERS = [
    (1, "M-0001", "A-0001", "residential"),
    (2, "M-0002", "A-0002", "residential"),
    (3, "M-0003", "A-0003", "residential"),
    (4, "M-0004", "A-0004", "residential"),
    (5, "M-0005", "A-0005", "commercial"),
]
HEADER = "meter_no,account_no,read_on,reading_m3,reader\n"


@pytest.fixture
def meters_dsn(migrated_dsn, monkeypatch) -> str:
    for meter_id, meter_no, account_no, category in METERS:
        execute(
            migrated_dsn,
            "INSERT INTO customer_meters (id, meter_no, account_no, customer_name, phone, address,"
            " category, geom) VALUES (%s, %s, %s, 'Test', '010-5550100', 'Street 1', %s,"
            " ST_SetSRID(ST_MakePoint(24.94, 60.17), 4326))",
            (meter_id, meter_no, account_no, category),
        )
    monkeypatch.setenv("DATABASE_URL", migrated_dsn)
    return migrated_dsn


def write(tmp_path: Path, text: str, name: str = "round.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def stored(dsn: str) -> list[tuple]:
    return fetch_all(
        dsn,
        "SELECT meter_id, read_on::text, reading_m3::float, consumption::float, reader"
        " FROM meter_readings ORDER BY meter_id, read_on",
    )


def test_good_rows_are_stored_and_each_bad_one_is_reported_with_line_field_problem(
    meters_dsn, tmp_path, capsys
):
    path = write(
        tmp_path,
        HEADER
        + "M-0001,,2025-03-20,1000,Li\n"  # 2
        + ",A-0001,2025-04-20,1020.5,Li\n"  # 3: by account; uses 20.5
        + "M-9999,,2025-04-20,10,Li\n"  # 4: no such meter
        + "M-0002,,2025-02-30,10,Li\n"  # 5: no such day
        + "M-0002,,2025-04-20,-1,Li\n"  # 6: negative
        + "M-0002,,2025-04-20,10,\n"  # 7: no reader
        + "M-0002,A-0003,2025-04-20,10,Li\n"  # 8: the account of another meter
        + "M-0001,,2025-04-20,1030,Wang\n"  # 9: meter 1 read on that day on line 3
        + "M-0002,,2099-01-20,10,Li\n"  # 10: future
        + "M-0002,,2025-04-20,12.3456,Li\n"  # 11: 4 decimals
        + "M-0002,,2025-04-20,abc,\n",  # 12: two problems
    )

    assert main(["meters", "import", str(path)]) == 0

    out = capsys.readouterr()
    assert "read 11 rows" in out.err and "imported 2, rejected 9" in out.err
    assert out.out.splitlines() == [
        "row,field,problem",
        "4,meter_no,no meter 'M-9999'",
        "5,read_on,'2025-02-30' is not a date YYYY-MM-DD",
        "6,reading_m3,-1 is negative",
        "7,reader,empty: who read the meter",
        "8,account_no,account 'A-0003' is not the account of meter 'M-0002'",
        "9,read_on,the meter is read on 2025-04-20 on line 3 already",
        "10,read_on,2099-01-20 is in the future",
        "11,reading_m3,12.3456 has more than 3 decimals",
        "12,reading_m3,'abc' is not a number",
        "12,reader,empty: who read the meter",
    ]
    assert stored(meters_dsn) == [
        (1, "2025-03-20", 1000.0, None, "Li"),
        (1, "2025-04-20", 1020.5, 20.5, "Li"),
    ]


def test_a_reading_already_stored_is_refused_and_one_between_two_fixes_the_later_use(
    meters_dsn, tmp_path
):
    now = datetime(2025, 7, 1, tzinfo=UTC)
    first = write(tmp_path, HEADER + "M-0001,,2025-03-20,1000,Li\nM-0001,,2025-05-20,1100,Li\n")
    import_readings(meters_dsn, first, today=now.date(), now=now)
    second = write(
        tmp_path, HEADER + "M-0001,,2025-04-20,1040,Li\nM-0001,,2025-05-20,1100,Li\n", "b.csv"
    )

    report = import_readings(meters_dsn, second, today=now.date(), now=now)

    assert (report.imported, [(r.row, r.field) for r in report.rejects]) == (1, [(3, "read_on")])
    # May's use was 100 since March; with April read, it is 60 since April
    assert [r[3] for r in stored(meters_dsn)] == [None, 40.0, 60.0]


def test_a_file_missing_a_column_is_refused_whole_with_exit_2(meters_dsn, tmp_path, capsys):
    path = write(tmp_path, "meter,read_on,reading_m3\nM-0001,2025-03-20,1000\n")

    assert main(["meters", "import", str(path)]) == 2

    err = capsys.readouterr().err
    assert "missing column(s) meter_no or account_no, reader" in err
    assert fetch_value(meters_dsn, "SELECT count(*) FROM meter_readings") == 0


@pytest.mark.parametrize(
    ("content", "problem"),
    [(b"", "is empty"), (b"\xff\xfe\x00bad", "is not UTF-8 text")],
)
def test_an_empty_or_binary_file_is_refused_with_exit_2(
    meters_dsn, tmp_path, capsys, content, problem
):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)

    assert main(["meters", "import", str(path)]) == 2
    assert problem in capsys.readouterr().err


def test_the_reject_report_goes_to_the_file_named(meters_dsn, tmp_path, capsys):
    path = write(tmp_path, HEADER + "M-0001,,2025-03-20,x,Li\n")
    rejects = tmp_path / "rejects.csv"

    assert main(["meters", "import", str(path), "--rejects", str(rejects)]) == 0

    assert capsys.readouterr().out == ""
    assert rejects.read_text().splitlines() == [
        "row,field,problem",
        "2,reading_m3,'x' is not a number",
    ]


def test_a_failure_while_storing_leaves_no_reading_and_no_partition(
    meters_dsn, tmp_path, monkeypatch
):
    def fail(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(meter_repository, "recompute_consumption", fail)
    path = write(tmp_path, HEADER + "M-0001,,2025-03-20,1000,Li\nM-0002,,2025-04-20,5,Li\n")
    now = datetime(2025, 7, 1, tzinfo=UTC)

    with pytest.raises(RuntimeError):
        import_readings(meters_dsn, path, today=now.date(), now=now)

    assert fetch_value(meters_dsn, "SELECT count(*) FROM meter_readings") == 0
    assert fetch_value(meters_dsn, "SELECT to_regclass('meter_readings_y2025m03')") is None


def test_readings_land_in_their_month_partitions_and_early_ones_move_out_of_the_default(
    meters_dsn, tmp_path
):
    # a row stored before its month had a partition sits in the default one...
    execute(
        meters_dsn,
        "INSERT INTO meter_readings (meter_id, read_on, reading_m3, reader, source)"
        " VALUES (2, '2025-05-20', 10, 'Li', 'api')",
    )
    assert fetch_all(meters_dsn, "SELECT tableoid::regclass::text FROM meter_readings") == [
        ("meter_readings_default",)
    ]
    path = write(
        tmp_path,
        HEADER + "M-0001,,2025-03-20,1,Li\nM-0001,,2025-03-31,2,Li\nM-0001,,2025-05-01,3,Li\n",
    )
    now = datetime(2025, 7, 1, tzinfo=UTC)

    report = import_readings(meters_dsn, path, today=now.date(), now=now)

    # ...and moves into May's when the import makes it
    assert report.partitions == ["meter_readings_y2025m03", "meter_readings_y2025m05"]
    assert fetch_all(
        meters_dsn,
        "SELECT tableoid::regclass::text, count(*) FROM meter_readings GROUP BY 1 ORDER BY 1",
    ) == [("meter_readings_y2025m03", 2), ("meter_readings_y2025m05", 2)]
    bounds = fetch_value(
        meters_dsn,
        "SELECT pg_get_expr(relpartbound, oid) FROM pg_class"
        " WHERE relname = 'meter_readings_y2025m05'",
    )
    assert bounds == "FOR VALUES FROM ('2025-05-01') TO ('2025-06-01')"


SCAN_ROUND = HEADER + "".join(
    f"M-000{m},,{day},{value},Li\n"
    for m, day, value in [
        (1, "2025-03-20", 1000),
        (1, "2025-04-20", 1020),
        (1, "2025-05-20", 1140),  # 120: re-read and home check
        (1, "2025-06-20", 1200),  # 60: home check
        (2, "2025-03-20", 500),
        (2, "2025-04-20", 500),
        (2, "2025-05-20", 500),
        (2, "2025-06-20", 500),  # zero from April: valve closing
        (3, "2025-03-20", 200),
        (3, "2025-04-20", 230),
        (3, "2025-06-20", 330),  # May missed; 50 a month over two months: nothing
        (5, "2025-03-20", 0),  # a commercial meter using 500 a month: nothing
        (5, "2025-04-20", 500),
        (5, "2025-05-20", 1000),
        (5, "2025-06-20", 1500),
        (2, "2024-12-20", 400),  # before the baseline month: not read by the scan
    ]
)


def test_the_scan_on_a_dask_cluster_stores_the_tasks_once_and_reports_the_read_rate(
    meters_dsn, tmp_path, capsys
):
    assert main(["meters", "import", str(write(tmp_path, SCAN_ROUND))]) == 0
    capsys.readouterr()
    args = ["meters", "scan", "--as-of", "2025-06-25", "--months", "3", "--workers", "1"]
    missed_file = tmp_path / "missed.csv"

    assert main([*args, "--chunk-meters", "2", "--missed", str(missed_file)]) == 0

    report = json.loads(capsys.readouterr().out)
    assert report["chunks"] == 3  # meters 1-2, 3-4, 5
    assert report["meters"] == 5
    # April: 1, 2, 3, 5 read; May: 1, 2, 5; June: 1, 2, 3, 5 -> 11 of 15
    assert [m["read"] for m in report["per_month"]] == [4, 3, 4]
    assert report["read_rate"] == round(11 / 15, 4)
    assert report["tasks"] == {"re_read": 1, "home_check": 2, "valve_closing": 1}
    assert report["new_tasks"] == 4
    assert missed_file.read_text().splitlines() == [
        "meter_id,month",
        "3,2025-05-01",
        "4,2025-04-01",
        "4,2025-05-01",
        "4,2025-06-01",
    ]
    assert fetch_all(
        meters_dsn,
        "SELECT meter_id, kind, month::text, consumption_m3::float, detail, status"
        " FROM meter_tasks ORDER BY meter_id, kind, month",
    ) == [
        (1, "home_check", "2025-05-01", 120.0, None, "open"),
        (1, "home_check", "2025-06-01", 60.0, None, "open"),
        (1, "re_read", "2025-05-01", 120.0, None, "open"),
        (2, "valve_closing", "2025-04-01", 0.0, "3 months at zero", "open"),
    ]

    assert main(args) == 0  # again: the same findings, nothing new
    assert json.loads(capsys.readouterr().out)["new_tasks"] == 0
    assert fetch_value(meters_dsn, "SELECT count(*) FROM meter_tasks") == 4


def test_a_scan_with_a_bad_date_is_refused_with_exit_2(meters_dsn, capsys):
    assert main(["meters", "scan", "--as-of", "2025-13-01"]) == 2
    assert "`as-of` must be a date" in capsys.readouterr().err
