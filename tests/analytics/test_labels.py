"""Display labels: a manager reads "Work-permit request follow-up" or «متابعة طلبات إصدار
رخص العمل», never the stored code ``work_permit_follow_up``.

Labels live in the store per centre, dimension, code and language. They arrive with a
scenario's ``[labels]`` (``cca generate``) or a mapping's ``[labels.category]`` (``cca
ingest``), and the exports show them. Every test runs on a real DuckDB file.
"""

from __future__ import annotations

import subprocess

import openpyxl
import pytest
from support.cli import generated_store, run_cca

from analytics.exports.i18n import Labels
from analytics.exports.xlsx import sheet_names
from analytics.ingest import ingest_file
from analytics.labels import display, labels_for, readable, save_labels
from analytics.mapping import MappingError, load_mapping
from analytics.store import Store, latest_version, schema_version
from simulation.queue.scenario_file import SCENARIO_DIR, load_scenario, scenario_from_dict

FOLLOW_UP_AR = "متابعة طلبات إصدار رخص العمل"
# pdftotext wraps right-to-left runs in embedding marks; the words are what a reader sees.
BIDI_MARKS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u200e\u200f"))


def test_labels_round_trip_per_centre_and_language(store):
    with store.writer() as con:
        save_labels(
            con,
            "bh",
            {
                "topic": {
                    "work_permit_follow_up": {"en": "Work-permit follow-up", "ar": FOLLOW_UP_AR},
                    "fees": {"en": "Fee invoices", "ar": "فواتير دفع الرسوم"},
                },
                "site": {"seef": {"en": "Seef"}},
            },
        )
        save_labels(con, "sa", {"topic": {"fees": {"en": "Fees (Riyadh)"}}})
    with store.reader() as con:
        assert labels_for(con, "bh", "ar") == {
            "topic": {"work_permit_follow_up": FOLLOW_UP_AR, "fees": "فواتير دفع الرسوم"},
            "site": {"seef": "Seef"},  # no Arabic name: the English one
        }
        assert labels_for(con, "bh", "en")["topic"]["fees"] == "Fee invoices"
        assert labels_for(con, "sa", "en") == {"topic": {"fees": "Fees (Riyadh)"}}
        assert labels_for(con, "nowhere", "ar") == {}


def test_saving_a_code_again_replaces_its_labels_and_keeps_the_others(store):
    with store.writer() as con:
        save_labels(
            con,
            "bh",
            {
                "category": {
                    "employer": {"en": "Employers", "ar": "أصحاب العمل"},
                    "worker": {"en": "Workers", "ar": "العمال"},
                }
            },
        )
    with store.writer() as con:
        # A quote and a semicolon are values, bound as parameters, stored as written.
        save_labels(con, "bh", {"category": {"employer": {"en": "Employers' line; DROP"}}})
    with store.reader() as con:
        rows = con.execute(
            "SELECT code, lang, label FROM labels WHERE centre_id = 'bh' ORDER BY ALL"
        ).fetchall()
        assert rows == [
            ("employer", "en", "Employers' line; DROP"),  # its old Arabic name is gone too
            ("worker", "ar", "العمال"),
            ("worker", "en", "Workers"),
        ]
        assert labels_for(con, "bh", "ar")["category"]["employer"] == "Employers' line; DROP"


def test_bad_labels_are_refused_before_anything_is_written(store):
    with pytest.raises(ValueError, match="labels.agent: unknown dimension"):
        with store.writer() as con:
            save_labels(con, "bh", {"agent": {"a1": {"en": "Agent one"}}})
    with pytest.raises(ValueError, match="labels.topic.fees.fr: unknown language"):
        with store.writer() as con:
            save_labels(con, "bh", {"topic": {"fees": {"fr": "Frais"}}})
    with store.reader() as con:
        assert con.execute("SELECT count(*) FROM labels").fetchall() == [(0,)]


def test_display_falls_back_from_the_language_to_english_to_the_code_as_words():
    arabic = {"topic": {"fees": "فواتير دفع الرسوم", "inspection": "Inspection"}}
    assert display("fees", "topic", arabic, "ar") == "فواتير دفع الرسوم"
    assert display("inspection", "topic", arabic, "ar") == "Inspection"  # English, via labels_for
    assert display("work_permit_follow_up", "topic", arabic, "ar") == "Work permit follow up"
    assert display("fees", "category", arabic, "ar") == "Fees"  # labels are per dimension
    assert display("PS", "category", {}, "en") == "PS"  # an acronym keeps its capitals
    assert display(None, "topic", arabic, "ar") == "(بدون)"
    assert display("", "topic", None, "en") == "(none)"
    assert readable("e_services") == "E services" and readable("Walk_In") == "Walk In"


