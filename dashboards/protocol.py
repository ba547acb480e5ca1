"""What a browser posts to the Dash app, for callers that speak to it without one (tests,
benchmarks): one definition, so they all send what the real page router receives."""

from __future__ import annotations


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
