"""``restbench new-plugin NAME``: write the minimal model plugin that docs/plugins.md walks through."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from string import Template

FILES = {
    "pyproject.toml.tmpl": "pyproject.toml",
    "__init__.py.tmpl": "restbench_{name}/__init__.py",
    "arch.py.tmpl": "restbench_{name}/arch.py",
    "variants.py.tmpl": "restbench_{name}/variants.py",
}


def write_plugin(name: str, parent: Path) -> list[Path]:
    """Write ``parent/name/`` from the templates; refuses bad names and never overwrites."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise ValueError(f"plugin name {name!r}: use lowercase letters, digits and '_' (a Python identifier)")
    root = parent / name
    if root.exists():
        raise FileExistsError(f"{root} already exists; choose another name or --dir")
    subs = {"name": name, "Name": "".join(p.capitalize() for p in name.split("_"))}
    templates = resources.files("restbench.plugin") / "templates" / "plugin"
    written = []
    for src, dest in FILES.items():
        path = root / dest.format(name=name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(Template((templates / src).read_text()).substitute(subs))
        written.append(path)
    return written
