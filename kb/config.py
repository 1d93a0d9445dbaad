"""Configuration: every setting once (name, default, type, meaning), loaded the same way by the web app
and the `kb` command: the defaults below, then <instance>/config.py, then `KB_*` environment."""
from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .errors import KbError

LANGUAGES = ("sv", "fi")  # the product's languages; the first is the default
DEFAULT_LANGUAGE = LANGUAGES[0]
# Times are shown in the time zone of the organisation's language (pages and e-mail alike).
TIME_ZONES = {"sv": "Europe/Stockholm", "fi": "Europe/Helsinki"}
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SECRET_KEY = "dev"  # the app refuses to start with it outside debug and testing


def _flag(value: str) -> bool:
    if value.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if value.strip().lower() in ("", "0", "false", "no", "off"):
        return False
    raise ValueError(f"not true or false: {value!r}")


def _hosts(value: str) -> list[str]:
    return [host.strip() for host in value.split(",") if host.strip()]


@dataclass(frozen=True)
class Setting:
    name: str  # the name in config.py; `KB_<name>` in the environment (unless environment_only)
    default: object
    meaning: str
    parse: Callable[[str], object] = str  # an environment value to the setting's type
    shown: str | None = None  # the default as the README shows it, when it is worked out at load time
    environment_only: bool = False  # read from the environment under exactly this name, never config.py


