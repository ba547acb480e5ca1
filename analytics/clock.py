"""Times of day written HH:MM: the one parser and printer (opening hours, shifts, spans).

"24:00" is the end of a day (a span may close at midnight); "24:30" is no time.
"""

from __future__ import annotations

import re

HHMM = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")


def is_hhmm(text: object) -> bool:
    """Whether ``text`` is a time HH:MM from 00:00 to 24:00."""
    m = HHMM.match(text) if isinstance(text, str) else None
    return bool(m) and not (m.group(1) == "24" and m.group(2) != "00")


def seconds_of_day(hhmm: object, where: str) -> int:
    """Seconds after midnight of ``hhmm``; a ValueError naming ``where`` otherwise."""
    if not is_hhmm(hhmm):
        raise ValueError(f"{where}: {hhmm!r} is not a time HH:MM (00:00 to 24:00)")
    hours, minutes = str(hhmm).split(":")
    return int(hours) * 3600 + int(minutes) * 60


def hhmm(seconds: int) -> str:
    """``seconds`` after midnight as HH:MM (86,400 is 24:00)."""
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"
