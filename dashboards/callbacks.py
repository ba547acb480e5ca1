"""Callbacks declared beside the function they wrap, registered on each app.

Dash's global ``dash.callback`` binds to whichever app is built next, but the dashboards
build one app per store (the tests build several in one process). A module therefore
collects its callbacks in a ``Callbacks`` — the decorator sits on the plain function, so
its inputs and outputs read next to its code — and the page registers them on its app.
The decorated function is returned unchanged: tests call it directly.
"""

from __future__ import annotations

from collections.abc import Callable


class Callbacks:
    """A module's server callbacks, waiting for an app."""

    def __init__(self) -> None:
        self._declared: list[tuple[tuple, dict, Callable]] = []

    def __call__(self, *dependencies, **options) -> Callable[[Callable], Callable]:
        """``@callbacks(Output(...), Input(...), State(...), prevent_initial_call=True)``."""

        def declare(function: Callable) -> Callable:
            self._declared.append((dependencies, options, function))
            return function

        return declare

    def register(self, app) -> None:
        for dependencies, options, function in self._declared:
            app.callback(*dependencies, **options)(function)
