"""One way to translate: the gettext catalogue read by Babel, and nothing beside it.

Every message the code asks for (``gettext``, ``_``, ``ngettext``, ``pgettext``,
``npgettext``, the planner's ``t``, and the ``N_``/``NP_``/``NN_`` marks of tables of words) must
be in the Arabic catalogue with every plural form filled; no module but
``analytics.translation`` may ask which language it is (``lang == "ar"``, ``if ar``);
and the catalogue uses the KPI catalogue's one Arabic term for offered and abandoned.
"""

from __future__ import annotations

import ast
import datetime as dt
import re
from pathlib import Path

import pytest
from support.cli import ROOT

from analytics import translation
from analytics.exports.i18n import Labels, format_value
from analytics.translation import (
    GLOSSARY,
    direction,
    gettext,
    is_rtl,
    language,
    ngettext,
    read_catalogue,
    translator,
)

PACKAGES = ("analytics", "simulation", "dashboards", "cca")
TRANSLATION = ROOT / "analytics" / "translation"
# callee name -> positions of (context, singular, plural) among its arguments
KEYWORDS = {
    "gettext": (None, 0, None),
    "_": (None, 0, None),
    "N_": (None, 0, None),
    "t": (None, 0, None),  # the planner's t(text, lang)
    "ngettext": (None, 0, 1),
    "pgettext": (0, 1, None),
    "NP_": (0, 1, None),
    "NN_": (None, 0, 1),
    "npgettext": (0, 1, 2),
    "in_languages": (None, 0, None),
}
# module-level gettext(lang, ...) functions take the language first
LANG_FIRST = {"gettext", "ngettext", "pgettext", "npgettext"}


def source_files():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if TRANSLATION not in path.parents:
                yield path


