"""The page's language, read one way (the words themselves are ``analytics.translation``'s).

A page's language is its URL's ``lang`` (``?lang=ar``); it arrives as a layout's keyword
arguments, a callback's ``url.search`` or the request's query. ``page_language`` reads all
three, so no page, callback or route reads ``lang`` on its own; the browser's side (the
``<html dir>`` script in ``dashboards.app``) is built from the same languages.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qsl

import flask

from analytics.translation import language


def page_language(source: Mapping | str | None = None) -> str:
    """The page's language from ``lang`` of a query (``View``'s keyword arguments), of a
    URL's search string (``"?lang=ar&..."``, a callback's ``url.search``) or, with no
    source, of the current request. Anything but a known code is English."""
    if source is None:
        source = flask.request.args if flask.has_request_context() else {}
    if isinstance(source, str):
        source = dict(parse_qsl(source.lstrip("?")))
    return language(source.get("lang"))
