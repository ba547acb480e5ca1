"""The KPI catalogue (analytics/kpi/catalogue.py) is the one declaration of every KPI.

* every column any command prints is a catalogue KPI (or its bound, CI, actual/predicted
  value or prediction error) or a declared non-KPI column: run the real commands;
* docs/kpis.md names every KPI of the catalogue and no KPI the catalogue lacks;
* each KPI has one label per language, and no two KPIs share an Arabic (or English) label;
* the consumers agree with it: the KPI layer's name lists, Erlang's service levels, the
  exports' labels and formats.
"""

from __future__ import annotations

import json
import re

import pytest
from support.cli import ROOT, generated_month, run_cca

from analytics.kpi import OCCUPANCY_NAMES, TICKET_KPI_NAMES, call_kpi_names, catalogue
from analytics.kpi.catalogue import CATALOGUE, OTHER_COLUMNS, find, format_value, kpi

OTHER = {c for group in OTHER_COLUMNS.values() for c in group}
ARABIC = re.compile(r"[\u0600-\u06FF]")


def _columns(value, out: list[str]) -> list[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            if k not in out:
                out.append(k)
            _columns(v, out)
    elif isinstance(value, list):
        for v in value:
            _columns(v, out)
    return out


def _undeclared(columns: list[str]) -> list[str]:
    def declared(c: str) -> bool:
        base = c[: -len("_error")] if c.endswith("_error") else c
        return find(base) is not None or c in OTHER

    return [c for c in columns if not declared(c)]


db = generated_month("bahrain_lmra", "2026-09")


COMMANDS = [
    ("kpi", "calls", "--centre", "bahrain_lmra", "--period", "2026-09", "--by", "category"),
    ("kpi", "calls", "--centre", "bahrain_lmra", "--period", "2026-09", "--interval", "day"),
    ("kpi", "tickets", "--centre", "bahrain_lmra", "--period", "2026-09", "--by", "channel"),
    ("erlang", "c", "--calls", "100", "--per", "1800", "--aht", "300", "--agents", "20"),
    (
        *("erlang", "a", "--calls", "100", "--per", "1800", "--aht", "300", "--patience", "60"),
        *("--target", "sl_offered_12>=0.8", "--shrinkage", "0.3"),
    ),
    (
        *("simulate", "--calls", "100", "--per", "1800", "--aht", "300", "--patience", "60"),
        *("--agents", "20", "--replications", "2", "--workers", "1"),
    ),
    ("staff", "--scenario", "example_small", "--no-verify"),
    ("staff", "--scenario", "example_small", "--no-verify", "--shifts", "8h"),
    ("forecast", "--centre", "bahrain_lmra", "--train", "2026-09-01..2026-09-23"),
    ("forecast", "--centre", "bahrain_lmra", "--train", "2026-09", "--backtest", "--folds", "1"),
    (
        *("backtest", "--centre", "bahrain_lmra", "--train", "2026-09-01..2026-09-14"),
        *("--test", "2026-09-15..2026-09-15", "--replications", "1", "--workers", "1"),
    ),
    ("roster", "--centre", "bahrain_lmra", "--week", "2026-09-13", "--shifts", "8h:1h-break"),
    ("generate", "--scenario", "bahrain_lmra", "--start", "2026-09"),
    (
        *("intraday", "--centre", "bahrain_lmra", "--at", "2026-09-15 11:00"),
        *("--arrivals", "actual", "--staffing", "table", "--replications", "2"),
    ),
]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_every_column_a_command_prints_is_declared(db, tmp_path, args):
    out = run_cca(*args, "--format", "json", db=db).stdout
    columns = _columns(json.loads(out), [])
    assert columns, f"cca {' '.join(args)} printed no columns"
    assert _undeclared(columns) == [], (
        f"cca {' '.join(args)} prints columns that are neither a KPI of "
        "analytics/kpi/catalogue.py nor in its OTHER_COLUMNS"
    )


def test_calibrate_prints_only_declared_columns(db, tmp_path):
    out = run_cca(
        *("calibrate", "--centre", "bahrain_lmra", "--period", "2026-09"),
        *("--out", str(tmp_path / "fitted.toml"), "--format", "json"),
        db=db,
    ).stdout
    assert _undeclared(_columns(json.loads(out), [])) == []


def test_an_undeclared_column_is_caught():
    assert _undeclared(["offered", "sl_offered_12_ci_low", "asa_s_error", "calls_queued"]) == [
        "calls_queued"
    ]


def test_the_kpi_layer_lists_the_catalogue_in_its_order():
    calls = [k.name for k in CATALOGUE if k.subject == "calls"]
    named = call_kpi_names((12, 7.5))
    assert [n for n in named if not catalogue.SL_NAME.match(n)] == [
        n for n in calls if n not in catalogue.SL_VARIANTS
    ]
    assert [n for n in named if n.startswith("sl_offered_")] == ["sl_offered_12", "sl_offered_7.5"]
    assert list(TICKET_KPI_NAMES) == [k.name for k in CATALOGUE if k.subject == "tickets"]
    assert list(OCCUPANCY_NAMES) == [k.name for k in CATALOGUE if k.subject == "staffing"]
    from simulation.formulas.erlang import SERVICE_LEVELS

    assert SERVICE_LEVELS == catalogue.SL_VARIANTS


def test_each_kpi_has_one_label_per_language():
    for lang in ("en", "ar"):
        labels = [k.label[lang] for k in CATALOGUE]
        assert len(set(labels)) == len(labels), f"two KPIs share a {lang} label"
    for k in CATALOGUE:
        assert ARABIC.search(k.label["ar"]) and ARABIC.search(k.definition["ar"]), k.name
        assert not ARABIC.search(k.label["en"] + k.definition["en"]), k.name
        for text in (*k.label.values(), *k.short.values()):
            assert ("{t}" in text) == k.per_threshold, (k.name, text)


def test_one_arabic_term_for_abandoned_and_offered_calls():
    """'abandoned' is المتروكة and 'offered' الواردة on every screen and in every export
    (not التخلي, الترك or المعروضة)."""
    texts = [
        *(t for k in CATALOGUE for t in (k.label["ar"], k.short.get("ar", ""))),
        (ROOT / "dashboards" / "words.py").read_text(encoding="utf-8"),
    ]
    for text in texts:
        for other in ("التخلي", "نسبة الترك", "المعروضة"):
            assert other not in text


def test_docs_kpis_names_every_kpi_and_only_those():
    text = (ROOT / "docs" / "kpis.md").read_text(encoding="utf-8")
    for k in CATALOGUE:
        name = f"{k.name}_T" if k.per_threshold else k.name
        assert f"`{name}`" in text, f"docs/kpis.md does not name `{name}`"
    # every name in the first column of a KPI table is a catalogue KPI
    for line in text.splitlines():
        if m := re.match(r"^\| (`[a-z0-9_]+`(?:, `[a-z0-9_]+`)*) \|", line):
            for name in re.findall(r"`([a-z0-9_]+)`", m.group(1)):
                assert find(name.removesuffix("_T") + ("_12" if name.endswith("_T") else "")), name


def test_formats_and_directions_come_from_the_declaration():
    assert format_value("sl_offered_12_ci_low", 0.8123) == "81.2%"
    assert format_value("p_wait", 0.5) == "50.0%"  # a probability, not a count
    assert format_value("asa_s", 12.34, "ar") == "12.3 ث"
    assert format_value("resolution_wd_p50", 1.5) == "1.50 wd"
    assert format_value("offered_low", 1234.4) == "1,234"
    assert kpi("abandon_rate").higher_is_better is False
    assert kpi("sl_with_abandons_7.5").target_reads() == "≥"
    row = {"offered": 100, "short_abandoned": 7, "answered": 80}
    assert kpi("sl_excl_short_30").denominator_of(row) == 93
    assert kpi("asa_s").denominator_of(row) == 80
    assert kpi("offered").denominator_of(row) is None
    with pytest.raises(KeyError, match="calls_queued"):
        kpi("calls_queued")
    assert kpi("oldest_wait_s").target_reads() == "≤"  # the live KPIs (issue 23)


def test_the_exports_labels_are_the_catalogues():
    from analytics.exports.i18n import Labels

    for lang in ("en", "ar"):
        labels = Labels(lang)
        assert labels.kpi("sl_offered_12") == kpi("sl_offered").label[lang].format(t="12")
        assert labels.short("abandon_rate") == kpi("abandon_rate").short[lang]
        assert labels.kpi("offered_low") == "offered_low"  # a bound is not labelled as its KPI
