"""Where the instance lives and how the domain finds its database, index and files."""
from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

LANGUAGES = ("sv", "fi")
DEFAULT_LANGUAGE = "sv"
REPO_ROOT = Path(__file__).resolve().parent.parent


def instance_path(env: os._Environ | dict | None = None) -> Path:
    """The instance folder: `KB_INSTANCE`, or ./instance."""
    env = os.environ if env is None else env
    return Path(env.get("KB_INSTANCE") or "instance").resolve()


def database_url(instance: Path, env: os._Environ | dict | None = None) -> str:
    """`KB_DATABASE_URL`, or an SQLite file in the instance folder."""
    env = os.environ if env is None else env
    return env.get("KB_DATABASE_URL") or f"sqlite:///{instance / 'kb.sqlite3'}"


def data_path(env: os._Environ | dict | None = None) -> Path:
    """The demo dataset folder: `KB_DATA_DIR`, or data/ beside the package."""
    env = os.environ if env is None else env
    return Path(env.get("KB_DATA_DIR") or REPO_ROOT / "data")


def ensure_instance(instance: Path) -> None:
    """Create the instance folder, its index and attachment folders, and a config with a secret key."""
    for sub in ("", "index", "attachments"):
        (instance / sub).mkdir(parents=True, exist_ok=True)
    settings = instance / "config.py"
    if not settings.exists():
        settings.write_text("# Instance settings for kb (see README.md, Configuration).\n"
                            f"SECRET_KEY = {secrets.token_hex(32)!r}\n", encoding="utf-8")
        settings.chmod(0o600)


def settings(instance: Path, env: os._Environ | dict | None = None) -> dict:
    """The instance's settings as the app reads them: <instance>/config.py, then `KB_*` environment."""
    env = os.environ if env is None else env
    values: dict = {}
    path = instance / "config.py"
    if path.exists():
        namespace: dict = {}
        exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)  # noqa: S102 (own file)
        values.update({k: v for k, v in namespace.items() if k.isupper()})
    for key, value in env.items():
        if key.startswith("KB_"):
            try:
                values[key[3:]] = json.loads(value)
            except ValueError:
                values[key[3:]] = value
    return values
