"""The store: schema versions, atomic writers, readers that never see half a write."""

from __future__ import annotations

import duckdb
import pytest

from analytics.call_log import save_centre
from analytics.centres import Centre, UnknownCentre, ensure_centre, get_centre
from analytics.store import Store, StoreError, latest_version, migrations, schema_version


def test_a_new_store_is_at_the_latest_schema_version(store):
    with store.reader() as con:
        assert schema_version(con) == latest_version()
        salt = con.execute("SELECT value FROM meta WHERE key = 'caller_salt'").fetchone()[0]
    assert len(salt) == 32


def test_each_database_gets_its_own_caller_salt(tmp_path):
    salts = []
    for name in ("a.duckdb", "b.duckdb"):
        s = Store(tmp_path / name)
        s.initialise()
        with s.reader() as con:
            salts.append(
                con.execute("SELECT value FROM meta WHERE key='caller_salt'").fetchone()[0]
            )
    assert salts[0] != salts[1]


def test_reading_a_missing_database_says_what_to_do(tmp_path):
    with pytest.raises(StoreError, match="cca ingest"):
        with Store(tmp_path / "none.duckdb").reader():
            pass


def test_a_failed_write_changes_nothing(store):
    with store.writer() as con:
        ensure_centre(con, "alpha")
    with pytest.raises(RuntimeError):
        with store.writer() as con:
            ensure_centre(con, "beta")
            raise RuntimeError("boom")
    with store.reader() as con:
        assert [r[0] for r in con.execute("SELECT centre_id FROM centres").fetchall()] == ["alpha"]
    assert not list(store.path.parent.glob("*.tmp-*"))


def test_an_older_file_is_upgraded_on_open(tmp_path):
    path = tmp_path / "old.duckdb"
    duckdb.connect(str(path)).close()  # an empty file: version 0
    with Store(path).reader() as con:
        assert schema_version(con) == latest_version()


def test_centres_round_trip_and_unknown_centres_name_the_known_ones(store):
    centre = Centre(
        "bahrain_lmra",
        name="LMRA",
        timezone="Asia/Bahrain",
        short_abandon_s=30,
        opening_hours={d: ((("07:00", "19:00"),) if d not in (5, 6) else ()) for d in range(1, 8)},
        weekend=(5, 6),
        holiday_country="BH",
    )
    with store.writer() as con:
        save_centre(con, centre)
    with store.reader() as con:
        assert get_centre(con, "bahrain_lmra") == centre
        with pytest.raises(UnknownCentre, match="bahrain_lmra"):
            get_centre(con, "nowhere")


def test_a_centre_rejects_a_bad_time_zone():
    with pytest.raises(ValueError, match="time zone"):
        Centre("x", timezone="Mars/Olympus")


def test_a_version_1_file_keeps_its_rows_when_upgraded(tmp_path):
    path = tmp_path / "v1.duckdb"
    con = duckdb.connect(str(path))
    con.execute(migrations()[0][2])
    con.execute("INSERT INTO meta VALUES ('caller_salt', 'x'), ('schema_version', '1')")
    con.execute(
        "INSERT INTO ingest_batches (batch_id, centre_id, kind, file, sha256, format, started_at)"
        " VALUES (7, 'a', 'calls', 'f.csv', 'abc', 'csv', now())"
    )
    con.close()
    with Store(path).reader() as con:
        assert schema_version(con) == latest_version() >= 2
        # The batch survives; the column added later reads its default.
        assert con.execute("SELECT batch_id, rows_filtered FROM ingest_batches").fetchall() == [
            (7, 0)
        ]
