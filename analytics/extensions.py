"""DuckDB's extensions from their PyPI wheels: loaded by path, signed, never downloaded.

DuckDB normally downloads an extension the first time a query needs it; the machines this
runs on cannot, and should not run code fetched at query time. DuckDB publishes its signed
extension binaries as wheels (``duckdb-extension-ducklake`` and so on, one version per
DuckDB release), installed with the project like any dependency. Each wheel holds
``<package>/extensions/v<duckdb version>/<name>.duckdb_extension``; this module loads that
file by path on a connection whose configuration refuses unsigned extensions and every
automatic install or load, so DuckDB checks the binary's signature against the keys
built into it and never reaches for the network.

Moving to another DuckDB release (2.x included) means pinning ``duckdb`` and the three
wheels to the same version in ``pyproject.toml``: a mismatch is reported here by name.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import duckdb

# extension name -> the PyPI package (import name) that ships it
PACKAGES = {
    "ducklake": "duckdb_extension_ducklake",
    "sqlite_scanner": "duckdb_extension_sqlite_scanner",
    "postgres_scanner": "duckdb_extension_postgres_scanner",
}

# A connection that can load nothing it was not handed, and only signed binaries.
CONFIG = {
    "allow_unsigned_extensions": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
}


class ExtensionError(RuntimeError):
    """A packaged extension is missing or does not match the installed DuckDB."""


def extension_path(name: str) -> Path:
    """The ``.duckdb_extension`` file of ``name`` for the installed DuckDB version."""
    package = PACKAGES[name]
    wheel = package.replace("_", "-")
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ExtensionError(
            f"the DuckDB extension {name} is not installed: pip install "
            f"'{wheel}=={duckdb.__version__}' (make venv installs it)"
        )
    root = Path(next(iter(spec.submodule_search_locations))) / "extensions"
    path = root / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
    if not path.is_file():
        found = sorted(p.name for p in root.glob("v*")) if root.is_dir() else []
        raise ExtensionError(
            f"{wheel} has no build for DuckDB {duckdb.__version__} (it has "
            f"{', '.join(found) or 'none'}): pin duckdb and {wheel} to the same version"
        )
    return path


def connect(*extensions: str, **config) -> duckdb.DuckDBPyConnection:
    """A new in-memory DuckDB with ``extensions`` loaded from their wheels (signatures
    checked; nothing is ever downloaded)."""
    con = duckdb.connect(config={**CONFIG, **config})
    try:
        for name in extensions:
            path = str(extension_path(name)).replace("'", "''")
            con.execute(f"LOAD '{path}'")
    except BaseException:
        con.close()
        raise
    return con
