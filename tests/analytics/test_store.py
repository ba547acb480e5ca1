"""The lake store: schema versions, atomic writers, readers that never see half a write."""

from __future__ import annotations

import datetime as dt
import stat
import time

import duckdb
import pytest

from analytics.call_log import save_centre
from analytics.centres import Centre, UnknownCentre, ensure_centre, get_centre
from analytics.store import OldStoreError, Store, StoreError, latest_version, schema_version


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


def test_a_single_file_store_of_the_previous_design_is_never_read_as_a_lake(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    con.close()
    before = path.read_bytes()
    with pytest.raises(OldStoreError, match=r"cca store migrate .*old.duckdb --to "):
        with Store(path).reader():
            pass
    with pytest.raises(OldStoreError, match="cca store migrate"):
        with Store(path).writer():
            pass
    assert path.read_bytes() == before


def test_the_store_is_a_catalogue_and_a_data_directory_readable_by_their_owner_only(store):
    with store.writer() as con:
        ensure_centre(con, "alpha")
    assert store.path.read_bytes()[:16] == b"SQLite format 3\x00"
    data = store.path.with_name(store.path.name + ".data")
    assert data.is_dir()
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    beside = {p.name for p in store.path.parent.iterdir()}
    assert all(name.startswith(store.path.name) for name in beside), beside


def test_a_reader_holds_its_snapshot_and_the_next_one_sees_the_write(store):
    with store.writer() as con:
        ensure_centre(con, "alpha")
    with store.reader() as reader:
        first = reader.execute("SELECT count(*) FROM centres").fetchone()[0]
        with store.writer() as con:
            ensure_centre(con, "beta")
        held = reader.execute("SELECT count(*) FROM centres").fetchone()[0]
    with store.reader() as con:
        assert (first, held, con.execute("SELECT count(*) FROM centres").fetchone()[0]) == (1, 1, 2)


def test_a_reader_at_an_instant_sees_the_store_as_it_stood_then(store):
    with store.writer() as con:
        ensure_centre(con, "alpha")
    time.sleep(0.05)
    instant = dt.datetime.now(dt.UTC)
    time.sleep(0.05)
    with store.writer() as con:
        ensure_centre(con, "beta")
    with store.reader(known_at=instant) as con:
        assert [r[0] for r in con.execute("SELECT centre_id FROM centres").fetchall()] == ["alpha"]
    with pytest.raises(StoreError, match="did not exist yet"):
        with store.reader(known_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC)):
            pass


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