def test_the_exports_words_take_the_centre_s_labels_before_the_seed_names():
    labels = Labels("ar", {"category": {"employer": "المنشآت"}, "topic": {"fees": "الرسوم"}})
    assert labels.category("employer") == "المنشآت"
    assert labels.category("worker") == "العمال"  # a seed category without a stored label
    assert labels.topic("fees") == "الرسوم" and labels.topic("nitaqat") == "Nitaqat"
    assert labels.category_calls("employer") == "مكالمات المنشآت"
    assert Labels("en").category_calls("employer") == "employer calls"
    english = Labels("en", {"category": {"NW": "Prospective customers", "VIP": "VIP"}})
    assert english.category_calls("NW") == "calls from prospective customers"
    assert english.category_calls("VIP") == "calls from VIP"


def test_every_category_and_topic_of_the_seed_packs_has_english_and_arabic_names():
    for name in ("bahrain_lmra", "saudi_mol", "example_small"):
        scenario = load_scenario(name)
        topics = {t for c in scenario.categories for t, _ in c.topics}
        for dimension, codes in (
            ("category", {c.name for c in scenario.categories}),
            ("topic", topics),
        ):
            named = scenario.labels[dimension]
            assert codes <= set(named), (name, dimension, codes - set(named))
            for code in codes:
                assert set(named[code]) == {"en", "ar"}, (name, code)
    assert load_scenario("bahrain_lmra").labels["topic"]["work_permit_follow_up"]["ar"] == (
        FOLLOW_UP_AR  # the seed's own words
    )


def test_a_scenario_with_a_bad_labels_table_is_refused_naming_it():
    base = {
        "name": "x",
        "categories": {
            "a": {
                "share": 1.0,
                "talk": {"dist": "fixed", "value_s": 60},
                "patience": {"dist": "fixed", "value_s": 60},
            }
        },
        "staffing": {"agents": 1},
        "volume": {"calls_per_day": 10},
    }
    assert scenario_from_dict(base).labels == {}
    with pytest.raises(ValueError, match=r"labels\.queue\.q1\.en: expected a non-empty"):
        scenario_from_dict({**base, "labels": {"queue": {"q1": {"en": ""}}}})


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """`cca generate` of a small copy of the Bahrain pack (a fortieth of its calls)."""
    tmp = tmp_path_factory.mktemp("labels")
    text = (SCENARIO_DIR / "bahrain_lmra.toml").read_text(encoding="utf-8")
    small = tmp / "bahrain_small.toml"
    small.write_text(
        text.replace("calls_per_month = 11000", "calls_per_month = 300")
        .replace("per_month = 4400", "per_month = 40")
        .replace("per_month = 1500", "per_month = 15")
        .replace("per_month = 600 ", "per_month = 20 "),
        encoding="utf-8",
    )
    return generated_store(tmp, str(small), "2026-09")


def test_generate_stores_the_scenario_s_labels(generated):
    with Store(generated).reader() as con:
        arabic = labels_for(con, "bahrain_lmra", "ar")
        stored_topics = {
            t for (t,) in con.execute("SELECT DISTINCT topic FROM calls").fetchall() if t
        }
    assert arabic["topic"]["work_permit_follow_up"] == FOLLOW_UP_AR
    assert arabic["category"]["employer"] == "أصحاب العمل"
    assert arabic["channel"]["sms"] == "الرسائل النصية القصيرة"
    assert stored_topics <= set(arabic["topic"])  # every topic a call has is named


def test_the_centre_is_named_in_the_reader_s_language_and_falls_back_to_its_settings(generated):
    from dataclasses import replace

    from analytics.centres import get_centre
    from analytics.labels import centre_name, centre_names

    pack = load_scenario("bahrain_lmra").labels["centre"]["bahrain_lmra"]
    with Store(generated).reader() as con:
        centre = get_centre(con, "bahrain_lmra")
        assert centre_name(con, centre, "ar") == pack["ar"]
        assert centre_name(con, centre, "en") == pack["en"]
        assert Labels("ar", labels_for(con, "bahrain_lmra", "ar")).centre(centre) == pack["ar"]
        unnamed = replace(centre, centre_id="elsewhere", name="")
        assert centre_names(con, [centre, unnamed], "ar") == {
            "bahrain_lmra": pack["ar"],
            "elsewhere": "elsewhere",  # no label, no name: its id
        }
    with Store(generated).writer() as con:
        con.execute("DELETE FROM labels WHERE dimension = 'centre'")
    with Store(generated).reader() as con:
        assert centre_name(con, centre, "ar") == centre.name  # the settings' name
    with Store(generated).writer() as con:
        save_labels(con, "bahrain_lmra", {"centre": {"bahrain_lmra": pack}})


