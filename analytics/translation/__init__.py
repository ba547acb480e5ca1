"""The one way the product speaks English and Arabic: gettext catalogues read by Babel.

Every word a reader sees that is not a number, a KPI label or a centre's own label of a
code comes from the message catalogue ``locale/ar/LC_MESSAGES/messages.po`` beside this
module: the English text is the message id, the Arabic its translation. Arabic has six
plural forms (none, one, two, a few, many, other) — "{n} دقيقة" is right only for some
numbers — so a sentence with a count is ``ngettext`` (``npgettext`` with a context) and
the catalogue holds each form. The ``.po`` file is compiled in memory when first needed
(``babel.messages.pofile.read_po`` then ``mofile.write_mo``): a clean clone has nothing
to build. Numbers and dates are formatted by Babel for the reader's locale (Latin
digits in both languages, the digits Gulf offices use).

KPI labels and definitions are the KPI layer's (one Arabic term per KPI, kept with the
KPI's declaration); ``GLOSSARY`` names the words the catalogue must use for them, and
``tests/analytics/test_translation.py`` fails on another (``المعروضة`` for offered calls,
``التخلي`` for abandoning).

This is the only module that asks which language it is: code elsewhere calls
``gettext(lang, ...)``, ``translator(lang)``, ``is_rtl(lang)`` or ``direction(lang)``;
``tests/analytics/test_translation.py`` fails on a language branch (``lang == "ar"``, ``if ar``)
anywhere else, and on a message used in code that the Arabic catalogue lacks.

Adding a message: write it in English in code inside ``gettext``/``_``/``ngettext``/
``pgettext``/``npgettext`` (or ``N_``/``NP_``/``NN_`` where it is only marked, as in a
table of words), then add its Arabic to the ``.po`` (the test names what is missing).
"""

from __future__ import annotations

import datetime as dt
import functools
import gettext as _gettext
import io
import re
from importlib import resources

from babel import Locale
from babel.dates import format_date as _format_date
from babel.dates import format_time as _format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal as _format_decimal

LANGUAGES = ("en", "ar")
DEFAULT = "en"
RTL_LANGUAGES = ("ar",)
# each language's name in itself (a language switch offers the other by its own name)
LANGUAGE_NAMES = {"en": "English", "ar": "العربية"}
_RTL = frozenset(RTL_LANGUAGES)
DOMAIN = "messages"

# One Arabic word per KPI concept: the term the KPI catalogue uses, and words the
# message catalogue may not use for it (tests/analytics/test_translation.py).
GLOSSARY = {
    "offered": ("الواردة", ("المعروضة",)),
    "abandoned": ("المتروكة", ("التخلي", "المتخلي", "تخلٍّ")),
}

# Unicode isolates: a run of one direction inside text of the other keeps its order
# ("(إرلانغ A)" must not read "(A إرلانغ)").
FSI, LRI, RLI, PDI = "\u2068", "\u2066", "\u2067", "\u2069"


def language(value: object) -> str:
    """A language code from anything a request carries (``ar``, ``en``, None, garbage):
    one of ``LANGUAGES``, English unless it names another one."""
    text = str(value or "").strip().lower()
    return text if text in LANGUAGES else DEFAULT


def is_rtl(lang: str) -> bool:
    """Is ``lang`` written right to left?"""
    return language(lang) in _RTL


def direction(lang: str) -> str:
    """``rtl`` or ``ltr``: the ``dir`` attribute of a page in ``lang``."""
    return "rtl" if is_rtl(lang) else "ltr"


def start_side(lang: str) -> str:
    """``left`` or ``right``: where reading starts (a grid's pinned columns go there)."""
    return "right" if is_rtl(lang) else "left"


def end_side(lang: str) -> str:
    """``right`` or ``left``: where reading ends."""
    return "left" if is_rtl(lang) else "right"


def speaks_source(lang: str) -> bool:
    """Does ``lang`` read the English that lower layers write as they work (a job's
    progress, a calibration's account of where its agents came from)? Those sentences
    have no translation: a reader of another language gets a catalogue summary instead."""
    return language(lang) == DEFAULT


def other_language(lang: str) -> str:
    """The language a page's language switch offers."""
    lang = language(lang)
    return next(other for other in LANGUAGES if other != lang)


def catalogue_path(lang: str):
    """The ``.po`` file of ``lang`` (a Traversable inside the installed package)."""
    return resources.files(__name__) / "locale" / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalogue(lang: str):
    """The ``babel.messages.Catalog`` of ``lang`` as the repository holds it."""
    with catalogue_path(lang).open("rb") as fh:
        return read_po(fh, locale=lang, domain=DOMAIN)


