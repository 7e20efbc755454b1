"""The package layout is a contract, not a convention (docs/architecture.md).

The import-linter contracts in pyproject.toml (stages import only stages below them, nothing
imports the command line, no import cycles at any depth) run here, so a change that breaks the
layering fails CI. grimp sees imports made inside functions as well as module-level ones.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import restbench

REPO = Path(__file__).resolve().parents[1]
PACKAGE = Path(restbench.__file__).resolve().parent

importlinter_cli = pytest.importorskip("importlinter.cli", reason="import-linter is a test dependency")


def test_import_linter_contracts_hold(capsys):
    code = importlinter_cli.lint_imports(config_filename=str(REPO / "pyproject.toml"), no_cache=True)
    report = capsys.readouterr().out
    assert code == 0, report
    assert "3 kept, 0 broken" in report


def _layers() -> list[set[str]]:
    import tomllib

    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]
    contract = next(c for c in config["contracts"] if c["id"] == "layers")
    return [{m.strip() for m in layer.split("|")} for layer in contract["layers"]]


def test_the_layers_contract_can_fail():
    """The same layers, checked by grimp on the real graph plus one upward import, do break."""
    import grimp

    graph = grimp.build_graph("restbench")
    layers = tuple(grimp.Layer(*sorted(layer)) for layer in _layers())
    assert graph.find_illegal_dependencies_for_layers(layers=layers) == set()
    graph.add_import(importer="restbench.metrics.fidelity", imported="restbench.engine.runner")
    broken = graph.find_illegal_dependencies_for_layers(layers=layers)
    assert {(d.importer, d.imported) for d in broken} == {("restbench.metrics", "restbench.engine")}


def test_few_loose_modules_beside_the_subpackages():
    loose = sorted(p.name for p in PACKAGE.glob("*.py") if p.name not in ("__init__.py", "__main__.py"))
    assert len(loose) <= 6, loose
    assert {"errors.py", "output.py", "paths.py", "registry.py"} <= set(loose)


def test_no_module_imports_a_private_name_of_another_module():
    """``from x import _name`` across modules was how the old layout leaked internals."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("restbench"):
                offenders += [f"{path.relative_to(PACKAGE)}: {node.module}.{a.name}" for a in node.names
                              if a.name.startswith("_") and not a.name.startswith("__")]
    assert offenders == []


def test_public_api_is_importable_from_its_documented_places():
    from restbench import build_model, get_registry, hookimpl, load_weights  # noqa: F401
    from restbench.metrics import psnr, psnrb, ssim  # noqa: F401
    from restbench.plugin.hookspecs import register_datasets, register_models  # noqa: F401
    from restbench.protocols import PROTOCOLS, evaluate, get_protocol  # noqa: F401

    assert callable(psnr) and "restormer-motion-deblurring" in get_registry().variants
