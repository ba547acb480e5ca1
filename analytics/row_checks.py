"""The SQL that types a staged row, finds its first problem and compares rows: the
ingest's validation at the door (``row_checks``, in the order they are tried) and the
row hashes of its idempotent merge.
"""

from __future__ import annotations

from dataclasses import dataclass

from analytics import pseudonyms
from analytics.records import CALLS, OUTCOMES, OUTCOMES_SQL, Column, RecordKind


def ident(name: str) -> str:
    """A column name as a quoted SQL identifier (names come from file headers)."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """One of this module's own constant strings as a SQL literal (never user data)."""
    return "'" + text.replace("'", "''") + "'"


def typed_sql(column: Column, raw: str, raw_type: str, formats: int) -> str:
    """The typed value of one canonical column from its mapped (raw) value."""
    text = f"CAST({raw} AS VARCHAR)"
    if column.role == "timestamp":
        if raw_type == "TIMESTAMP WITH TIME ZONE":
            return raw
        if raw_type.startswith("TIMESTAMP") or raw_type == "DATE":
            # The session time zone is the centre's: a naive instant is local time there.
            return f"CAST({raw} AS TIMESTAMPTZ)"
        tries = [f"TRY_CAST({text} AS TIMESTAMPTZ)"] + [
            f"TRY_CAST(try_strptime({text}, $fmt{i}) AS TIMESTAMPTZ)" for i in range(formats)
        ]
        return f"COALESCE({', '.join(tries)})"
    if column.role == "seconds":
        if raw_type == "INTERVAL":
            return f"epoch({raw})"
        if raw_type != "VARCHAR":
            # Through text: DuckDB prunes isnan() on Parquet columns whose statistics
            # leave NaN out, and a NaN wait would then slip through.
            return f"TRY_CAST({text} AS DOUBLE)"
        return f"TRY_CAST({raw} AS DOUBLE)"
    if column.role == "key":
        return f"NULLIF(trim({text}), '')"
    if column.role == "outcome":
        # Nearly every value is already one of the vocabulary; only the others are
        # trimmed and lower-cased (new strings for every row cost 0.4 s of CPU per five
        # million calls, the comparison a fifth of that).
        vocabulary = ", ".join(literal(o) for o in OUTCOMES)
        return f"CASE WHEN {text} IN ({vocabulary}) THEN {text} ELSE lower(trim({text})) END"
    if column.role == "caller":
        # Staged as the trimmed id and hashed on the way into the stored table (see
        # stored_sql): 64 hex characters a row would push ten million staged calls
        # out of memory. The raw id lives only in this process and its spill directory.
        return f"NULLIF(trim({text}), '')"
    return f"NULLIF({text}, '')"


@dataclass(frozen=True)
class Check:
    """A row rule: the SQL condition that makes a row bad, and what to tell the user."""

    condition: str
    column: str
    value: str  # SQL for the offending value as the source gave it
    reason: str


def _problem(condition: str, column: str, value: str, reason: str) -> Check:
    return Check(condition, column, value, reason)


def problem_sql(checks: list[Check]) -> str:
    """The number of the first failing check and the offending value, or NULL.

    Only the number and the value are staged: the column name and reason are looked up
    from ``checks`` for the few rows that fail, which keeps the staged table narrow.
    """
    whens = " ".join(
        f"WHEN {c.condition} THEN {{'n': {i}, 'v': CAST({c.value} AS VARCHAR)}}"
        for i, c in enumerate(checks)
    )
    return f"CASE {whens} END"