SETTINGS = (
    Setting("KB_INSTANCE", None, "the instance folder: database, search index, attachments, `config.py`",
            shown="`./instance`", environment_only=True),
    Setting("KB_DATA_DIR", None, "where `kb demo load` and `kb demo generate` find the demo dataset",
            shown="`./data`", environment_only=True),
    Setting("KB_LEXICON_DIR", None, "where the lemma dictionaries are built once, as tries, for every kb "
            "process to share", shown="`~/.cache/kb/lexicon`", environment_only=True),
    Setting("HOST", "127.0.0.1", "where `kb serve` listens", environment_only=True),
    Setting("PORT", 5000, "the port `kb serve` listens on", parse=int, environment_only=True),
    Setting("SECRET_KEY", DEFAULT_SECRET_KEY, "session signing key; `kb db upgrade` writes a random one into a "
            "new instance's `config.py`, and the app refuses to start with the default outside debug and testing"),
    Setting("DATABASE_URL", None, "any SQLAlchemy URL", shown="`sqlite:///<instance>/kb.sqlite3`"),
    Setting("INDEX_NODE", None, "this node's name among the index replicas (`kb index status`); unset, a name "
            "made once and kept in the index folder", shown="`<host name>-<random>`"),
    Setting("INDEX_NODE_TIMEOUT", 3600, "seconds after which a node that has not reported no longer holds back "
            "the pruning of the index feed; it rebuilds its index when it comes back (nodes report every minute: keep "
            "it well above that)", parse=int),
    Setting("INDEX_FOLLOW_SECONDS", 1.0, "how often, at most, a process checks the index feed for other nodes' "
            "changes before a search", parse=float),
    Setting("ATTACHMENT_STORAGE", "folder", "where attachments are kept: `folder` (`<instance>/attachments`) or "
            "`database` (every app node reads them; see `docs/operations.md`)"),
    Setting("BASE_URL", None, "the portal's address as its users open it (`https://support.example.com`): every link "
            "in mail is built from it, never from a request. The web app refuses to start without it outside debug "
            "and testing; `make run` sets `http://HOST:PORT`. Unset, the `kb` commands that write mail link to "
            "`http://HOST:PORT`, the address `kb serve` listens on (`127.0.0.1` for a wildcard host)",
            shown="none (`make run`: `http://127.0.0.1:5000`)"),
    Setting("TRUSTED_HOSTS", None, "the host names the web app answers to, comma-separated (a leading dot: every "
            "subdomain too); a request naming another host gets 400. Unset: the host of BASE_URL (a loopback "
            "address also as `localhost`, `127.0.0.1` and `::1`)", parse=lambda value: _hosts(value),
            shown="the host of BASE_URL"),
    Setting("SUPPORT_EMAIL", "support@aurora.example", "support's shared address: told of new tickets and "
            "customers' comments (empty: not told)"),
    Setting("SUPPORT_PHONE", "010 123 4500", "support's phone number, shown on the ticket form and the remote-support "
            "page for critical matters, and in every page's footer (empty: not shown); the default is the demo "
            "vendor's"),
    Setting("SUPPORT_PHONE_HOURS", "9–12, 13–16", "when the phone is answered on weekdays, shown beside the number"),
    Setting("SLA_FIRST_RESPONSE_HOURS", "critical=1,high=4,normal=8,low=24", "service level: hours from registration "
            "to support's first answer, per priority (the queue shows what is due and what is late)"),
    Setting("SLA_RESOLUTION_HOURS", "critical=8,high=24,normal=72,low=168", "service level: hours from registration "
            "to a solution, per priority"),
    Setting("CLOSE_RESOLVED_DAYS", 14, "`kb worker` closes tickets resolved this many days ago (never before the "
            "reopen window, REOPEN_DAYS, has passed)", parse=int),
    Setting("STAFF_TWO_FACTOR", True, "support and administrators log in with a code from an authenticator app "
            "as well (two-factor login); customers when their organisation's admin requires it", parse=_flag),
    Setting("USAGE_FLUSH_SECONDS", 10.0, "how often each process writes its count of searches and opened "
            "experience-database entries for the reports", parse=float),
    Setting("REOPEN_DAYS", 14, "how many days after its solution a customer may reopen a ticket", parse=int),
    Setting("REMOTE_SUPPORT_WINDOWS_URL", None, "download link of the remote-support program for Windows, shown "
            "on the public *Remote support* page (unset: the portal offers a placeholder file, for a demo)"),
    Setting("REMOTE_SUPPORT_MAC_URL", None, "the same for macOS"),
    Setting("SESSION_COOKIE_SECURE", None, "send the session cookie over HTTPS only; unset, on when BASE_URL is "
            "`https://...`", parse=_flag, shown="on when BASE_URL is https"),
    Setting("MAIL_FROM", "Aurora Support <no-reply@aurora.example>", "the no-reply sender of every e-mail"),
    Setting("SMTP_HOST", None, "the SMTP server for outgoing mail; without one, mail goes to `<instance>/maildir`"),
    Setting("SMTP_PORT", 25, "its port", parse=int),
    Setting("SMTP_SECURITY", "none", "`none`, `starttls` or `ssl`"),
    Setting("SMTP_USER", None, "login, when the server wants one"),
    Setting("SMTP_PASSWORD", None, "its password"),
    Setting("MAIL_MAX_ATTEMPTS", 8, "tries before a message becomes a dead letter", parse=int),
    Setting("MAIL_SEND_AFTER_REQUEST", True, "the web app sends the outbox itself: a sender thread in each serving "
            "process, woken by each request that wrote something and looking every MAIL_POLL_SECONDS; set it false "
            "when `kb worker` runs", parse=_flag),
    Setting("MAIL_POLL_SECONDS", 5.0, "how often the web app's sender thread looks at the outbox by itself (retries, "
            "mail written by other processes)", parse=float),
    Setting("MAIL_REQUIRE_AUTHENTICATED", False, "mail in: only senders the receiving server authenticated "
            "(SPF/DKIM/DMARC) count; see `docs/operations.md`", parse=_flag),
    Setting("MAIL_AUTHSERV_ID", None, "mail in: whose `Authentication-Results` header to read (unset: the topmost)"),
)
BY_NAME = {setting.name: setting for setting in SETTINGS}
DECLARED = {setting.name: setting for setting in SETTINGS if not setting.environment_only}  # config.py or KB_*
ENVIRONMENT_ONLY = {setting.name for setting in SETTINGS if setting.environment_only}
DEFAULTS = {name: setting.default for name, setting in DECLARED.items()}


def environment(name: str, env: Mapping | None = None):
    """An environment-only setting (`KB_INSTANCE`, `HOST`, `PORT`, ...) as its type, or its default."""
    env = os.environ if env is None else env
    setting = BY_NAME[name]
    value = env.get(name)
    return setting.parse(value) if value else setting.default


