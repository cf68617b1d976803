"""Migration 0025 on a database that already holds a signed-off job: its sign-off, charges,
photo and hazard notice become the first visit's, and the job's second visit can be signed
for beside it while a second sign-off of the first visit is refused by the key."""

from __future__ import annotations

import shutil

import psycopg2
import pytest

from gis.migrations import MIGRATIONS_DIR, migrate
from tests.dbutil import execute, fetch_all

VISIT_SIGNOFFS = 25


@pytest.fixture
def signed_job_before_0025(empty_dsn, tmp_path) -> str:
    """A database migrated up to 0024 with a job signed off, photographed, and a hazard."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        if int(path.name[:4]) < VISIT_SIGNOFFS:
            shutil.copy(path, folder)
    migrate(empty_dsn, folder)
    for statement in (
        "INSERT INTO tickets (id, number, ticket_type, priority, taken_by, received_at)"
        " VALUES (1, 'T-1', 'gas_leak', 1, 'agent', now())",
        "INSERT INTO ticket_signoffs (ticket_id, total_cny, signature_png, signed_at,"
        " recorded_by) VALUES (1, 85.00, '\\x89504e47', now(), 'crewlead')",
        "INSERT INTO ticket_charges (ticket_id, line, item_code, quantity, unit_price_cny)"
        " VALUES (1, 1, 'call_out', 1, 50.00), (1, 2, 'hose_replace', 1, 35.00)",
        "INSERT INTO ticket_photos (ticket_id, content_type, width, height, image, taken_at,"
        " uploaded_by) VALUES (1, 'image/png', 4, 4, '\\x00', now(), 'crewlead')",
        "INSERT INTO hazard_notices (ticket_id, meter_id, hazard_type, fix_by, found_at,"
        " found_by, refused_at) VALUES (1, 7, 'aged_hose', now() + interval '7 days', now(),"
        " 'crewlead', now())",
    ):
        execute(empty_dsn, statement)
    return empty_dsn


def test_rows_written_before_the_migration_are_the_first_visits(signed_job_before_0025):
    dsn = signed_job_before_0025

    applied = migrate(dsn)

    assert [m.version for m in applied] == [VISIT_SIGNOFFS]
    assert fetch_all(dsn, "SELECT visit, total_cny::text FROM ticket_signoffs") == [(1, "85.00")]
    assert fetch_all(dsn, "SELECT visit, line FROM ticket_charges ORDER BY line") == [
        (1, 1),
        (1, 2),
    ]
    assert fetch_all(dsn, "SELECT visit FROM ticket_photos") == [(1,)]
    assert fetch_all(dsn, "SELECT visit FROM hazard_notices") == [(1,)]


def test_after_the_migration_each_visit_has_one_sign_off_and_its_own_lines(
    signed_job_before_0025,
):
    dsn = signed_job_before_0025
    migrate(dsn)

    execute(
        dsn,
        "INSERT INTO ticket_signoffs (ticket_id, visit, total_cny, refused_at, signed_at,"
        " recorded_by) VALUES (1, 2, 280.00, now(), now(), 'crewlead')",
    )
    execute(
        dsn,
        "INSERT INTO ticket_charges (ticket_id, visit, line, item_code, quantity,"
        " unit_price_cny) VALUES (1, 2, 1, 'labour_hour', 2, 80.00)",
    )

    with pytest.raises(psycopg2.errors.UniqueViolation):
        execute(
            dsn,
            "INSERT INTO ticket_signoffs (ticket_id, visit, total_cny, refused_at, signed_at,"
            " recorded_by) VALUES (1, 1, 0, now(), now(), 'crewlead')",
        )
    with pytest.raises(psycopg2.errors.ForeignKeyViolation):  # no sign-off of visit 3
        execute(
            dsn,
            "INSERT INTO ticket_charges (ticket_id, visit, line, item_code, quantity,"
            " unit_price_cny) VALUES (1, 3, 1, 'call_out', 1, 50.00)",
        )
    with pytest.raises(psycopg2.errors.CheckViolation):
        execute(dsn, "UPDATE ticket_photos SET visit = 0")
    execute(dsn, "DELETE FROM ticket_signoffs WHERE visit = 1")  # its lines go with it
    assert fetch_all(dsn, "SELECT visit, line FROM ticket_charges") == [(2, 1)]
