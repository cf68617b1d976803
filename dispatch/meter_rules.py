"""The meter-reading rules (抄表管理制度), as pure functions over pandas frames.

The manual: every meter is read on the 20th of each month (每月20日集中抄表); a residential
meter using over 100 m³ in a month is read again (超过100方/月…再次进行抄表核对); over 50 m³
calls for a home check (超过50方客户需入户进行查看); a meter reading zero for a long time is
a candidate for closing its valve (长期抄表显示为零进行关阀处理 — "long" is 3 months or more
here); the read rate (抄见率) is meters read / meters due.

Decisions where the manual is silent:

- A month's reading is the latest one dated in that month (a re-read replaces the first).
- A month's use is the register's rise since the reading before, spread evenly over the months
  since (a missed month does not make the next one look like a double month).
- The volume rules are for residential meters, as the manual writes them (commercial users are
  checked against SCADA instead); the rules are independent, so a month of 120 m³ raises both
  a re-read and a home check. A register lower than the reading before is a misreading: a
  re-read.
- A valve-closing candidate's month is its first zero month, so a streak growing month by
  month stays one candidate; zero readings count for every category.
- A month is due once its 20th has passed; every meter is due every month of the window.

Frames (one partition holds every month of its meters, so no rule needs another partition):
readings in: ``meter_id`` int64, ``residential`` bool, ``read_on`` datetime64 (NaT for a meter
with no reading), ``reading_m3`` float64; findings out: see :data:`FINDINGS_COLUMNS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

READING_DAY = 20
RE_READ_ABOVE_M3 = 100.0
HOME_CHECK_ABOVE_M3 = 50.0
ZERO_MONTHS_FOR_VALVE_CLOSING = 3

TASK_KINDS = ("re_read", "home_check", "valve_closing")
#: finding: a task kind, "missed" (no reading in a due month) or "meters" (meter_id -1, value:
#: how many meters the partition holds, for the read rate); month: 0 = the window's first.
FINDINGS_COLUMNS = {"finding": "object", "meter_id": "int64", "month": "int16", "value": "float64"}
READINGS_COLUMNS = {
    "meter_id": "int64",
    "residential": "bool",
    "read_on": "datetime64[ns]",
    "reading_m3": "float64",
}


@dataclass(frozen=True)
class ScanWindow:
    """The months scanned: ``months`` months from ``first_month`` (the 1st of a month). The
    month before it is read too, as the baseline of the first month's use."""

    first_month: date
    months: int

    @property
    def baseline(self) -> date:
        return add_months(self.first_month, -1)

    @property
    def end(self) -> date:
        """The first day after the window."""
        return add_months(self.first_month, self.months)

    def month(self, index: int) -> date:
        return add_months(self.first_month, int(index))


def add_months(first: date, n: int) -> date:
    k = first.year * 12 + first.month - 1 + n
    return date(k // 12, k % 12 + 1, 1)


def window_ending(as_of: date, months: int = 12) -> ScanWindow:
    """The ``months`` months up to the last one whose reading day (the 20th) is ``as_of`` or
    before: as of 2025-06-25 the window ends with June, as of 2025-06-10 with May."""
    if months < 1:
        raise ValueError("`months` must be at least 1")
    last = date(as_of.year, as_of.month, 1)
    if as_of.day < READING_DAY:
        last = add_months(last, -1)
    return ScanWindow(add_months(last, -(months - 1)), months)


def empty_findings() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in FINDINGS_COLUMNS.items()})


def scan_readings(frame: pd.DataFrame, window: ScanWindow) -> pd.DataFrame:
    """Every finding of the rules for the meters in ``frame`` (all their readings from the
    baseline month to the window's end)."""
    meters = np.unique(frame["meter_id"].to_numpy(dtype="int64"))
    parts = [
        pd.DataFrame(
            {"finding": ["meters"], "meter_id": [-1], "month": [0], "value": [float(len(meters))]}
        )
    ]
    r = frame.loc[frame["read_on"].notna(), ["meter_id", "residential", "read_on", "reading_m3"]]
    read_on = pd.to_datetime(r["read_on"])
    base = window.first_month.year * 12 + window.first_month.month
    mi = (read_on.dt.year * 12 + read_on.dt.month - base).to_numpy()
    keep = (mi >= -1) & (mi < window.months)
    r = r.loc[keep].assign(mi=mi[keep], _on=read_on[keep])
    r = r.sort_values(["meter_id", "_on"], kind="stable")
    r = r.drop_duplicates(["meter_id", "mi"], keep="last")

    meter = r["meter_id"].to_numpy()
    month = r["mi"].to_numpy()
    reading = r["reading_m3"].to_numpy(dtype="float64")
    residential = r["residential"].to_numpy(dtype=bool)
    same = np.r_[False, meter[1:] == meter[:-1]]
    prev_reading = np.r_[np.nan, reading[:-1]]
    prev_month = np.r_[0, month[:-1]]
    delta = np.where(same, reading - prev_reading, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        monthly = delta / np.where(same, month - prev_month, 1)
    in_window = month >= 0
    volume_rule = in_window & residential & same
    re_read = volume_rule & ((monthly > RE_READ_ABOVE_M3) | (delta < 0))
    home_check = volume_rule & (monthly > HOME_CHECK_ABOVE_M3)
    for kind, hit in (("re_read", re_read), ("home_check", home_check)):
        parts.append(_rows(kind, meter[hit], month[hit], monthly[hit]))
    parts.append(_zero_streaks(meter, month, reading))
    parts.append(_missed(meters, meter[in_window], month[in_window], window.months))
    found = pd.concat(parts, ignore_index=True)
    return found.astype(FINDINGS_COLUMNS)


def _rows(kind: str, meter, month, value) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "finding": kind,
            "meter_id": np.asarray(meter, dtype="int64"),
            "month": np.asarray(month, dtype="int16"),
            "value": np.asarray(value, dtype="float64"),
        }
    )


