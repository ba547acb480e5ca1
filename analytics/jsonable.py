"""Values as JSON can hold them: the one conversion for ``--format json`` and stored jobs."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any


def jsonable(value: Any) -> Any:
    """``value`` with dates as ISO 8601 text, numpy and pandas scalars as Python numbers,
    NaN and infinities as None (JSON has neither), mappings and sequences converted
    inside."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy and pandas scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
