import shutil

import pytest

from gis.errors import MigrationError
from gis.migrations import MIGRATIONS_DIR, available_migrations, migrate
from tests.dbutil import fetch_all, fetch_value, schema_fingerprint


def test_first_run_applies_every_migration_and_records_it(empty_dsn):
    applied = migrate(empty_dsn)

    assert [m.version for m in applied] == [m.version for m in available_migrations()]
    recorded = fetch_all(empty_dsn, "SELECT version, checksum FROM schema_migrations ORDER BY 1")
    assert recorded == [(m.version, m.checksum) for m in available_migrations()]


def test_second_run_applies_nothing_and_changes_nothing(migrated_dsn):
    before = schema_fingerprint(migrated_dsn)

    assert migrate(migrated_dsn) == []
    assert schema_fingerprint(migrated_dsn) == before
    assert fetch_value(migrated_dsn, "SELECT count(*) FROM schema_migrations") == len(
        available_migrations()
    )


def test_a_migration_edited_after_it_ran_is_refused(empty_dsn, tmp_path):
    folder = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, folder)
    migrate(empty_dsn, folder)
    first = sorted(folder.glob("*.sql"))[0]
    first.write_text(first.read_text() + "\n-- edited\n")

    with pytest.raises(MigrationError, match="was changed after it was applied"):
        migrate(empty_dsn, folder)


def test_a_failing_migration_leaves_no_trace(migrated_dsn, tmp_path):
    folder = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, folder)
    (folder / "0999_broken.sql").write_text(
        "CREATE TABLE half_done (id int);\nINSERT INTO no_such_table VALUES (1);\n"
    )

    with pytest.raises(MigrationError, match="0999_broken failed"):
        migrate(migrated_dsn, folder)
    assert fetch_value(migrated_dsn, "SELECT to_regclass('half_done')") is None
    assert (
        fetch_value(migrated_dsn, "SELECT count(*) FROM schema_migrations WHERE version = 999") == 0
    )


def test_a_badly_named_migration_file_is_refused(tmp_path):
    (tmp_path / "add_things.sql").write_text("SELECT 1;")

    with pytest.raises(MigrationError, match=r"add_things\.sql"):
        available_migrations(tmp_path)
