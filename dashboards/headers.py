"""Security headers on every answer of the dashboards, and the Content-Security-Policy the
app actually runs under.

The policy allows scripts only from this server plus Dash's own inline scripts by their
hashes (``Dash.csp_hashes``: the renderer's start-up and the clientside callbacks), no
plug-ins, no framing, forms and connections to this server only. Styles allow
``'unsafe-inline'``: Mantine (emotion) and AG Grid write ``<style>`` elements and style
attributes at run time, and a style cannot run code. A browser test opens every page and
fails on any violation reported in the console (``tests/dashboards/test_dashboards_security_e2e.py``).

Data and downloads are never cached (``Cache-Control: no-store``): a shared PC's browser
keeps no figures after log-out. Dash's fingerprinted bundles and the assets may be cached.
With ``secure`` (HTTPS behind a proxy) browsers are told to use HTTPS only (HSTS).
"""

from __future__ import annotations

import flask

CACHEABLE = ("/_dash-component-suites/", "/assets/")
HSTS = "max-age=31536000; includeSubDomains"


def policy(script_hashes: list[str]) -> str:
    """The Content-Security-Policy header's value."""
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *script_hashes],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{k} {' '.join(v)}" for k, v in directives.items())


def install(app, *, secure: bool = False) -> None:
    """Add the headers to every response of ``app``'s server. The policy is computed per
    answer: Dash adds inline scripts of its own on the first request (the page router's
    title), and hashing a few of them costs microseconds."""

    @app.server.after_request
    def headers(response: flask.Response) -> flask.Response:
        h = response.headers
        h["Content-Security-Policy"] = policy(list(app.csp_hashes()))
        h["X-Frame-Options"] = "DENY"
        h["X-Content-Type-Options"] = "nosniff"
        h["Referrer-Policy"] = "no-referrer"
        h["Cross-Origin-Opener-Policy"] = "same-origin"
        h["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
        if not flask.request.path.startswith(CACHEABLE):
            h["Cache-Control"] = "no-store"
            h.pop("Expires", None)
            h.pop("ETag", None)
        if secure:
            h["Strict-Transport-Security"] = HSTS
        return response
