"""A GPS fix delivered twice is stored once: MQTT QoS 1 is "at least once", so a broker restart
or a consumer killed between storing a batch and acknowledging it sends fixes again, and a
phone replays its offline queue. A crew is at one place at one instant: (crew, time) is a fix's
identity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dispatch import repository
from gis.database import transaction
from gis.migrations import migrate
from tests.dbutil import execute, fetch_all, fetch_value


def _fix(crew_id: int, at: datetime, lon: float) -> dict:
    return {
        "crew_id": crew_id,
        "lon": lon,
        "lat": 60.17,
        "recorded_at": at,
        "speed_mps": 3.0,
        "heading_deg": 10.0,
    }


def test_a_fix_sent_again_is_stored_once_and_new_fixes_still_go_in(fresh_demo_dsn):
    crew = fetch_value(fresh_demo_dsn, "SELECT min(id) FROM crews")
    before = fetch_value(
        fresh_demo_dsn, "SELECT count(*) FROM crew_positions WHERE crew_id = %s", (crew,)
    )
    t0 = datetime.now(UTC) - timedelta(seconds=30)
    t1 = t0 + timedelta(seconds=10)
    with transaction(fresh_demo_dsn) as conn, conn.cursor() as cur:
        # The same fix twice inside one batch, as a redelivered MQTT batch may hold it.
        repository.insert_positions(cur, [_fix(crew, t0, 24.940), _fix(crew, t0, 24.940)])
    with transaction(fresh_demo_dsn) as conn, conn.cursor() as cur:
        # The batch delivered again, with one new fix after it.
        repository.insert_positions(cur, [_fix(crew, t0, 24.940), _fix(crew, t1, 24.950)])

    stored = fetch_all(
        fresh_demo_dsn,
        "SELECT recorded_at, round(ST_X(geom)::numeric, 3) FROM crew_positions"
        " WHERE crew_id = %s AND recorded_at >= %s ORDER BY recorded_at",
        (crew, t0),
    )
    latest = fetch_all(
        fresh_demo_dsn,
        "SELECT recorded_at, round(ST_X(geom)::numeric, 3) FROM crew_latest_positions"
        " WHERE crew_id = %s",
        (crew,),
    )
    after = fetch_value(
        fresh_demo_dsn, "SELECT count(*) FROM crew_positions WHERE crew_id = %s", (crew,)
    )
    assert [(at, float(lon)) for at, lon in stored] == [(t0, 24.94), (t1, 24.95)]
    assert after == before + 2
    assert [(at, float(lon)) for at, lon in latest] == [(t1, 24.95)]


def test_the_migration_drops_copies_already_stored_keeping_the_one_the_latest_points_to(
    fresh_demo_dsn,
):
    # The database as it was before migration 0024 (its index back to a plain one), holding
    # a fix stored three times.
    execute(
        fresh_demo_dsn,
        "DROP INDEX crew_positions_crew_time_key;"
        " CREATE INDEX crew_positions_crew_time_idx ON crew_positions (crew_id, recorded_at DESC);"
        " DELETE FROM schema_migrations WHERE version = 24",
    )
    crew = fetch_value(fresh_demo_dsn, "SELECT min(id) FROM crews")
    at = datetime.now(UTC) - timedelta(seconds=5)
    for _ in range(3):
        with transaction(fresh_demo_dsn) as conn, conn.cursor() as cur:
            cur.execute(
                "INSERT INTO crew_positions (crew_id, recorded_at, geom)"
                " VALUES (%s, %s, ST_SetSRID(ST_MakePoint(24.9, 60.17), 4326))",
                (crew, at),
            )
    copies = fetch_value(
        fresh_demo_dsn, "SELECT count(*) FROM crew_positions WHERE recorded_at = %s", (at,)
    )
    pointed = fetch_value(
        fresh_demo_dsn, "SELECT position_id FROM crew_latest_positions WHERE crew_id = %s", (crew,)
    )

    applied = [m.version for m in migrate(fresh_demo_dsn)]
    kept = fetch_all(fresh_demo_dsn, "SELECT id FROM crew_positions WHERE recorded_at = %s", (at,))

    assert copies == 3, "before 0024 nothing stopped the copies"
    assert applied == [24]
    assert kept == [(pointed,)], "the copy the crew's latest position points to is kept"