def test_the_arabic_workbook_and_pdf_show_the_topic_s_arabic_name_not_its_code(generated, tmp_path):
    for suffix in ("xlsx", "pdf"):
        run_cca(
            "export", "--centre", "bahrain_lmra", "--month", "2026-09", "--lang", "ar",
            "--out", str(tmp_path / f"sept.{suffix}"), db=generated,
        )  # fmt: skip
    wb = openpyxl.load_workbook(tmp_path / "sept.xlsx", read_only=True)
    ws = wb[sheet_names(Labels("ar"))["topic"]]
    cells = [c for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert FOLLOW_UP_AR in cells and "أصحاب العمل" in cells
    centre_ar = load_scenario("bahrain_lmra").labels["centre"]["bahrain_lmra"]["ar"]
    summary = wb[sheet_names(Labels("ar"))["summary"]]
    assert any(centre_ar in str(c) for row in summary.iter_rows(values_only=True) for c in row)
    assert "work_permit_follow_up" not in cells and "employer" not in cells

    text = subprocess.run(
        ["pdftotext", str(tmp_path / "sept.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout.translate(BIDI_MARKS)
    assert FOLLOW_UP_AR in text
    assert "work_permit_follow_up" not in text


def test_the_csv_keeps_the_codes_and_names_them_beside(generated, tmp_path):
    out = tmp_path / "sept.csv"
    run_cca(
        "export", "--centre", "bahrain_lmra", "--month", "2026-09", "--lang", "ar",
        "--out", str(out), db=generated,
    )  # fmt: skip
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0].split(",")[5:7] == ["category", "category_label"]
    assert any(",employer,أصحاب العمل," in line for line in lines)


def test_a_mapping_s_labels_are_stored_when_its_file_is_ingested(tmp_path):
    mapping = tmp_path / "bank.toml"
    mapping.write_text(
        """kind = "calls"
[columns]
call_id = "id"
arrived_at = "ts"
outcome = "CASE res WHEN 'AGENT' THEN 'answered' ELSE 'abandoned' END"
wait_s = "q"
category = "type"

[labels.category]
PS = {en = "Regular activity", ar = "العمليات المصرفية الاعتيادية"}
NW = {en = "Prospective customers"}
""",
        encoding="utf-8",
    )
    calls = tmp_path / "calls.csv"
    calls.write_text(
        "id,ts,res,q,type\n1,2024-09-01 09:00:00,AGENT,4,PS\n2,2024-09-01 09:01:00,HANG,9,NW\n",
        encoding="utf-8",
    )
    store = Store(tmp_path / "bank.duckdb")
    result = ingest_file(store, "calls", calls, "bank", mapping=mapping)
    assert result.loaded == 2
    with store.reader() as con:
        assert labels_for(con, "bank", "ar") == {
            "category": {"PS": "العمليات المصرفية الاعتيادية", "NW": "Prospective customers"}
        }
        assert [r[0] for r in con.execute("SELECT category FROM calls ORDER BY 1").fetchall()] == [
            "NW",
            "PS",
        ]  # the codes stay as the source wrote them


def test_the_anonymous_bank_mapping_names_all_six_caller_types():
    labels = load_mapping("data/mappings/anonymous_bank.toml").labels["category"]
    assert set(labels) == {"PS", "NW", "NE", "TT", "IN", "PE"}
    assert all(set(names) == {"en", "ar"} for names in labels.values())


def test_a_mapping_with_a_bad_labels_table_is_refused(tmp_path):
    mapping = tmp_path / "bad.toml"
    mapping.write_text('kind = "calls"\n[labels.caller]\nPS = {en = "x"}\n', encoding="utf-8")
    with pytest.raises(MappingError, match=r"bad.toml: labels.caller: unknown dimension"):
        load_mapping(mapping)


def test_a_store_of_schema_version_3_gets_the_labels_table_when_opened(tmp_path):
    store = Store(tmp_path / "old.duckdb")
    store.initialise()
    with store.writer() as con:
        con.execute("DROP TABLE labels")
        con.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    store.close()  # the next use opens it again, as a new process would
    with store.reader() as con:
        assert schema_version(con) == latest_version() >= 4
        assert labels_for(con, "bh", "en") == {}
    with store.writer() as con:
        save_labels(con, "bh", {"topic": {"fees": {"en": "Fee invoices"}}})
    with store.reader() as con:
        assert labels_for(con, "bh", "ar") == {"topic": {"fees": "Fee invoices"}}


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_column_headers_name_a_duration_s_unit_once(lang):
    from analytics.kpi import TICKET_KPI_NAMES
    from analytics.kpi.calls import call_kpi_names
    from analytics.kpi.catalogue import fmt_of

    labels = Labels(lang)
    units = {"en": ("(s)", "(wh)", "(wd)"), "ar": ("(ث)", "(ساعات عمل)", "(أيام عمل)")}[lang]
    for name in [*call_kpi_names([12.0, 30.0]), *TICKET_KPI_NAMES]:
        header = labels.column(name)
        said = sum(header.count(u) for u in {*units, f"({labels.unit(name)})"})
        expected = 1 if fmt_of(name) in ("seconds", "hours", "days") else 0
        assert said == expected, (name, header)
    assert Labels("en").column("resolution_wd_p50") == "Resolution p50 (wd)"
    assert Labels("ar").column("asa_s") == "سرعة الرد (ث)"
