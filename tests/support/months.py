"""Generated months handed out as copies: the history generator (a SimPy queue, an
ingest, a rollup) takes 10-20 s a month, a store's copy a twentieth of a second.

Each test process generates a month at most once and gives every fixture that asks for
it its own copy (``Store.backup``), which the fixture may write to. Processes do not
share templates: a store's caller hashes are keyed with the process's caller key
(``XDG_CONFIG_HOME`` is per test process), and a load with another key is refused."""

from __future__ import annotations

from pathlib import Path

from analytics.store import Store


class GeneratedMonths:
    """Months of scenario packs, generated once in ``folder`` and copied on demand."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.templates: dict[tuple[str, str, int], Store] = {}

    def copy(self, dest: Path, scenario: str, start: str, months: int = 1) -> Store:
        """A new store at ``dest`` holding ``months`` months of ``scenario`` (a pack's
        name or a TOML file) from ``start`` (YYYY-MM), as ``cca generate`` writes them
        with seed 0."""
        from cca.commands.generate import generate

        key = (scenario, start, months)
        template = self.templates.get(key)
        if template is None:
            folder = self.folder / f"{Path(scenario).stem}-{start}-{months}"
            folder.mkdir(parents=True)
            template = Store(folder / "template.duckdb")
            generate(template, scenario, start, months, 0, quiet=True)
            template.close()  # attached stores slow every other store's commits
            self.templates[key] = template
        dest.parent.mkdir(parents=True, exist_ok=True)
        return template.backup(dest)
