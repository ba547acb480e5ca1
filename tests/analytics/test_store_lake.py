"""The lake store's promises: a single-file store migrates with identical KPIs, a load is
published whole or not at all (kill -9 included), two writers both commit, time travel
reproduces a figure, and compaction keeps files and answers in order."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import duckdb
import pytest
from support.cli import ROOT, run_cca, run_cca_json
from support.kpi import random_calls, write_calls_csv

from analytics import store as store_module
from analytics.centres import get_centre
from analytics.ingest import ingest_file
from analytics.kpi import call_kpis, rollup
from analytics.maintenance import compact, migrate_single_file, store_info
from analytics.periods import parse_period
from analytics.store import Store

SCHEMA_6 = ROOT / "tests" / "data" / "single_file_schema_6.sql"
OLD_TABLES = (
    "centres",
    "labels",
    "ingest_batches",
    "quarantine",
    "staffing",
    "tickets",
    "calls",
    "call_intervals",
    "call_interval_state",
    "forecast_runs",
    "forecasts",
)


def single_file_copy(store: Store, path: Path) -> Path:
    """A DuckDB file of the previous design (schema 6, its primary keys and all) holding
    what ``store`` holds, as the copy-and-swap store would have."""
    with store.reader() as lake:
        salt = lake.execute("SELECT value FROM meta WHERE key = 'caller_salt'").fetchone()[0]
    con = duckdb.connect(str(path))
    con.execute(SCHEMA_6.read_text(encoding="utf-8"))
    con.execute("INSERT INTO meta VALUES ('caller_salt', ?), ('schema_version', '6')", [salt])
    con.close()
    with store.writer() as lake:
        lake.execute(f"ATTACH '{path}' AS old_file")
        for table in OLD_TABLES:
            columns = [r[0] for r in lake.execute(f"DESCRIBE old_file.main.{table}").fetchall()]
            names = ", ".join(columns)
            lake.execute(f"INSERT INTO old_file.main.{table} ({names}) SELECT {names} FROM {table}")
    with store.reader() as lake:
        lake.execute("DETACH old_file")
    return path


def _rounded(rows: list[dict]) -> list[dict]:
    """Floats to 12 significant digits: sums over the same values added in another
    order (another file layout) may differ in the 16th."""
    return [
        {k: float(f"{v:.12g}") if isinstance(v, float) else v for k, v in r.items()} for r in rows
    ]


def kpis(con, centre_id: str, use_rollup: bool = True) -> list:
    """Every call KPI of the centre by several breakdowns and intervals."""
    centre = get_centre(con, centre_id)
    out = []
    period = parse_period("2024-03-01..2024-05-10")
    for by in ((), ("category",), ("queue", "site")):
        for interval in (None, "day", "60min"):
            rows = call_kpis(
                con, centre, period=period, by=by, interval=interval, use_rollup=use_rollup
            )
            out.append(_rounded(rows))
    return out


def loaded_store(tmp_path: Path, name: str = "lake.duckdb") -> Store:
    store = Store(tmp_path / name)
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    write_calls_csv(first, random_calls(3, "Asia/Riyadh", 2_000))
    write_calls_csv(second, random_calls(4, "Asia/Riyadh", 800, first_id=1_500))  # overlaps
    ingest_file(store, "calls", first, "ruh", timezone="Asia/Riyadh")
    ingest_file(store, "calls", second, "ruh")
    return store


def test_a_single_file_store_migrates_with_identical_kpis(tmp_path):
    source = loaded_store(tmp_path)
    old = single_file_copy(source, tmp_path / "old.duckdb")
    seen = []
    target = Store(tmp_path / "new.duckdb")
    copied = migrate_single_file(old, target, lambda table, done, total: seen.append(done))
    assert copied["calls"] == 2_000 + 800 - 500
    assert seen == sorted(seen) and seen[-1] == sum(copied.values())
    with duckdb.connect(str(old), read_only=True) as con:
        # from its calls: the old design's rollup is a table the KPI layer no longer reads
        before = kpis(con, "ruh", use_rollup=False)
        salt = con.execute("SELECT value FROM meta WHERE key = 'caller_salt'").fetchone()[0]
    with target.reader() as con:
        assert kpis(con, "ruh") == before
        assert con.execute("SELECT value FROM meta WHERE key = 'caller_salt'").fetchone()[0] == salt
        assert rollup.stale_rows(con, get_centre(con, "ruh")) == 0


def test_cca_store_migrate_draws_progress_and_opening_an_old_file_says_what_to_run(tmp_path):
    old = single_file_copy(loaded_store(tmp_path), tmp_path / "old.duckdb")
    refused = run_cca("kpi", "calls", "--centre", "ruh", "--period", "2024-03", db=old, check=False)
    assert refused.returncode == 2
    assert f"cca store migrate {old} --to" in refused.stderr
    new = tmp_path / "new.duckdb"
    done = run_cca("store", "migrate", str(old), "--to", str(new))
    assert "copying forecasts" in done.stdout and "━" in done.stdout  # the bar, done
    assert "calls: 2,300 rows" in done.stdout
    args = ("kpi", "calls", "--centre", "ruh", "--period", "2024-03")
    migrated = run_cca_json(*args, db=new)
    assert _rounded(migrated) == _rounded(run_cca_json(*args, db=tmp_path / "lake.duckdb"))
    info = run_cca_json("store", "info", db=new)[0]
    assert info["centres"] == ["ruh"] and info["rows"]["calls"] == 2_300
    assert info["data_files"] >= 1 and info["bytes_on_disk"] > 0


def test_known_at_reads_the_figures_a_manager_saw_before_a_later_load(tmp_path):
    store = Store(tmp_path / "lake.duckdb")
    first = tmp_path / "a.csv"
    write_calls_csv(first, random_calls(3, "Asia/Riyadh", 400))
    ingest_file(store, "calls", first, "ruh", timezone="Asia/Riyadh")
    args = ("kpi", "calls", "--centre", "ruh", "--period", "2024-03..2024-05")
    seen = run_cca_json(*args, db=store.path)
    time.sleep(0.1)
    instant = dt.datetime.now(dt.UTC).isoformat()
    time.sleep(0.1)
    more = tmp_path / "b.csv"
    write_calls_csv(more, random_calls(5, "Asia/Riyadh", 300, first_id=10_000))
    ingest_file(store, "calls", more, "ruh")
    now = run_cca_json(*args, db=store.path)
    assert now[0]["offered"] == seen[0]["offered"] + 300
    # the same snapshot; sums may differ in the 16th digit (files read in another order)
    assert _rounded(run_cca_json(*args, "--known-at", instant, db=store.path)) == _rounded(seen)
    bad = run_cca(*args, "--known-at", "2024-01-01T00:00", db=store.path, check=False)
    assert bad.returncode == 2 and "needs a UTC offset" in bad.stderr


def test_a_load_killed_mid_way_leaves_nothing_visible_and_compaction_removes_its_files(
    tmp_path,
):
    store = loaded_store(tmp_path)
    with store.reader() as con:
        before = kpis(con, "ruh")
    files_before = {p for p in Path(store.data_path).rglob("*.parquet")}
    big = tmp_path / "big.csv"
    # more rows than are inlined in the catalogue: the load writes a Parquet file
    rows = random_calls(9, "Asia/Riyadh", 5_000, first_id=50_000)
    write_calls_csv(big, rows)
    script = textwrap.dedent(
        f"""
        import os, signal
        from analytics import call_log
        from analytics.ingest import ingest_file
        from analytics.store import Store
        original = call_log.CallChanges.insert
        def insert_then_die(self, *args, **kwargs):
            n = original(self, *args, **kwargs)  # the Parquet files are written
            print("inserted", n, flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
        call_log.CallChanges.insert = insert_then_die
        ingest_file(Store({str(store.path)!r}), "calls", {str(big)!r}, "ruh")
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert "inserted 5000" in proc.stdout
    orphans = {p for p in Path(store.data_path).rglob("*.parquet")} - files_before
    assert orphans, "the killed load wrote no file: the test proves nothing"
    with store.reader() as con:
        assert kpis(con, "ruh") == before
    compact(store)
    assert not any(p.exists() for p in orphans)
    with store.reader() as con:
        assert kpis(con, "ruh") == before
        assert rollup.stale_rows(con, get_centre(con, "ruh")) == 0


def test_compaction_folds_the_rollup_and_merges_files_keeping_every_answer(tmp_path):
    store = loaded_store(tmp_path)
    for i in range(5):  # small loads: small files and inlined rows
        f = tmp_path / f"small{i}.csv"
        write_calls_csv(f, random_calls(20 + i, "Asia/Riyadh", 30, first_id=90_000 + 100 * i))
        ingest_file(store, "calls", f, "ruh")
    with store.reader() as con:
        before = kpis(con, "ruh")
        deltas = con.execute("SELECT count(*) FROM call_interval_deltas").fetchone()[0]
        folded = con.execute("SELECT count(*) FROM call_intervals").fetchone()[0]
    assert deltas > folded
    compact(store)  # rows inlined in the catalogue become files, small files merge
    again = compact(store)
    assert again["after"]["data_files"] <= again["before"]["data_files"]
    assert again["after"]["snapshots"] <= again["before"]["snapshots"] + 6
    with store.reader() as con:
        assert kpis(con, "ruh") == before
        assert con.execute("SELECT count(*) FROM call_interval_deltas").fetchone()[0] == folded
    assert store_info(store)["rows"]["calls"] == 2_300 + 150


def test_a_feed_committing_beside_a_long_load_both_commit(tmp_path):
    """Two processes write at once: a load of 200,000 calls and a feed committing one
    call at a time. Both publish everything, and the rollup matches the calls."""
    store = Store(tmp_path / "lake.duckdb")
    big = tmp_path / "big.csv"
    write_calls_csv(big, random_calls(11, "Asia/Riyadh", 200_000))
    ingest_file(store, "calls", _tiny(tmp_path), "ruh", timezone="Asia/Riyadh")
    feed = textwrap.dedent(
        f"""
        import datetime as dt, sys
        from analytics.call_log import changing_calls
        from analytics.store import Store
        store = Store({str(store.path)!r})
        for i in range(40):
            with store.writer() as con:
                batch = store.claim_batch_id(con)
                with changing_calls(con, "ruh") as calls:
                    calls.insert(["centre_id", "call_id", "arrived_at", "outcome", "wait_s",
                                  "batch_id"],
                                 "SELECT 'ruh', ?, ?, 'answered', 3.0, ?",
                                 [f"feed{{i}}", dt.datetime(2024, 4, 1, 9, tzinfo=dt.UTC), batch],
                                 batch_id=batch)
                con.execute("INSERT INTO ingest_batches (batch_id, centre_id, kind, file, "
                            "sha256, format, started_at) VALUES (?, 'ruh', 'calls', 'feed', "
                            "'-', 'feed', now())", [batch])
        print("feed done", flush=True)
        """
    )
    loader = subprocess.Popen(
        [sys.executable, "-c",
         f"from analytics.ingest import ingest_file\nfrom analytics.store import Store\n"
         f"r = ingest_file(Store({str(store.path)!r}), 'calls', {str(big)!r}, 'ruh')\n"
         f"print('load done', r.loaded, flush=True)"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    fed = subprocess.run(
        [sys.executable, "-c", feed], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    out, err = loader.communicate(timeout=600)
    assert fed.returncode == 0, fed.stderr
    assert loader.returncode == 0, err
    assert "load done 200000" in out
    with store.reader() as con:
        n = con.execute("SELECT count(*) FROM calls WHERE centre_id = 'ruh'").fetchone()[0]
        assert n == 200_000 + 40 + 1
        assert rollup.stale_rows(con, get_centre(con, "ruh")) == 0
        batches = con.execute("SELECT batch_id FROM ingest_batches").fetchall()
        assert len(batches) == len(set(batches)) == 42


def test_no_transaction_ends_as_the_catalogue_s_last_and_nothing_keeps_its_log_unchecked(
    tmp_path, monkeypatch
):
    """A SQLite catalogue's last connection to close checkpoints its log and deletes it,
    locking out every transaction opening meanwhile for a whole second (analytics.
    catalogue_hold). While the store is attached a small process's idle connection holds
    it: the log outlives each transaction, and another process can still checkpoint all
    of it (the idle connection keeps no snapshot); another process's writes are seen; the
    holder goes when the store is closed. (Long-running commands turn the hold on,
    hold_catalogues(); this test does it.)"""
    monkeypatch.setattr(store_module, "HOLD_CATALOGUE", True)
    store = Store(tmp_path / "lake.duckdb")
    store.initialise()
    with store.writer() as con:
        con.execute("INSERT INTO meta VALUES ('held', 'yes')")
    with store.reader() as con:
        assert con.execute("SELECT value FROM meta WHERE key = 'held'").fetchall() == [("yes",)]
    log = Path(f"{store.path}-wal")
    assert log.exists()
    checkpoint = subprocess.run(
        [sys.executable, "-c",
         "import sqlite3, sys\n"
         "c = sqlite3.connect(sys.argv[1])\n"
         "print(*c.execute('PRAGMA wal_checkpoint(PASSIVE)').fetchone())",
         str(store.path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    busy, frames, copied = map(int, checkpoint.stdout.split())
    assert (busy, copied) == (0, frames) and frames > 0
    # The hold is a lock, which this process's own open and close of the file would drop
    # (POSIX): asking whether the store exists, as every reader does, must not open it,
    # or another process's write would reset the log under this one (a stale snapshot,
    # then "database disk image is malformed").
    assert store.exists()
    subprocess.run(
        [sys.executable, "-c",
         "import sys\nfrom analytics.store import Store\n"
         "with Store(sys.argv[1]).writer() as con:\n"
         "    con.execute(\"INSERT INTO meta VALUES ('elsewhere', 'yes')\")",
         str(store.path)],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    with store.reader() as con:
        assert con.execute("SELECT count(*) FROM meta WHERE value = 'yes'").fetchall() == [(2,)]
    (holder,) = store_module._engine().holds.values()
    store.close()  # the hold goes with the store
    assert holder.returncode == 0
    assert not store_module._engine().holds


def _tiny(tmp_path: Path) -> Path:
    f = tmp_path / "tiny.csv"
    f.write_text(
        "call_id,arrived_at,outcome,wait_s\nfirst,2024-03-01T08:00:00+03:00,answered,1\n",
        encoding="utf-8",
    )
    return f


def test_store_commands_have_help():
    for action in ("info", "compact", "migrate"):
        assert "usage: cca store " + action in run_cca("store", action, "--help").stdout


def test_the_spill_directory_of_a_killed_process_is_removed_by_the_next(tmp_path):
    dead = tmp_path / "cca-spill-999999999-x"
    dead.mkdir()
    env = {**os.environ, "CCA_SPILL_DIR": str(tmp_path)}
    subprocess.run(
        [sys.executable, "-c", "from analytics.store import _engine; _engine()"],
        cwd=ROOT, env=env, check=True, timeout=120,
    )  # fmt: skip
    assert not dead.exists()
    assert not list(tmp_path.glob("cca-spill-*"))  # its own went at exit too


@pytest.mark.parametrize("name", ["x.duckdb"])
def test_a_path_names_a_lake_whose_files_all_sit_beside_it(tmp_path, name):
    store = loaded_store(tmp_path, name)
    compact(store)
    assert {p.name for p in tmp_path.iterdir()} - {"a.csv", "b.csv"} <= {
        name,
        name + ".data",
        name + ".lock",
        name + "-wal",
        name + "-shm",
    }


def test_extensions_come_from_the_wheels_signed_and_nothing_is_downloaded(tmp_path):
    from analytics import extensions
    from analytics.store import _engine

    con = _engine().con
    settings = dict(
        con.execute(
            "SELECT name, value FROM duckdb_settings() WHERE name IN ('allow_unsigned_extensions',"
            " 'autoinstall_known_extensions', 'autoload_known_extensions')"
        ).fetchall()
    )
    assert set(settings.values()) == {"false"}, settings
    loaded = dict(
        con.execute(
            "SELECT extension_name, install_path FROM duckdb_extensions() WHERE loaded"
        ).fetchall()
    )
    assert "ducklake" in loaded and "sqlite_scanner" in loaded
    # a tampered copy of a packaged binary is refused: the signature check is on
    good = extensions.extension_path("ducklake")
    assert good.is_file() and "duckdb_extension_ducklake" in str(good)
    data = bytearray(good.read_bytes())
    data[len(data) // 2] ^= 0xFF
    bad = tmp_path / "ducklake.duckdb_extension"
    bad.write_bytes(bytes(data))
    plain = duckdb.connect(config=extensions.CONFIG)
    with pytest.raises(duckdb.Error, match="signature"):
        plain.execute(f"LOAD '{bad}'")


def test_a_feeds_old_rounds_are_thinned_to_one_a_quarter_hour_and_nothing_else_is():
    """A feed committing every second would leave 86,400 snapshots a day, and every
    transaction reads the whole list: older than an hour, only the last round of each
    quarter-hour stays (a snapshot holds all before it); loads stay, and the newest."""
    now = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)
    at = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)
    feed = store_module.FEED_COMMIT
    snapshots = [
        (1, at, None),  # the store made
        (2, at + dt.timedelta(seconds=1), feed),
        (3, at + dt.timedelta(seconds=2), feed),
        (4, at + dt.timedelta(seconds=3), "load"),  # never thinned
        (5, at + dt.timedelta(minutes=14, seconds=59), feed),  # last of 09:00-09:15
        (6, at + dt.timedelta(minutes=15), feed),
        (7, at + dt.timedelta(minutes=16), feed),  # last of 09:15-09:30
        (8, now - dt.timedelta(minutes=59), feed),  # within the hour: kept
        (9, now - dt.timedelta(minutes=58), feed),
    ]
    assert store_module.feed_snapshots_to_thin(snapshots, now) == [2, 3, 6]
    # the newest snapshot is never thinned, even a feed's, even an old one
    old = [(1, at, feed), (2, at + dt.timedelta(seconds=1), feed), (3, at, feed)]
    assert store_module.feed_snapshots_to_thin(old, now) == [1]


def test_compaction_thins_a_feeds_rounds_and_keeps_every_answer(tmp_path, monkeypatch):
    store = Store(tmp_path / "lake.duckdb")
    path = tmp_path / "a.csv"
    write_calls_csv(path, random_calls(3, "Asia/Riyadh", 200))
    ingest_file(store, "calls", path, "ruh", timezone="Asia/Riyadh")
    for i in range(5):  # a feed's rounds (what they write does not matter here)
        with store.writer(message=store_module.FEED_COMMIT) as con:
            con.execute("INSERT INTO labels VALUES ('ruh', 'topic', ?, 'en', 'x')", [f"t{i}"])
    alias = store.alias

    def snapshots():
        with store.reader() as con:
            return con.execute(
                f"SELECT snapshot_id, commit_message FROM ducklake_snapshots('{alias}') ORDER BY 1"
            ).fetchall()

    before = snapshots()
    assert [m for _, m in before[-5:]] == [store_module.FEED_COMMIT] * 5
    with store.reader() as con:
        seen = call_kpis(con, get_centre(con, "ruh"), by=("category",))
    monkeypatch.setattr(store_module, "THIN_AFTER", dt.timedelta(0))
    store.compact()
    after = [s for s, _ in snapshots()]
    feed_ids = [s for s, m in before if m == store_module.FEED_COMMIT]
    kept_feed = [s for s in feed_ids if s in after]
    assert 1 <= len(kept_feed) <= 2 and feed_ids[-1] in after  # a quarter-hour edge: 2
    assert all(s in after for s, m in before if m != store_module.FEED_COMMIT)
    with store.reader() as con:
        assert call_kpis(con, get_centre(con, "ruh"), by=("category",)) == seen
        assert con.execute("SELECT count(*) FROM labels").fetchone()[0] == 5


def test_a_writer_crossing_the_compaction_mark_goes_on_while_compaction_runs_beside_it(
    tmp_path, monkeypatch
):
    """Writers compact every AUTO_COMPACT_EVERY snapshots, in a thread beside them: a
    feed's next round does not wait for the whole compaction (seconds), only for one of
    its steps. Closing the store waits for it; its work is done (inlined rows flushed to
    Parquet) and every answer kept."""
    monkeypatch.setattr(store_module, "AUTO_COMPACT_EVERY", 4)
    ran_in: list[str] = []
    compact_itself = Store.compact

    def compact_and_note(self, *args, **kwargs):
        ran_in.append(threading.current_thread().name)
        return compact_itself(self, *args, **kwargs)

    monkeypatch.setattr(Store, "compact", compact_and_note)
    store = Store(tmp_path / "lake.duckdb")
    store.initialise()

    def parquet_files():
        with store.reader() as con:
            sql = f"SELECT count(*) FROM ducklake_list_files('{store.alias}', 'labels')"
            return con.execute(sql).fetchone()[0]

    assert parquet_files() == 0
    for i in range(8):  # a feed's rounds, each a few rows inlined in the catalogue
        with store.writer(message=store_module.FEED_COMMIT) as con:
            con.execute("INSERT INTO labels VALUES ('ruh', 'topic', ?, 'en', 'x')", [f"t{i}"])
    assert ran_in and all(name.startswith("compact ") for name in ran_in)
    store.close()  # waits for the compaction
    assert parquet_files() >= 1
    with store.reader() as con:
        assert con.execute("SELECT count(*) FROM labels").fetchone()[0] == 8


def test_a_forked_child_does_not_keep_the_catalogue_hold_alive(tmp_path, monkeypatch):
    """A process forked while a catalogue is held (the planner's and the intraday's
    simulation workers are) must not keep the holder's pipe open: closing the store in
    the parent ends the holder at once, while the child still runs."""
    monkeypatch.setattr(store_module, "HOLD_CATALOGUE", True)
    store = Store(tmp_path / "lake.duckdb")
    store.initialise()
    (holder,) = store_module._engine().holds.values()
    child = os.fork()
    if child == 0:  # the child outlives the parent's close
        time.sleep(3)
        os._exit(0)
    try:
        started = time.monotonic()
        store.close()
        assert holder.returncode == 0 and time.monotonic() - started < 2
    finally:
        os.waitpid(child, 0)


def _arrival_encodings(store: Store) -> set[str]:
    """The encodings of ``arrived_at`` in the store's calls files."""
    found = set()
    for f in (Path(store.data_path) / "main" / "calls").rglob("*.parquet"):
        rows = duckdb.execute(
            "SELECT encodings FROM parquet_metadata(?) WHERE path_in_schema = 'arrived_at'",
            [str(f)],
        ).fetchall()
        found |= {r[0] for r in rows}
    return found


def test_the_lake_writes_parquet_version_2_and_an_older_store_moves_to_it(tmp_path):
    store = loaded_store(tmp_path)
    # the arrival instants, written in order, are stored as deltas (version 2's encoding)
    assert _arrival_encodings(store) == {"DELTA_BINARY_PACKED"}

    old = Store(tmp_path / "old.duckdb")  # a store of schema version 7, writing version 1
    with old.writer() as con:
        con.execute("CALL set_option('parquet_version', 1)")
        con.execute("UPDATE meta SET value = '7' WHERE key = 'schema_version'")
    old.close()
    f = tmp_path / "c.csv"
    write_calls_csv(f, random_calls(5, "Asia/Riyadh", 2_000))
    ingest_file(Store(tmp_path / "old.duckdb"), "calls", f, "ruh", timezone="Asia/Riyadh")
    reopened = Store(tmp_path / "old.duckdb")
    with reopened.reader() as con:
        assert (
            con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == "8"
        )
    assert _arrival_encodings(reopened) == {"DELTA_BINARY_PACKED"}