def instance_path(env: Mapping | None = None) -> Path:
    """The instance folder: `KB_INSTANCE`, or ./instance."""
    return Path(environment("KB_INSTANCE", env) or "instance").resolve()


def data_path(env: Mapping | None = None) -> Path:
    """The demo dataset folder: `KB_DATA_DIR`, or data/ beside the package."""
    return Path(environment("KB_DATA_DIR", env) or REPO_ROOT / "data")


def default_base_url(env: Mapping | None = None) -> str:
    """Where mail links point outside a request when BASE_URL is unset: the address `kb serve` listens on."""
    host = environment("HOST", env)
    host = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
    return f"http://{f'[{host}]' if ':' in host else host}:{environment('PORT', env)}"


LOOPBACK = ("localhost", "127.0.0.1", "::1")


def base_url_problem(value: str | None) -> str | None:
    """Why BASE_URL cannot be where mail links point, or None when it can."""
    from urllib.parse import urlsplit

    if not value:
        return "BASE_URL is not set"
    try:
        parts = urlsplit(value.strip())
        parts.port  # noqa: B018 (raises on a bad port)
    except ValueError:
        return f"BASE_URL is not an address: {value!r}"
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment \
            or parts.username or parts.password:
        return f"BASE_URL must be http(s)://host[:port][/path], not {value!r}"
    return None


def trusted_hosts(values: Mapping) -> list[str] | None:
    """The host names the web app answers to: TRUSTED_HOSTS, else BASE_URL's host (with the other names of
    loopback when it is one), else None (no check: only debug and tests start without BASE_URL)."""
    from urllib.parse import urlsplit

    configured = values.get("TRUSTED_HOSTS")
    if configured:
        return _hosts(configured) if isinstance(configured, str) else list(configured)
    if not values.get("BASE_URL") or base_url_problem(values["BASE_URL"]):
        return None
    host = urlsplit(values["BASE_URL"].strip()).hostname
    return list(LOOPBACK) if host in LOOPBACK else [host]


def ensure_instance(instance: Path) -> None:
    """Create the instance folder, its index and attachment folders, and a config with a secret key."""
    for sub in ("", "index", "attachments"):
        (instance / sub).mkdir(parents=True, exist_ok=True)
    settings = instance / "config.py"
    if not settings.exists():
        settings.write_text("# Instance settings for kb (see README.md, Configuration).\n"
                            f"SECRET_KEY = {secrets.token_hex(32)!r}\n", encoding="utf-8")
        settings.chmod(0o600)


def load(instance: Path, env: Mapping | None = None) -> dict:
    """Every setting: the defaults, then <instance>/config.py, then `KB_*` environment. Keys declared nowhere
    (Flask's own, say) pass through as Flask reads them: config.py as is, the environment as JSON or text."""
    env = os.environ if env is None else env
    values = dict(DEFAULTS)
    path = instance / "config.py"
    if path.exists():
        namespace: dict = {"__file__": str(path)}
        exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)  # noqa: S102 (own file)
        values.update({k: v for k, v in namespace.items() if k.isupper()})
    for key in sorted(env):
        name = key[3:]
        if not key.startswith("KB_") or key in ENVIRONMENT_ONLY:
            continue
        try:
            values[name] = DECLARED[name].parse(env[key]) if name in DECLARED else json.loads(env[key])
        except ValueError as exc:
            if name in DECLARED:
                raise KbError("%(key)s: %(problem)s", key=key, problem=str(exc)) from None
            values[name] = env[key]
    values["DATABASE_URL"] = values["DATABASE_URL"] or f"sqlite:///{instance / 'kb.sqlite3'}"
    return values


def markdown_table() -> str:
    """The README's table of settings, made from the declaration above."""
    def shown(setting: Setting) -> str:
        if setting.shown:
            return setting.shown
        return "none" if setting.default is None else f"`{json.dumps(setting.default).strip(chr(34))}`"

    rows = ["| setting | default | what it is |", "| --- | --- | --- |"]
    rows += [f"| `{s.name}`{' (environment only)' if s.environment_only else ''} | {shown(s)} | {s.meaning} |"
             for s in SETTINGS]
    return "\n".join(rows)
