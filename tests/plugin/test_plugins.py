"""The plugin system: entry points, --plugin, blocking, failure isolation, duplicate names, scaffold."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest
import torch

import restbench
from restbench.plugin import manager as plugins
from restbench.cli import main

TINY_PLUGIN = '''
import torch.nn as nn
from restbench import hookimpl
from restbench.registry import Architecture, Variant

class Tiny(nn.Module):
    def __init__(self, ch=3):
        super().__init__()
        self.conv = nn.Conv2d(ch, ch, 3, padding=1)
    def forward(self, x):
        return x + self.conv(x)

@hookimpl
def register_models(register):
    register(Architecture("tinynet", Tiny), variants=[
        Variant(id="tinynet-s25", arch="tinynet", task="gaussian-denoising", sigma=25,
                weight_file="tiny.pth", licence_code="MIT", licence_weights="CC-BY-4.0"),
    ])
'''


@pytest.fixture
def plugin_dir(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in [m for m in sys.modules if m.startswith(("tinyplug", "brokenplug", "dupplug", "restbench_mynet"))]:
        del sys.modules[name]
    plugins.reset()


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write_entry_point(root: Path, dist: str, name: str, module: str) -> None:
    """A minimal installed distribution: what `pip install` leaves for importlib.metadata to find."""
    info = root / f"{dist}-1.2.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.2.3\n")
    (info / "entry_points.txt").write_text(f"[restbench]\n{name} = {module}\n")


def test_builtin_families_come_from_their_own_distributions(capsys):
    code, out, _ = run_cli(capsys, "plugins", "--json")
    assert code == 0
    got = {p["name"]: p for p in json.loads(out)["plugins"]}
    for fam in ("dncnn", "restormer", "swinir", "uformer"):
        assert got[fam]["source"] == "entry-point", "model families must be found as any third party"
        assert got[fam]["version"] == "0.1.0"
    assert got["baselines"]["source"] == "builtin"


def test_option_plugin_appears_in_models(plugin_dir, capsys):
    (plugin_dir / "tinyplug.py").write_text(TINY_PLUGIN)
    code, out, _ = run_cli(capsys, "--plugin", "tinyplug", "models", "--json")
    assert code == 0
    rows = {r["id"]: r for r in json.loads(out)["variants"]}
    row = rows["tinynet-s25"]
    assert row["params"] == 3 * 3 * 9 + 3
    assert (row["task"], row["sigma"], row["licence_weights"]) == ("gaussian-denoising", 25, "CC-BY-4.0")
    assert "dncnn-s25" in rows, "loading one plugin must not drop the others"


def test_entry_point_plugin_is_autoloaded_and_can_be_disabled_or_blocked(plugin_dir, capsys, monkeypatch):
    (plugin_dir / "tinyplug.py").write_text(TINY_PLUGIN)
    write_entry_point(plugin_dir, "restbench_tiny", "tiny", "tinyplug")
    _, out, _ = run_cli(capsys, "plugins", "--json")
    tiny = [p for p in json.loads(out)["plugins"] if p["name"] == "tiny"]
    assert tiny == [{"name": "tiny", "module": "tinyplug", "version": "1.2.3", "source": "entry-point"}]

    monkeypatch.setenv("RESTBENCH_BLOCK_PLUGINS", "tiny")
    _, out, _ = run_cli(capsys, "models", "--json")
    assert "tinynet-s25" not in {r["id"] for r in json.loads(out)["variants"]}

    monkeypatch.delenv("RESTBENCH_BLOCK_PLUGINS")
    monkeypatch.setenv("RESTBENCH_DISABLE_PLUGIN_AUTOLOAD", "1")
    _, out, _ = run_cli(capsys, "plugins", "--json")
    names = {p["name"] for p in json.loads(out)["plugins"]}
    assert names == {"baselines", "datasets"}, "autoload off leaves only the built-ins"


def test_broken_plugin_gives_a_message_not_a_traceback(plugin_dir, capsys):
    (plugin_dir / "brokenplug.py").write_text("raise ImportError('needs libfoo 9')\n")
    (plugin_dir / "tinyplug.py").write_text(TINY_PLUGIN)
    write_entry_point(plugin_dir, "restbench_broken", "broken", "brokenplug")
    code, out, err = run_cli(capsys, "--plugin", "tinyplug", "models", "--json")
    assert code == 0
    assert "plugin 'broken' (brokenplug) failed to import: ImportError: needs libfoo 9" in err
    assert "Traceback" not in err
    ids = {r["id"] for r in json.loads(out)["variants"]}
    assert {"tinynet-s25", "dncnn-s25", "bicubic-x2"} <= ids


def test_duplicate_names_are_refused_and_the_first_owner_kept(plugin_dir, capsys):
    (plugin_dir / "dupplug.py").write_text(textwrap.dedent('''
        import torch.nn as nn
        from restbench import hookimpl
        from restbench.registry import Architecture
        @hookimpl
        def register_models(register):
            register(Architecture("dncnn", nn.Identity))
    '''))
    code, out, err = run_cli(capsys, "--plugin", "dupplug", "models", "dncnn", "--json")
    assert "plugin 'dupplug': architecture 'dncnn' is already registered by plugin 'dncnn'" in err
    assert restbench.build_model("dncnn").__class__.__name__ == "DnCNN"


def test_new_plugin_scaffold_is_a_working_plugin(plugin_dir, capsys):
    code, out, _ = run_cli(capsys, "new-plugin", "mynet", "--dir", str(plugin_dir))
    assert code == 0
    root = plugin_dir / "mynet"
    assert (root / "pyproject.toml").read_text().count('mynet = "restbench_mynet"') == 1
    sys.path.insert(0, str(root))
    try:
        code, out, _ = run_cli(capsys, "--plugin", "restbench_mynet", "models", "mynet", "--json")
        assert code == 0
        (row,) = json.loads(out)["variants"]
        assert row["id"] == "mynet-colour-s25" and row["plugin"] == "restbench_mynet"
        model = restbench.build_model("mynet-colour-s25")
        x = torch.rand(1, 3, 9, 11)
        assert model(x).shape == x.shape
    finally:
        sys.path.remove(str(root))
    code, _, err = run_cli(capsys, "new-plugin", "mynet", "--dir", str(plugin_dir))
    assert code == 2 and "already exists" in err
    code, _, err = run_cli(capsys, "new-plugin", "My-Net", "--dir", str(plugin_dir))
    assert code == 2 and "lowercase" in err


def test_build_model_unknown_name_lists_families():
    with pytest.raises(KeyError, match="restormer"):
        restbench.build_model("nope")