def _zero_streaks(meter: np.ndarray, month: np.ndarray, reading: np.ndarray) -> pd.DataFrame:
    """Meters whose register has not moved for 3 months or more up to their latest reading
    (sorted by meter then month). Value: the zero months; month: the first of them."""
    if len(meter) == 0:
        return _rows("valve_closing", [], [], [])
    last_of_meter = np.r_[meter[1:] != meter[:-1], True]
    group = np.cumsum(np.r_[True, meter[1:] != meter[:-1]]) - 1
    last_reading = reading[last_of_meter][group]
    moved = (reading != last_reading).astype(np.int64)
    # rows from the last one that differs from the final reading onwards: count of differing
    # rows at or after each row, within its meter (reverse cumulative sum per group)
    rev = moved[::-1]
    rev_group = group[::-1]
    totals = np.bincount(rev_group, weights=rev, minlength=group.max() + 1)
    cum = np.cumsum(rev)
    after_group = totals.sum() - np.cumsum(totals)  # moved rows of the meters after each
    later_moved = (cum - after_group[rev_group])[::-1]
    trailing = later_moved == 0
    first_still = np.full(group.max() + 1, np.iinfo(np.int64).max)
    np.minimum.at(first_still, group[trailing], month[trailing])
    last_month = month[last_of_meter]
    zero_months = last_month - first_still
    hit = (zero_months >= ZERO_MONTHS_FOR_VALVE_CLOSING) & (last_month >= 0)
    meters = meter[last_of_meter]
    return _rows("valve_closing", meters[hit], first_still[hit] + 1, zero_months[hit])


def _missed(meters: np.ndarray, meter: np.ndarray, month: np.ndarray, n: int) -> pd.DataFrame:
    read = np.zeros((len(meters), n), dtype=bool)
    read[np.searchsorted(meters, meter), month] = True
    who, when = np.nonzero(~read)
    return _rows("missed", meters[who], when, np.zeros(len(who)))


@dataclass(frozen=True)
class ScanSummary:
    """What a scan found over all partitions."""

    window: ScanWindow
    meters: int
    read_per_month: list[int]
    tasks: pd.DataFrame  # kind, meter_id, month (date), value
    missed: pd.DataFrame  # meter_id, month (date)

    @property
    def read_rate(self) -> float | None:
        due = self.meters * self.window.months
        return round(sum(self.read_per_month) / due, 4) if due else None

    def as_dict(self, *, missed_listed: int = 20) -> dict:
        per_month = [
            {
                "month": self.window.month(i).isoformat()[:7],
                "reading_day": self.window.month(i).replace(day=READING_DAY).isoformat(),
                "due": self.meters,
                "read": read,
                "read_rate": round(read / self.meters, 4) if self.meters else None,
            }
            for i, read in enumerate(self.read_per_month)
        ]
        counts = self.tasks["kind"].value_counts()
        return {
            "first_month": self.window.first_month.isoformat()[:7],
            "months": self.window.months,
            "meters": self.meters,
            "read_rate": self.read_rate,
            "per_month": per_month,
            "tasks": {kind: int(counts.get(kind, 0)) for kind in TASK_KINDS},
            "missed": len(self.missed),
            "missed_first": [
                {"meter_id": int(m), "month": d.isoformat()[:7]}
                for m, d in self.missed.head(missed_listed).itertuples(index=False)
            ],
        }


def summarize(findings: pd.DataFrame, window: ScanWindow) -> ScanSummary:
    """One summary from the findings of every partition."""
    meters = int(findings.loc[findings["finding"] == "meters", "value"].sum())
    missed = findings[findings["finding"] == "missed"]
    missed_per_month = np.bincount(missed["month"].to_numpy(), minlength=window.months)
    months = [window.month(i) for i in range(window.months)]

    def dated(frame: pd.DataFrame) -> pd.Series:
        return pd.Series([months[i] for i in frame["month"]], index=frame.index, dtype=object)

    tasks = findings[findings["finding"].isin(TASK_KINDS)]
    tasks = tasks.assign(kind=tasks["finding"], month=dated(tasks))[
        ["kind", "meter_id", "month", "value"]
    ].sort_values(["kind", "meter_id", "month"], ignore_index=True)
    missed = missed.assign(month=dated(missed))[["meter_id", "month"]].sort_values(
        ["meter_id", "month"], ignore_index=True
    )
    read = [int(meters - missed_per_month[i]) for i in range(window.months)]
    return ScanSummary(window, meters, read, tasks, missed)
