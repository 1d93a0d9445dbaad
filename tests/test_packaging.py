"""Installing kb is quiet: every folder of the three packages (templates, static files, migrations too) is a
package setuptools was told about, so `pip install` prints no warning for each (it printed some 400 lines)."""
from __future__ import annotations

import configparser
from pathlib import Path

from setuptools import find_namespace_packages

ROOT = Path(__file__).resolve().parent.parent


def test_every_folder_that_is_installed_is_a_declared_package():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    assert config["options"]["packages"].strip() == "find_namespace:"
    find = config["options.packages.find"]
    include = find["include"].split()
    packages = set(find_namespace_packages(str(ROOT), include=include, exclude=find.get("exclude", "").split()))
    folders = {".".join(folder.relative_to(ROOT).parts)
               for top in ("kb", "indexer", "webapp") for folder in [ROOT / top, *(ROOT / top).rglob("*")]
               if folder.is_dir() and folder.name != "__pycache__" and any(p.is_file() for p in folder.iterdir())}
    assert folders - packages == set()
    assert not {p for p in packages if p.endswith("__pycache__")}
    assert {"webapp.templates.tickets", "webapp.static", "kb.migrations.versions"} <= packages
