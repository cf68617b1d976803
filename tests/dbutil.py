"""Small helpers for tests that read the database directly."""

from __future__ import annotations

from gis.database import transaction


def fetch_all(dsn: str, query: str, params: tuple = ()) -> list[tuple]:
    with transaction(dsn) as conn, conn.cursor() as cur:
        cur.execute(query, params)
        return cur.fetchall()


def fetch_value(dsn: str, query: str, params: tuple = ()):
    rows = fetch_all(dsn, query, params)
    return rows[0][0] if rows else None


def execute(dsn: str, statement: str, params: tuple = ()) -> None:
    with transaction(dsn) as conn, conn.cursor() as cur:
        cur.execute(statement, params)


def table_counts(dsn: str, tables: list[str]) -> dict[str, int]:
    # Table names come from the test code, never from input.
    return {t: fetch_value(dsn, f"SELECT count(*) FROM {t}") for t in tables}


def schema_fingerprint(dsn: str) -> list[tuple]:
    """Columns, constraints, indexes and triggers of the public schema, for before/after checks."""
    return fetch_all(
        dsn,
        """
        SELECT 'column', table_name, column_name || ' ' || data_type FROM information_schema.columns
         WHERE table_schema = 'public'
        UNION ALL
        SELECT 'constraint', conrelid::regclass::text, pg_get_constraintdef(oid) FROM pg_constraint
         WHERE connamespace = 'public'::regnamespace
        UNION ALL
        SELECT 'index', tablename, indexdef FROM pg_indexes WHERE schemaname = 'public'
        UNION ALL
        SELECT 'trigger', event_object_table, trigger_name FROM information_schema.triggers
        ORDER BY 1, 2, 3
        """,
    )
