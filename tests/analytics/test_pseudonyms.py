"""Caller numbers cannot be recovered from the store file: pseudonyms are keyed with a key
kept outside it, older stores are re-keyed so a caller stays the same caller, and the
files are the owner's alone (issue #20 item 5). Real `cca` runs on real DuckDB files."""

from __future__ import annotations

import os
import stat

from support.cli import run_cca

from analytics import pseudonyms
from analytics.store import Store

# Bahraini mobiles are 8 digits starting with 3: a 100,000-number slice holds these.
CALLERS = ["36001234", "36054321", "36099999", "36012345"]


def calls_csv(path, first: int, callers: list[str]):
    lines = ["call_id,arrived_at,outcome,wait_s,talk_s,category,caller_id"]
    for i, caller in enumerate(callers):
        lines.append(f"C{first + i},2026-09-01 09:{i:02d}:00,answered,5,60,worker,{caller}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def ingest(db, file):
    run_cca("ingest", "calls", str(file), "--centre", "bahrain_lmra", db=db)


def stored(db) -> tuple[str, dict[str, str]]:
    with Store(db).reader() as con:
        salt = con.execute("SELECT value FROM meta WHERE key = 'caller_salt'").fetchone()[0]
        rows = con.execute("SELECT call_id, caller_hash FROM calls").fetchall()
    return salt, dict(rows)


def enumerate_sha256(db, salt: str) -> set[str]:
    """The attack on the old scheme: every number of the slice, salted and hashed with
    the salt read from the file, joined with the stored hashes."""
    with Store(db).reader() as con:
        found = con.execute(
            "SELECT '360' || lpad(i::VARCHAR, 5, '0') FROM range(100000) t(i)"
            " WHERE sha256($salt || ('360' || lpad(i::VARCHAR, 5, '0')))"
            " IN (SELECT caller_hash FROM calls)",
            {"salt": salt},
        ).fetchall()
    return {r[0] for r in found}


def test_the_store_file_alone_does_not_give_callers_away(tmp_path):
    db = tmp_path / "x.duckdb"
    ingest(db, calls_csv(tmp_path / "a.csv", 1, CALLERS))
    salt, hashes = stored(db)
    assert not any(h in CALLERS for h in hashes.values())
    assert enumerate_sha256(db, salt) == set()  # the old attack finds nobody
    # ... while the key holder gets each caller's pseudonym back (same caller, same value)
    key = pseudonyms.caller_key()
    assert sorted(hashes.values()) == sorted(pseudonyms.pseudonym(key, salt, c) for c in CALLERS)
    with Store(db).reader() as con:
        scheme = con.execute("SELECT value FROM meta WHERE key = 'caller_pseudonym'").fetchone()
    assert scheme[0] == f"hmac-sha256:{pseudonyms.fingerprint(key)}"
    assert key.hex() not in db.read_bytes().hex()  # the key is not in the file


def test_an_older_store_is_rekeyed_and_a_caller_stays_the_same_caller(tmp_path):
    db = tmp_path / "old.duckdb"
    ingest(db, calls_csv(tmp_path / "a.csv", 1, CALLERS))
    # make it what the old code left: sha256(salt || caller) and no key recorded
    with Store(db).writer() as con:
        salt = con.execute("SELECT value FROM meta WHERE key = 'caller_salt'").fetchone()[0]
        for i, caller in enumerate(CALLERS):
            con.execute(
                "UPDATE calls SET caller_hash = sha256(? || ?) WHERE call_id = ?",
                [salt, caller, f"C{1 + i}"],
            )
        con.execute("DELETE FROM meta WHERE key = 'caller_pseudonym'")
    _, before = stored(db)
    assert len(enumerate_sha256(db, salt)) == len(CALLERS)  # reversible, as it was

    ingest(db, calls_csv(tmp_path / "b.csv", 101, CALLERS[:2] + ["36077777"]))
    _, after = stored(db)
    assert enumerate_sha256(db, salt) == set()
    assert after["C1"] == after["C101"] and after["C2"] == after["C102"]  # same callers
    assert after["C1"] != before["C1"]
    key = pseudonyms.caller_key()
    assert after["C3"] == pseudonyms.pseudonym(key, salt, CALLERS[2])


def test_a_load_with_another_key_is_refused(tmp_path):
    db = tmp_path / "x.duckdb"
    ingest(db, calls_csv(tmp_path / "a.csv", 1, CALLERS))
    env = os.environ | {"CCA_CALLER_KEY": "ab" * 32}
    other = run_cca(
        "ingest",
        "calls",
        str(calls_csv(tmp_path / "b.csv", 10, CALLERS)),
        "--centre",
        "bahrain_lmra",
        db=db,
        check=False,
        env=env,
    )
    assert other.returncode != 0
    assert "made with another key" in other.stderr and "CCA_CALLER_KEY" in other.stderr


def test_the_store_the_app_state_and_the_keys_are_the_owners_alone(tmp_path):
    db = tmp_path / "x.duckdb"
    ingest(db, calls_csv(tmp_path / "a.csv", 1, CALLERS))
    run_cca(
        "users", "add", "ops", "--role", "planner", "--password-stdin", db=db,
        input="a-long-password\n",
    )  # fmt: skip
    files = [db, db.with_name("x.app.sqlite"), pseudonyms.key_path()]
    for path in files:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, f"{path}: {oct(mode)}"
