"""What the project ships beside its code, installed as the package ``cca_data``.

``data/scenarios/`` (scenario and history packs), ``data/mappings/`` (mapping presets for
real exports), ``data/samples/`` (small files in every supported format) and
``data/alerts/`` (example alert rules per centre) are package
data: ``pyproject.toml`` maps the package ``cca_data`` onto this directory
(``[tool.setuptools.package-dir]``), so an ordinary ``pip install .`` or a wheel carries
them, and ``analytics.packaged`` reads them through ``importlib.resources`` wherever the
package is installed. The default database file ``data/contact_centre.duckdb`` is not
part of it: it lives under the working directory (or ``CCA_DB``) and is never committed.
See docs/architecture.md.
"""