@functools.cache
def _translations(lang: str) -> _gettext.NullTranslations:
    if lang == DEFAULT:
        return _gettext.NullTranslations()  # English is the message id itself
    buffer = io.BytesIO()
    write_mo(buffer, read_catalogue(lang))
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def number(value: float, lang: str, digits: int = 0) -> str:
    """``value`` with its locale's grouping and ``digits`` decimals: 11,000 / 12.3."""
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return _format_decimal(value, pattern, locale=language(lang), numbering_system="latn")


def percent(share: float, lang: str, digits: int = 1) -> str:
    """A share in [0, 1] as a percentage: 0.784 -> 78.4%."""
    return number(share * 100, lang, digits) + "%"


# The one date format, day then month in words then year, in its lengths (CLDR patterns).
DATE_FORMS = {
    "long": "EEEE d MMMM y",  # Sunday 1 September 2024 / الأحد 1 سبتمبر 2024 (a heading)
    "day": "d MMMM y",  # 1 September 2024
    "short": "d MMM y",  # 1 Sep 2024 / 1 سبتمبر 2024 (a table cell, a stamp)
    "day_month": "d MMM",  # 1 Sep (a chart's axis, where the year is in the title)
    "month": "MMMM y",  # September 2024
}


def date(day: dt.date, lang: str, form: str = "long") -> str:
    """A date in the one format every page and export uses (``DATE_FORMS``)."""
    if isinstance(day, dt.datetime):
        day = day.date()
    return _date(day, language(lang), form)


def time(moment: dt.time | dt.datetime, lang: str) -> str:
    """A time of day, 24-hour: 09:30."""
    return _time(moment.hour, moment.minute, language(lang))


# A page lists hundreds of calls with their dates and times, from a few dozen days and
# the minutes of one: formatted once each (Babel parses the locale and the pattern on
# every call, some 70 µs; 36 ms of a page listing 500 calls).
@functools.lru_cache(maxsize=4096)
def _date(day: dt.date, lang: str, form: str) -> str:
    return _format_date(day, DATE_FORMS[form], locale=lang)


@functools.lru_cache(maxsize=4096)
def _time(hour: int, minute: int, lang: str) -> str:
    return _format_time(dt.time(hour, minute), "HH:mm", locale=lang)


def moment(instant: dt.datetime, lang: str) -> str:
    """A date and time (already in the reader's zone): '30 Sep 2026 14:05'."""
    return f"{date(instant.date(), lang, 'short')} {time(instant, lang)}"


def month_name(month: int, lang: str) -> str:
    """The Gregorian month's name (1 = January)."""
    return Locale.parse(language(lang)).months["format"]["wide"][month]


def weekday_name(iso_weekday: int, lang: str, width: str = "wide") -> str:
    """The weekday's name (ISO: 1 = Monday); ``width`` 'abbreviated' gives 'Mon' (Arabic
    has no shorter name)."""
    return Locale.parse(language(lang)).days["format"][width][iso_weekday - 1]


def isolate(text: str) -> str:
    """``text`` as an isolated run (FSI ... PDI): its direction does not leak into the
    sentence around it — a Latin name, code or number inside Arabic, or the reverse."""
    return f"{FSI}{text}{PDI}" if text else text


# A run of Latin words inside right-to-left text ("Erlang A", "CSV", "cca backtest"): from
# a Latin letter to the last Latin letter or digit, spaces and ._-/+ inside.
_LATIN_RUN = re.compile(r"[A-Za-z](?:[A-Za-z0-9_.\-/+ ]*[A-Za-z0-9])?")
_LATIN = re.compile(r"[A-Za-z]")
_FIELD = re.compile(r"(\{[^{}]*\})")


# a period or a date typed with digits ("2026-09-20..2026-09-26", "20/09"): left to right
_DIGITS_RANGE = re.compile(r"\d[-/]|\.\.")
_ARABIC = re.compile(r"[\u0600-\u06ff]")


def _left_to_right(value: object) -> bool:
    """Is a field's value a left-to-right run inside Arabic (a Latin name or code, a date
    or period in digits), to be isolated? Numbers alone read right already."""
    if not isinstance(value, str):
        return False
    return bool(_LATIN.search(value)) or (
        bool(_DIGITS_RANGE.search(value)) and not _ARABIC.search(value)
    )


