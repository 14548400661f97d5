"""The layers hold: the import-linter contracts of pyproject.toml (``[tool.importlinter]``)."""

from pathlib import Path

from importlinter import configuration
from importlinter.application.use_cases import lint_imports

PYPROJECT = Path(__file__).parents[1] / "pyproject.toml"


def test_the_layer_contracts_are_kept() -> None:
    """The domain does no I/O; storage and the engine import no transport; the transports (api,
    dashboard, cli) import no storage. On failure, the output names the offending imports."""
    configuration.configure()
    assert lint_imports(str(PYPROJECT), cache_dir=None, no_logo=True)
