"""`kb serve` as a real process on a free loopback port, for tests that need a real server and real
parallel clients (tests/test_trust_parallel.py, tests/test_mail_waits.py)."""
from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .test_cli import KB

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def portal(instance: Path, *options: str, **settings: str) -> Iterator[str]:
    """`kb serve [options]` on the instance with KB_* `settings`, once it answers; yields its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "KB_INSTANCE": str(instance), "KB_SECRET_KEY": "test-server-secret", "KB_BASE_URL": base,
           **{f"KB_{name}": value for name, value in settings.items()}}
    with open(instance / "server.log", "ab") as log:
        process = subprocess.Popen(KB + ["serve", "--host", "127.0.0.1", "--port", str(port), *options], env=env,
                                   cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(base + "/auth/login", timeout=5).read()
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError((instance / "server.log").read_text()[-2000:]) from None
                    time.sleep(0.2)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
