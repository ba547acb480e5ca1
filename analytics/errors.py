"""The one error a person can fix: a bad option, file, value or request.

``cca`` prints it without a traceback and exits 2; the dashboards show its text. Raise it
(or a subclass) with a message that names the file, line, column or option and the value.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import ValidationError


class UserError(ValueError):
    """An error the user can fix; its message says what and where."""


def read_toml(path: str | Path, what: str, error: type[Exception] = UserError) -> dict[str, Any]:
    """The table of a TOML file, else ``error`` naming it: "<path>: no such <what> file"
    or "<path>: not valid TOML: <where and why>"."""
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{path}: no such {what} file") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML: {exc}") from None


def check_choice(name: str, value, choices) -> None:
    """A ``ValueError`` "<name> must be one of a, b, not 'x'" unless ``value`` is one of
    ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, not {value!r}")


def validation_message(exc: ValidationError, root: str = "") -> str:
    """The first problem pydantic found in a file's table, as ``key.path[i]: reason, not
    value`` (``root`` names the table the model read, e.g. ``history``)."""
    error = exc.errors()[0]
    path = root
    for part in error["loc"]:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    if error["type"] == "extra_forbidden":
        return f"{path}: unknown key"
    if error["type"] == "missing":
        return f"{path}: missing"
    reason = error["msg"][:1].lower() + error["msg"][1:]
    return f"{path}: {reason}, not {error['input']!r}"
