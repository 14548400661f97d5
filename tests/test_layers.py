"""The layers hold: the import-linter contracts of pyproject.toml (``[tool.importlinter]``),
and no module of ringway imports itself through others."""

from pathlib import Path

import grimp
from importlinter import configuration
from importlinter.application.use_cases import lint_imports

PYPROJECT = Path(__file__).parents[1] / "pyproject.toml"


def test_the_layer_contracts_are_kept() -> None:
    """The domain does no I/O; storage and the engine import no transport; the transports (api,
    dashboard, cli) import no storage; sibling packages import each other in one direction
    only. On failure, the output names the offending imports."""
    configuration.configure()
    assert lint_imports(str(PYPROJECT), cache_dir=None, no_logo=True)


def test_no_import_cycle_among_modules() -> None:
    """Imports under ``TYPE_CHECKING`` count too: a type shared both ways lives in one module
    (a ``Protocol`` where needed)."""
    graph = grimp.build_graph("ringway", cache_dir=None)
    cycles = {
        (module, *chain)
        for module in graph.modules
        for imported in graph.find_modules_directly_imported_by(module)
        if (chain := graph.find_shortest_chain(imported, module))
    }
    assert not cycles, sorted(cycles)