def _literal(node):
    """A string literal's value (implicit concatenation included), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def used_messages():
    """(file:line, context, msgid, plural) of every literal message the code uses."""
    found = []
    for path in source_files():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name not in KEYWORDS:
                continue
            ctx_at, one_at, many_at = KEYWORDS[name]
            args = list(node.args)
            # gettext(lang, "text") at module level: the first argument is the language
            if (
                name in LANG_FIRST
                and isinstance(func, ast.Name)
                and args
                and _literal(args[0]) is None
            ):
                args = args[1:]
            values = [_literal(a) for a in args]
            if len(values) <= one_at or values[one_at] is None:
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            context = values[ctx_at] if ctx_at is not None else None
            plural = values[many_at] if many_at is not None and len(values) > many_at else None
            found.append((where, context, values[one_at], plural))
    return found


def test_arabic_has_six_plural_forms_and_counts_take_the_right_one():
    catalogue = read_catalogue("ar")
    assert catalogue.num_plurals == 6
    forms = {n: ngettext("ar", "{n} minute", "{n} minutes", n) for n in (0, 1, 2, 3, 11, 100)}
    assert forms == {
        0: "0 دقيقة",
        1: "دقيقة واحدة",
        2: "دقيقتان",
        3: "3 دقائق",
        11: "11 دقيقة",
        100: "100 دقيقة",
    }
    assert ngettext("en", "{n} minute", "{n} minutes", 1) == "1 minute"
    assert ngettext("en", "{n} minute", "{n} minutes", 1500) == "1,500 minutes"


def test_every_message_used_in_code_is_translated_in_the_arabic_catalogue():
    catalogue = read_catalogue("ar")
    used = used_messages()
    assert len(used) > 250, "the scan found too few messages: is KEYWORDS right?"
    missing = []
    for where, context, msgid, plural in used:
        message = catalogue.get(msgid, context=context)
        strings = () if message is None else message.string
        strings = strings if isinstance(strings, tuple) else (strings,)
        if message is None or not all(strings):
            missing.append(f"{where}: {context or ''}|{msgid!r}")
        elif plural is not None and len(strings) != catalogue.num_plurals:
            missing.append(f"{where}: {msgid!r} needs {catalogue.num_plurals} plural forms")
    assert not missing, "not in analytics/translation/locale/ar/LC_MESSAGES/messages.po:\n" + (
        "\n".join(missing)
    )


def test_placeholders_of_each_translation_match_the_english():
    field = re.compile(r"\{(\w*)[^{}]*\}")
    wrong = []
    for message in read_catalogue("ar"):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        want = set(field.findall(ids[-1])) | set(field.findall(ids[0]))
        for text in strings:
            # an Arabic form may spell the number out ("دقيقتان"): fewer fields, never others
            if not set(field.findall(text)) <= want:
                wrong.append(f"{ids[0]!r}: {text!r}")
    assert not wrong, wrong


_LANG_CODE = re.compile(r"""(?:[!=]==?\s*["'](?:ar|en)["'])|(?:["'](?:ar|en)["']\s*[!=]==?)""")


def language_branches(path: Path) -> list[str]:
    """Lines of ``path`` that ask which language it is."""
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    hits = []
    for node in ast.walk(tree):
        # lang == "ar", "en" != view.lang, lang in ("ar", ...)
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            codes = [o for o in operands if _literal(o) in translation.LANGUAGES]
            tuples = [
                o
                for o in operands
                if isinstance(o, ast.Tuple | ast.List | ast.Set)
                and any(_literal(e) in translation.LANGUAGES for e in o.elts)
            ]
            if codes or tuples:
                hits.append(node.lineno)
        # if ar: / x if arabic else y / if rtl: "text" ... (a language dressed as a flag)
        if isinstance(node, ast.If | ast.IfExp):
            test = node.test
            names = {n.id for n in ast.walk(test) if isinstance(n, ast.Name)}
            names |= {n.attr for n in ast.walk(test) if isinstance(n, ast.Attribute)}
            if names & {"ar", "arabic", "is_arabic"}:
                hits.append(node.lineno)
            if isinstance(node, ast.IfExp) and names & {"rtl", "is_rtl"}:
                # a direction may choose a side or a direction, never words
                for branch in (node.body, node.orelse):
                    text = _literal(branch)
                    if text is not None and text not in {"rtl", "ltr", "left", "right", ""}:
                        hits.append(node.lineno)
        # JavaScript inside Python: === "ar"
        if (text := _literal(node)) and _LANG_CODE.search(text):
            hits.append(node.lineno)
    return [f"{path.relative_to(ROOT)}:{n}" for n in sorted(set(hits))]


def test_no_module_but_the_translation_module_asks_which_language_it_is():
    hits = [hit for path in source_files() for hit in language_branches(path)]
    assert not hits, "language branches outside analytics/translation:\n" + "\n".join(hits)


def test_the_branch_check_finds_the_shapes_it_forbids(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        'a = "x" if lang == "ar" else "y"\n'
        "if ar:\n    pass\n"
        'b = "ث" if labels.rtl else "s"\n'
        'c = "right" if labels.rtl else "left"\n'
        'js = \'rtl = params.get("lang") === "ar"\'\n',
        encoding="utf-8",
    )
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        assert language_branches(sample) == [
            "sample.py:1",
            "sample.py:2",
            "sample.py:4",
            "sample.py:6",
        ]
    finally:
        ROOT = saved


@pytest.mark.parametrize("term", sorted(GLOSSARY))
def test_the_catalogue_uses_the_kpi_catalogues_one_arabic_term(term):
    kept, discarded = GLOSSARY[term]
    wrong = [
        (message.id, message.string)
        for message in read_catalogue("ar")
        if any(word in str(message.string) for word in discarded)
    ]
    assert not wrong, f"use «{kept}» for {term}: {wrong}"
    assert kept in Labels("ar").kpi(term)


def test_the_page_language_is_read_one_way():
    assert [language(v) for v in ("ar", "AR ", "en", None, "", "fr", "<x>")] == [
        "ar",
        "ar",
        "en",
        "en",
        "en",
        "en",
        "en",
    ]
    assert (direction("ar"), direction("en"), is_rtl("ar"), is_rtl("xx")) == (
        "rtl",
        "ltr",
        True,
        False,
    )


def test_numbers_and_dates_are_formatted_by_babel_for_each_locale():
    assert format_value("offered", 11000, "ar") == "11,000"
    assert format_value("asa_s", 1234.56, "ar") == "1,234.6 ث"
    assert format_value("asa_s", 1234.56, "en") == "1,234.6 s"
    assert format_value("answer_rate", 0.9891, "ar") == "98.9%"
    day = dt.date(2024, 9, 1)
    assert Labels("en").date(day) == "Sunday 1 September 2024"
    assert Labels("ar").date(day) == "الأحد 1 سبتمبر 2024"
    assert translation.date(day, "ar", "day") == "1 سبتمبر 2024"
    assert Labels("ar").gregorian_month(2024, 9) == "سبتمبر 2024"
    assert Labels("ar").hijri_month(1446, 3) == "ربيع الأول 1446 هـ"


def test_a_message_without_a_translation_reads_in_english_and_fields_fill_after():
    assert gettext("ar", "no such message {x}", x=1) == "no such message 1"
    assert translator("ar").gettext("{value} s", value="12.5") == "12.5 ث"


def test_latin_runs_inside_arabic_are_isolated_and_english_is_left_alone():
    from dashboards.words import words

    assert words("ar")["required_agents"].endswith("(إرلانغ \u2066A\u2069)")
    assert words("en")["required_agents"] == "Required agents (Erlang A)"
    # a field whose value is Latin (a code, a centre id) is isolated too; fields stay fields
    message = translation.in_languages("calls from {label}", label="VIP")
    assert message == {"en": "calls from VIP", "ar": "مكالمات \u2068VIP\u2069"}
    assert translation.isolate_latin("{x} CSV") == "{x} \u2066CSV\u2069"


def test_a_kpi_label_reads_the_same_in_the_kpi_catalogue_and_the_message_catalogue():
    """KPI labels come from the KPI catalogue (one source); where a page's word is also a
    KPI's label ('Offered', 'Agents'), the message catalogue must give the same Arabic."""
    from analytics.kpi.catalogue import CATALOGUE

    messages = read_catalogue("ar")
    disagree = []
    for k in CATALOGUE:
        for declared in (k.label, k.short):
            if declared and (m := messages.get(declared["en"])) is not None:
                if m.string != declared["ar"]:
                    disagree.append((k.name, declared["en"], m.string, declared["ar"]))
    assert not disagree, disagree


COUNTS = (0, 1, 2, 3, 11, 100)


def test_counts_inside_the_pages_sentences_take_arabic_s_six_forms():
    """A count in a sentence is a plural message: the data's age, the export's data stop,
    a ticket-age bucket, a count of calls, of open tickets and of chosen filter values,
    rendered for 0, 1, 2, 3, 11 and 100 (zero, one, two, few, many, other). The pages'
    own sentences are read through their code where it runs without an app."""
    from types import SimpleNamespace

    from analytics.freshness import DataAge
    from dashboards.freshness import stale_text

    now = dt.datetime(2026, 12, 6, 12, 0)

    def age(n):  # stale: two full working days of opening hours without a call
        return DataAge(now - dt.timedelta(days=n), now, 24 * 3600.0, 12 * 3600.0)

    days_ago = {n: stale_text(age(n), "ar", "x") for n in COUNTS}
    expected = ["قبل 0 يوم:", "قبل يوم واحد:", "قبل يومين:", "قبل 3 أيام:", "قبل 11 يوماً:"]
    expected.append("قبل 100 يوم:")
    for n, words_ar in zip(COUNTS, expected, strict=True):
        assert words_ar in days_ago[n], (n, days_ago[n])
    assert "1 day ago" in stale_text(age(1), "en", "x")
    assert "67 days ago" in stale_text(age(67), "en", "x")

    stop = {n: Labels("ar").data_stop(SimpleNamespace(data_stop=age(n))) for n in COUNTS}
    expected = ["بـ 0 يوم:", "بيوم واحد:", "بيومين:", "بـ 3 أيام:", "بـ 11 يوماً:", "بـ 100 يوم:"]
    for n, words_ar in zip(COUNTS, expected, strict=True):
        assert words_ar in stop[n], (n, stop[n])
    assert "1 day before the end" in Labels("en").data_stop(SimpleNamespace(data_stop=age(1)))

    # the Tickets page's age buckets (dashboards.pages.tickets.bucket_label)
    under = [ngettext("ar", "under {n} working day", "under {n} working days", n) for n in COUNTS]
    assert under == [
        "أقل من 0 يوم عمل",
        "أقل من يوم عمل واحد",
        "أقل من يومي عمل",
        "أقل من 3 أيام عمل",
        "أقل من 11 يوم عمل",
        "أقل من 100 يوم عمل",
    ]
    calls = [ngettext("ar", "{n} call", "{n} calls", n) for n in (*COUNTS, 1500)]
    assert calls == [
        "0 مكالمة",
        "مكالمة واحدة",
        "مكالمتان",
        "3 مكالمات",
        "11 مكالمة",
        "100 مكالمة",
        "1,500 مكالمة",
    ]
    tickets = [ngettext("ar", "{n} ticket open", "{n} tickets open", n) for n in COUNTS]
    assert tickets == [
        "0 تذكرة مفتوحة",
        "تذكرة واحدة مفتوحة",
        "تذكرتان مفتوحتان",
        "3 تذاكر مفتوحة",
        "11 تذكرة مفتوحة",
        "100 تذكرة مفتوحة",
    ]
    assert [ngettext("en", "{n} call", "{n} calls", n) for n in (1, 2)] == ["1 call", "2 calls"]
