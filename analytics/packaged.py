"""What the project ships beside its code: scenario packs, mapping presets, samples and
example alert rules.

They live in the repository's ``data/`` directory (``data/scenarios/NAME.toml``,
``data/mappings/NAME.toml``, ``data/samples/``, ``data/alerts/CENTRE.toml``), which is installed as the package
``cca_data`` (``pyproject.toml``'s ``[tool.setuptools.package-dir]``). This module finds
them through ``importlib.resources``, so ``cca demo`` and ``load_scenario("saudi_mol")``
work the same from a clone (editable install), from ``pip install .`` or from a wheel,
in any working directory. Installs unpack to files, so the directories are plain paths.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

PACKAGE = "cca_data"
KINDS = ("scenarios", "mappings", "samples", "alerts")


def packaged_dir(kind: str) -> Path:
    """The installed directory of ``kind`` (``scenarios``, ``mappings``, ``samples`` or
    ``alerts``)."""
    if kind not in KINDS:
        raise ValueError(f"no packaged {kind!r}: one of {', '.join(KINDS)}")
    root = resources.files(PACKAGE) / kind
    if not isinstance(root, Path):  # a zipped install: not a layout this project ships
        raise RuntimeError(f"{PACKAGE}/{kind} is not a directory on disk ({root!r})")
    return root


def packaged_names(kind: str, suffix: str = ".toml") -> list[str]:
    """The names (without ``suffix``) of the packaged files of ``kind``."""
    return sorted(p.stem for p in packaged_dir(kind).glob(f"*{suffix}"))


def packaged_file(kind: str, name: str, suffix: str = ".toml") -> Path | None:
    """``data/<kind>/<name><suffix>`` as installed, or None when there is none."""
    path = packaged_dir(kind) / f"{name}{suffix}"
    return path if path.is_file() else None
