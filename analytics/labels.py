"""Display labels: the names a reader sees for the codes that calls and tickets store.

A switch or a simulation stores short codes in the dimension columns (``category``,
``topic``, ``queue``, ``site``, ``channel``): ``work_permit_follow_up``, ``employer``, the
Anonymous Bank's ``PS``. Codes are the contract (KPI rows, CSV, ``--by``); labels are for
people, one per code and language, kept per centre in the ``labels`` table (schema 4).
The ``centre`` dimension names the centre itself (its code is the centre id): the
centre's ``name`` is what its settings call it, ``[labels.centre]`` gives it in each
language. They come from a scenario's ``[labels]`` table (``cca generate``) or a mapping's
``[labels.DIMENSION]`` tables (``cca ingest``), both shaped like ``save_labels``'s
argument::

    [labels.topic]
    work_permit_follow_up = {en = "Work-permit follow-up", ar = "متابعة طلبات تصاريح العمل"}

``display`` never fails: a code without a label in the reader's language shows its
English label, else a readable form of the code (``work_permit_follow_up`` ->
"Work permit follow up"); a missing value shows the export's "(none)" word.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from analytics import snapshot_cache
from analytics.translation import N_, gettext

DIMENSIONS = ("category", "topic", "queue", "site", "channel", "centre")
LANGS = ("en", "ar")
FALLBACK_LANG = "en"
# What a missing value (NULL or empty code) is called; the exports' i18n uses the same.
NOT_RECORDED = N_("(none)")

Names = Mapping[str, Mapping[str, str]]  # {dimension: {code: label}} in one language


def check_labels(table: Any, where: str) -> dict[str, dict[str, dict[str, str]]]:
    """``{dimension: {code: {lang: label}}}`` from parsed TOML; ValueError naming the key."""
    if not isinstance(table, Mapping):
        raise ValueError(f"{where}: expected tables [labels.DIMENSION] of code = {{en, ar}}")
    checked: dict[str, dict[str, dict[str, str]]] = {}
    for dimension, codes in table.items():
        if dimension not in DIMENSIONS:
            raise ValueError(
                f"{where}.{dimension}: unknown dimension (expected one of {', '.join(DIMENSIONS)})"
            )
        if not isinstance(codes, Mapping):
            raise ValueError(f"{where}.{dimension}: expected a table of code = {{en, ar}}")
        checked[dimension] = {}
        for code, names in codes.items():
            at = f"{where}.{dimension}.{code}"
            if not isinstance(names, Mapping) or not names:
                raise ValueError(f'{at}: expected {{en = "...", ar = "..."}}')
            for lang, label in names.items():
                if lang not in LANGS:
                    raise ValueError(f"{at}.{lang}: unknown language (use {', '.join(LANGS)})")
                if not isinstance(label, str) or not label.strip():
                    raise ValueError(f"{at}.{lang}: expected a non-empty string")
            checked[dimension][str(code)] = {lang: label.strip() for lang, label in names.items()}
    return checked


def save_labels(con, centre_id: str, labels: Mapping[str, Mapping[str, Mapping[str, str]]]) -> int:
    """Store ``{dimension: {code: {lang: label}}}`` for ``centre_id``; returns rows written.

    The centre's labels of the codes given are replaced (every language of such a code);
    other codes keep theirs. Call it inside a store writer.
    """
    labels = check_labels(labels, "labels")
    rows = [
        (centre_id, dimension, code, lang, label)
        for dimension, codes in labels.items()
        for code, names in codes.items()
        for lang, label in names.items()
    ]
    for dimension, codes in labels.items():
        for code in codes:
            con.execute(
                "DELETE FROM labels WHERE centre_id = ? AND dimension = ? AND code = ?",
                [centre_id, dimension, code],
            )
    if rows:
        con.executemany("INSERT INTO labels VALUES (?, ?, ?, ?, ?)", rows)
    return len(rows)


def labels_for(con, centre_id: str, lang: str) -> dict[str, dict[str, str]]:
    """``{dimension: {code: label}}`` of ``centre_id`` in ``lang``; a code without a label
    in ``lang`` has its English one."""
    rows = snapshot_cache.read(
        con,
        ("labels", centre_id, lang),
        lambda: tuple(
            con.execute(
                "SELECT dimension, code, lang, label FROM labels WHERE centre_id = ? "
                "AND lang IN (?, ?) ORDER BY dimension, code, lang = ?",
                [centre_id, lang, FALLBACK_LANG, lang],
            ).fetchall()
        ),
        tables=("labels",),
    )
    result: dict[str, dict[str, str]] = {}
    for dimension, code, _lang, label in rows:  # the wanted language sorts last and wins
        result.setdefault(dimension, {})[code] = label
    return result


def centre_names(con, centres, lang: str) -> dict[str, str]:
    """What a reader of ``lang`` calls each of ``centres`` (``analytics.centres.Centre``),
    by centre id, in one query: its ``[labels.centre]`` label, else the name in its
    settings, else its id."""
    ids = [c.centre_id for c in centres]
    if not ids:
        return {}
    marks = ", ".join("?" * len(ids))
    rows = snapshot_cache.read(
        con,
        ("centre names", lang, tuple(ids)),
        lambda: tuple(
            con.execute(
                f"SELECT code, label FROM labels WHERE dimension = 'centre' AND centre_id = code "
                f"AND lang = ? AND code IN ({marks})",
                [lang, *ids],
            ).fetchall()
        ),
        tables=("labels",),
    )
    named = dict(rows)
    return {c.centre_id: named.get(c.centre_id) or c.name or c.centre_id for c in centres}


def centre_name(con, centre, lang: str) -> str:
    """``centre_names`` of one centre."""
    return centre_names(con, [centre], lang)[centre.centre_id]


def readable(code: str) -> str:
    """A code as words: underscores to spaces, first letter up when the code is lower case
    (``work_permit_follow_up`` -> "Work permit follow up"; ``PS`` stays "PS")."""
    words = re.sub(r"[_\s]+", " ", code).strip()
    if words and words == words.lower():
        words = words[0].upper() + words[1:]
    return words or code


def display(code: str | None, dimension: str, labels: Names | None, lang: str = "en") -> str:
    """What a reader sees for ``code`` of ``dimension``: its label in ``labels`` (from
    ``labels_for``, which already falls back to English), else a readable form of the
    code; a missing value is "(none)" / «(بدون)». Never raises."""
    if code is None or (isinstance(code, str) and not code.strip()):
        return gettext(lang, NOT_RECORDED)
    code = str(code)
    label = ((labels or {}).get(dimension) or {}).get(code)
    return label if label else readable(code)
