"""What a browser posts to the Dash app, for callers that speak to it without one (tests,
benchmarks): one definition, so they all send what the real page router receives."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def page_request(path: str, search: str) -> dict:
    """The body of Dash's page-router update for ``path?search`` (POST /_dash-update-component)."""
    return {
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [
            {"id": "_pages_content", "property": "children"},
            {"id": "_pages_store", "property": "data"},
        ],
        "inputs": [
            {"id": "_pages_location", "property": "pathname", "value": path},
            {"id": "_pages_location", "property": "search", "value": search},
        ],
        "changedPropIds": ["_pages_location.pathname"],
        "state": [],
    }


def callback_request(
    outputs: Sequence[str],
    inputs: Sequence[tuple[str, str, Any]],
    state: Sequence[tuple[str, str, Any] | list] = (),
) -> dict:
    """The body of a callback's update (POST /_dash-update-component) when the first of
    ``inputs`` fires: ``outputs`` as ``"id.property"``; ``inputs`` and ``state`` as
    (id, property, value), a list for a pattern-matching one (``[]``: none on the page)."""

    def prop(text: str) -> dict:
        cid, _, name = text.rpartition(".")
        return {"id": cid, "property": name}

    def entries(specs) -> list:
        return [
            s if isinstance(s, list) else prop(f"{s[0]}.{s[1]}") | {"value": s[2]} for s in specs
        ]

    many = len(outputs) > 1
    return {
        "output": ".." + "...".join(outputs) + ".." if many else outputs[0],
        "outputs": [prop(o) for o in outputs] if many else prop(outputs[0]),
        "inputs": entries(inputs),
        "state": entries(state),
        "changedPropIds": [f"{inputs[0][0]}.{inputs[0][1]}"],
    }