def row_checks(kind: RecordKind, present: set[str]) -> list[Check]:
    """The row rules in the order they are tried."""
    checks: list[Check] = []
    for c in kind.columns:
        n, r = ident(c.name), ident("r_" + c.name)
        if c.name not in present and not c.required:
            continue
        if c.role == "key":
            checks.append(_problem(f"{n} IS NULL", c.name, r, "is empty"))
        elif c.role == "timestamp":
            if c.required:
                checks.append(_problem(f"{r} IS NULL", c.name, r, "is empty"))
            checks.append(
                _problem(
                    f"{r} IS NOT NULL AND {n} IS NULL",
                    c.name,
                    r,
                    "is not a timestamp (ISO 8601 with optional offset, DD/MM/YYYY HH:MM[:SS], "
                    "or a mapping's timestamp_formats)",
                )
            )
        elif c.role == "outcome":
            checks.append(
                _problem(
                    f"{n} IS NULL OR {n} NOT IN " + OUTCOMES_SQL,
                    c.name,
                    r,
                    "is not one of answered, abandoned, timeout",
                )
            )
        elif c.role == "seconds":
            given = ident("given_" + c.name) if c.name == "wait_s" else n
            checks += [
                _problem(f"{r} IS NOT NULL AND {given} IS NULL", c.name, r, "is not a number"),
                _problem(f"isnan({given})", c.name, r, "is NaN (not a number of seconds)"),
                _problem(f"isinf({given})", c.name, r, "is infinite"),
                _problem(f"{given} < 0", c.name, r, "is negative (durations are >= 0 s)"),
            ]
    if kind is CALLS:
        checks += [
            # no contact centre logged a call before 1970: such a time is a clock or
            # parsing error (an epoch of 0), and the quarter-hour rollup counts from 1970
            _problem(
                "arrived_at < TIMESTAMPTZ '1970-01-01 00:00:00+00'",
                "arrived_at",
                "r_arrived_at",
                "is before 1970 (a clock or parsing error?)",
            ),
            _problem(
                "answered_at < arrived_at", "answered_at", "r_answered_at", "is before arrived_at"
            ),
            _problem(
                "ended_at < COALESCE(answered_at, arrived_at)",
                "ended_at",
                "r_ended_at",
                "is before answered_at (or arrived_at)",
            ),
            _problem(
                "answered_at IS NOT NULL AND outcome <> 'answered'",
                "answered_at",
                "r_answered_at",
                "is set on a call whose outcome is not answered",
            ),
            _problem(
                "wait_s IS NULL",
                "wait_s",
                "r_wait_s",
                "is empty and cannot be derived (needs answered_at for answered calls, "
                "ended_at for the others)",
            ),
        ]
    else:
        checks += [
            _problem(
                "first_response_at < created_at",
                "first_response_at",
                "r_first_response_at",
                "is before created_at",
            ),
            _problem(
                "resolved_at < created_at", "resolved_at", "r_resolved_at", "is before created_at"
            ),
        ]
    return checks


def stored_sql(column: Column, alias: str) -> str:
    """A staged column as the stored table holds it (a caller needs ``pseudonyms.params``)."""
    ref = f"{alias}.{ident(column.stored)}" if alias else ident(column.stored)
    return pseudonyms.pseudonym_sql(ref) if column.role == "caller" else ref


def valued_columns(kind: RecordKind, present: set[str]) -> list[Column]:
    """The non-key columns a staged row can hold a value in: those the file (or its
    mapping) gives, and a call's wait_s, which is derived when not given. Every other
    staged column is NULL in every row."""
    return [
        c
        for c in kind.columns
        if c.name != kind.key and (c.name in present or (kind is CALLS and c.name == "wait_s"))
    ]


def row_hash_sql(kind: RecordKind, present: set[str], alias: str = "", staged: bool = True) -> str:
    """A 64-bit hash of a row's valued columns (see ``valued_columns``)."""
    values = [
        stored_sql(c, alias) if staged else ident(c.stored) for c in valued_columns(kind, present)
    ]
    return "hash(" + ", ".join(values) + ")"


def absent_are_null_sql(kind: RecordKind, present: set[str]) -> str:
    """True when a stored row is NULL in every column the staged rows are NULL in: with
    equal hashes of the valued columns, the stored row is then the staged one. (Hashing
    the absent columns too would cost a hash input per column per row on both sides.)"""
    valued = {c.name for c in valued_columns(kind, present)}
    absent = [ident(c.stored) for c in kind.columns if c.name != kind.key and c.name not in valued]
    return " AND ".join([f"{a} IS NULL" for a in absent] or ["true"])


def same_row_sql(kind: RecordKind, present: set[str], a: str, b: str) -> str:
    """Two staged rows hold the same values (absent columns are NULL in both)."""
    stored = [c.stored for c in valued_columns(kind, present)]
    return " AND ".join(f"{a}.{ident(s)} IS NOT DISTINCT FROM {b}.{ident(s)}" for s in stored)
