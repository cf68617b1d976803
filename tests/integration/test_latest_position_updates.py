"""Each batch of GPS fixes rewrites every moving crew's row of `crew_latest_positions`; those
updates must be HOT (no index entry, the old version pruned in its page), or at thousands of
fixes a second the table and its indexes fill with dead versions faster than autovacuum comes
by and ingest slows down as they pile up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dispatch import repository
from gis.database import transaction
from tests.dbutil import fetch_all


def test_the_latest_position_of_each_crew_is_updated_in_place(fresh_demo_dsn):
    crews = fetch_all(
        fresh_demo_dsn,
        "SELECT c.id, ST_X(p.geom), ST_Y(p.geom) FROM crews c"
        " JOIN crew_latest_positions p ON p.crew_id = c.id ORDER BY c.id LIMIT 5",
    )
    assert len(crews) == 5
    start = datetime.now(UTC) - timedelta(minutes=1)
    with transaction(fresh_demo_dsn) as conn, conn.cursor() as cur:
        for batch in range(3):  # three batches, each moving every one of the 5 crews
            repository.insert_positions(
                cur,
                [
                    {
                        "crew_id": crew_id,
                        "lon": lon + 1e-5 * (batch + 1),
                        "lat": lat,
                        "recorded_at": start + timedelta(seconds=batch),
                        "speed_mps": 5.0,
                        "heading_deg": 90.0,
                    }
                    for crew_id, lon, lat in crews
                ],
            )
        # This transaction's own counts (pg_stat_xact_*): 15 updates, every one HOT.
        cur.execute(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables"
            " WHERE relname = 'crew_latest_positions'"
        )
        assert cur.fetchone() == (15, 15)
        cur.execute(
            "SELECT count(*) FROM crew_latest_positions WHERE crew_id = ANY(%s)"
            " AND recorded_at = %s",
            ([c[0] for c in crews], start + timedelta(seconds=2)),
        )
        assert cur.fetchone() == (5,)