def isolate_latin(text: str) -> str:
    """Right-to-left ``text`` with each Latin run isolated left to right (LRI ... PDI), so
    "(إرلانغ A)" keeps its order whatever the direction around it; ``{fields}`` are left
    for ``str.format``."""
    if not _LATIN.search(text):
        return text
    parts = _FIELD.split(text)
    for i in range(0, len(parts), 2):  # the text between {fields}
        parts[i] = _LATIN_RUN.sub(lambda m: f"{LRI}{m.group(0)}{PDI}", parts[i])
    return "".join(parts)


def for_reader(text: str, lang: str) -> str:
    """Text written in ``lang`` elsewhere (the KPI catalogue's labels) made ready for its
    reader: in right-to-left text, Latin runs isolated as the catalogue's messages are."""
    return isolate_latin(text) if is_rtl(lang) else text


class Translator:
    """The messages of one language; placeholders ``{name}`` are filled after translation
    (the Arabic may order them differently). ``n`` of a plural message is filled in as a
    number of the locale."""

    def __init__(self, lang: str):
        self.lang = language(lang)
        self.rtl = is_rtl(self.lang)
        self._t = _translations(self.lang)

    def _fill(self, text: str, fields: dict, *english: str) -> str:
        """The translation with its fields; in right-to-left text a Latin run of the
        template or of a field's value (a code, a name) is isolated. ``english``: the
        message ids (an untranslated message stays as it is)."""
        if self.rtl and text not in english:
            text = isolate_latin(text)
            fields = {k: isolate(v) if _left_to_right(v) else v for k, v in fields.items()}
        return text.format(**fields) if fields else text

    def gettext(self, message: str, /, **fields) -> str:
        return self._fill(self._t.gettext(message), fields, message)

    __call__ = gettext

    def pgettext(self, context: str, message: str, /, **fields) -> str:
        return self._fill(self._t.pgettext(context, message), fields, message)

    def ngettext(self, singular: str, plural: str, n: float, /, **fields) -> str:
        text = self._t.ngettext(singular, plural, _plural_count(n))
        return self._fill(text, {"n": _count(n, self.lang), **fields}, singular, plural)

    def npgettext(self, context: str, singular: str, plural: str, n: float, /, **fields) -> str:
        text = self._t.npgettext(context, singular, plural, _plural_count(n))
        return self._fill(text, {"n": _count(n, self.lang), **fields}, singular, plural)


def _plural_count(n: float) -> int:
    """gettext's plural rules take integers; a fraction reads as the Arabic 'other' form
    (CLDR: 2.5 ساعة, not the dual)."""
    return int(n) if float(n).is_integer() else 100


def _count(n: float, lang: str) -> str:
    return number(n, lang, 0 if float(n).is_integer() else 1)


@functools.cache
def translator(lang: str) -> Translator:
    """The ``Translator`` of ``lang`` (any unknown code is English)."""
    return Translator(language(lang))


def gettext(lang: str, message: str, /, **fields) -> str:
    """``message`` (English) in ``lang``, ``{fields}`` filled in."""
    return translator(lang).gettext(message, **fields)


def pgettext(lang: str, context: str, message: str, /, **fields) -> str:
    return translator(lang).pgettext(context, message, **fields)


def ngettext(lang: str, singular: str, plural: str, n: float, /, **fields) -> str:
    """The form of ``singular`` / ``plural`` for ``n`` in ``lang`` (Arabic: six forms)."""
    return translator(lang).ngettext(singular, plural, n, **fields)


def npgettext(lang: str, context: str, singular: str, plural: str, n: float, /, **fields) -> str:
    return translator(lang).npgettext(context, singular, plural, n, **fields)


def in_languages(message: str, /, **fields) -> dict[str, str]:
    """``{lang: message}`` in every language (alerts store each reader's sentence); a
    field that is a function of the language (a label, a plural) is called for each."""
    return {
        lang: gettext(
            lang, message, **{k: v(lang) if callable(v) else v for k, v in fields.items()}
        )
        for lang in LANGUAGES
    }


def N_(message: str) -> str:  # noqa: N802 (gettext's name for a marker)
    """Marks ``message`` for the catalogue where it is translated later (a table of words)."""
    return message


def NP_(context: str, message: str) -> tuple[str, str]:  # noqa: N802
    """Marks ``message`` with its context for the catalogue (``pgettext`` later)."""
    return context, message


def NN_(singular: str, plural: str) -> tuple[str, str]:  # noqa: N802
    """Marks a counted message's English forms for the catalogue (``ngettext`` later)."""
    return singular, plural
