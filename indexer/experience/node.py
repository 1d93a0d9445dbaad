"""This node's name among the index replicas: a setting, or a name made once and kept in the index folder."""
from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path


def name(root: Path, configured: str | None = None) -> str:
    if configured:
        return configured[:100]
    path = root / "node"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    root.mkdir(parents=True, exist_ok=True)
    made = f"{socket.gethostname()[:60]}-{uuid.uuid4().hex[:8]}"
    tmp = root / f"node.{os.getpid()}.tmp"
    tmp.write_text(made)
    try:
        os.link(tmp, path)  # the first process to make one wins; the others read it
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_text().strip()
