"""A generation's watermark: the last index-queue id applied to it, in its folder's state.json.

It is written after the index commits, so a crash between the two applies those rows again (an
update is idempotent) and never skips one.
"""
from __future__ import annotations

import json
import os
from pathlib import Path


def read(folder: Path) -> int:
    try:
        return json.loads((folder / "state.json").read_text())["applied"]
    except (FileNotFoundError, ValueError, KeyError):
        return 0


def write(folder: Path, applied: int) -> None:
    """Replace the watermark in one rename, so a reader sees the old value or the new one."""
    path = folder / "state.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"applied": applied}))
    os.replace(tmp, path)
