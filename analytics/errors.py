"""The one error a person can fix: a bad option, file, value or request.

``cca`` prints it without a traceback and exits 2; the dashboards show its text. Raise it
(or a subclass) with a message that names the file, line, column or option and the value.
"""

from __future__ import annotations


class UserError(ValueError):
    """An error the user can fix; its message says what and where."""
