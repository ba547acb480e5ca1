"""A page's copy of the longest answered waits, sorted once, and the 90th percentiles
read from it by rank.

``call_kpis`` takes the exact 90th percentile of answered waits from the calls: per
group it needs only the waits at two ranks counted from the longest (``calls._p90_plan``
says which, from the rollup's counts). On a page that asks for the period, by category,
by day, by category and day ..., every such query used to group and sort the same
copy of the calls again in SQL (15-35 ms each on a month of 10M calls). Here the copy is
sorted longest first once, when it is made (and merged when it grows); a query then
masks the rows of its period and filters, numbers its groups, and a stable sort of the
group numbers leaves each group's waits longest first: the r-th longest wait of a group
is one index away (about 1 ms).

What SQL still does: the grouping keys of time buckets (``buckets.interval_key_sql``,
which knows the zone's offsets and the Hijri months) are computed by DuckDB over the
copy's rows once per copy and bucketing, so there is one definition of a bucket.
The interpolation is DuckDB's own for ``quantile_cont``, ``lo * (1 - d) + hi * d`` in
doubles: the same float.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from collections.abc import Mapping, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_EPOCH = dt.datetime(1970, 1, 1)
_EPOCH_UTC = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
# Bucketings kept per copy (a Hijri calendar is registered under a new name per query:
# its keys are not asked for twice, and must not pile up).
_MAX_KEYS = 16


class LongestWaits:
    """Answered calls (``arrived_at``, ``wait_s`` and dimension columns, as an Arrow
    table) sorted by ``wait_s``, longest first. Immutable once made: readers at other
    snapshots may hold it while a grown one is made."""

    def __init__(self, rows: pa.Table, *, already_sorted: bool = False):
        if not already_sorted:
            wait = rows.column("wait_s").to_numpy()
            rows = rows.take(pa.array(np.argsort(-wait, kind="stable")))
        self.rows = rows
        self.wait = rows.column("wait_s").to_numpy()
        self.arrived_us = rows.column("arrived_at").cast(pa.int64()).to_numpy()
        self._lock = threading.Lock()
        self._codes: dict[str, tuple[np.ndarray, dict]] = {}
        self._keys: dict[tuple, tuple[np.ndarray, dict]] = {}

    def grown(self, added: pa.Table) -> LongestWaits:
        """This copy with ``added`` rows merged in by wait (a stable sort of two sorted
        runs: about linear)."""
        if not added.num_rows:
            return self
        added = added.select(self.rows.column_names).cast(self.rows.schema)
        added = added.take(pa.array(np.argsort(-added.column("wait_s").to_numpy(), kind="stable")))
        both = pa.concat_tables([self.rows, added])
        order = np.argsort(-both.column("wait_s").to_numpy(), kind="stable")
        return LongestWaits(both.take(pa.array(order)), already_sorted=True)

    def codes(self, dim: str) -> tuple[np.ndarray, dict]:
        """Each row's number for its value of ``dim`` and {value: number} (None for
        NULL has a number of its own, as a group of its own in SQL)."""
        found = self._codes.get(dim)
        if found is None:
            encoded = pc.dictionary_encode(self.rows.column(dim), null_encoding="encode")
            encoded = encoded.combine_chunks()
            values = encoded.dictionary.to_pylist()
            found = (
                encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64),
                {value: i for i, value in enumerate(values)},
            )
            with self._lock:
                self._codes[dim] = found
        return found

    def bucket_codes(self, con, key_sql: str, join: str, params: Sequence) -> tuple:
        """Each row's number for its time bucket, ``key_sql`` (an integer, over ``c``, the
        copy's rows, joined by ``join``) evaluated by DuckDB on ``con``, and {key:
        number}; -1 for a row the join leaves out."""
        cache_key = (key_sql, join, tuple(params))
        found = self._keys.get(cache_key)
        if found is not None:
            return found
        name = f"cca_waits_{secrets.token_hex(4)}"
        numbered = self.rows.select(["arrived_at"]).append_column(
            "cca_row", pa.array(np.arange(self.rows.num_rows, dtype=np.int64))
        )
        con.register(name, numbered)
        try:
            got = con.execute(
                f"SELECT c.cca_row, {key_sql} FROM {name} c{join}", list(params)
            ).fetchnumpy()
        finally:
            con.unregister(name)
        rows, keys = list(got.values())
        # a row numbered in SQL is put back at its place: no reliance on output order
        per_row = np.full(self.rows.num_rows, -1, dtype=np.int64)
        uniques, inverse = np.unique(np.asarray(keys, dtype=np.int64), return_inverse=True)
        per_row[np.asarray(rows, dtype=np.int64)] = inverse
        found = (per_row, {int(key): i for i, key in enumerate(uniques)})
        with self._lock:
            if len(self._keys) >= _MAX_KEYS:
                self._keys.clear()
            self._keys[cache_key] = found
        return found

    def p90(
        self,
        plan,
        dims: Sequence[str],
        bucket: tuple | None,
        lo: dt.datetime,
        hi: dt.datetime,
        filters: Mapping[str, Sequence[str]],
    ) -> dict[tuple, float | None]:
        """{group key: 90th percentile} for the groups of ``plan`` (``calls._p90_plan``:
        the floor, and per group key the 1-based ranks among its longest waits and the
        fraction between them) over the calls arriving in [lo, hi) kept by ``filters``;
        ``bucket``: ``bucket_codes``' answer when the key ends with a time bucket.
        A group missing from the copy is left out, as the SQL's join leaves it out."""
        floor_s, _, ranks = plan
        keep = (self.arrived_us >= _us(lo)) & (self.arrived_us < _us(hi)) & (self.wait > floor_s)
        for dim, values in filters.items():
            codes, numbers = self.codes(dim)
            # NULL is in no list (SQL's list_contains)
            wanted = [numbers[v] for v in values if v is not None and v in numbers]
            keep &= np.isin(codes, wanted)
        parts = [self.codes(dim) for dim in dims]
        if bucket is not None:
            keep &= bucket[0] >= 0
            parts.append(bucket)
        sizes = [max(len(numbers), 1) for _, numbers in parts]
        if parts:
            group = np.ravel_multi_index([codes[keep] for codes, _ in parts], sizes)
        else:
            group = np.zeros(int(keep.sum()), dtype=np.int64)
        # rows are longest first; a stable sort by group keeps them so within each group
        order = np.argsort(group, kind="stable")
        groups, waits = group[order], self.wait[keep][order]
        found: dict[tuple, float | None] = {}
        for key, (rank_lo, rank_hi, frac) in ranks.items():
            numbers = []
            for (_, of), value in zip(parts, key, strict=True):
                number = of.get(_key_value(value))
                if number is None:
                    break
                numbers.append(number)
            else:
                g = int(np.ravel_multi_index(numbers, sizes)) if parts else 0
                start = int(np.searchsorted(groups, g, "left"))
                n = int(np.searchsorted(groups, g, "right")) - start
                if n == 0:
                    continue
                if max(rank_lo, rank_hi) > n:  # beyond the list: NULL, as in SQL
                    found[key] = None
                    continue
                at_lo, at_hi = waits[start + rank_lo - 1], waits[start + rank_hi - 1]
                found[key] = float(at_lo * (1 - frac) + at_hi * frac)
        return found


def _us(instant: dt.datetime) -> int:
    """µs since the epoch of an aware instant."""
    return (instant - _EPOCH_UTC) // dt.timedelta(microseconds=1)


def _key_value(value):
    """A group key's value as the copy numbers it: a month bucket's TIMESTAMP as its µs
    since the epoch (``bucket_codes`` asks SQL for ``epoch_us`` of it)."""
    if isinstance(value, dt.datetime):
        return (value - _EPOCH) // dt.timedelta(microseconds=1)
    return value
