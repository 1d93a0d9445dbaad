"""Mail settings, made from the loaded configuration (kb/config.py) by the app and the CLI alike."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .. import config as kb_config

DEFAULTS = kb_config.DEFAULTS
DEFAULT_SENDER = DEFAULTS["MAIL_FROM"]


@dataclass(frozen=True)
class MailSettings:
    base_url: str  # where links in e-mails point, e.g. https://support.example.com
    sender: str = DEFAULT_SENDER
    support_address: str | None = None  # support's shared address: new tickets and customers' comments
    smtp_host: str | None = None  # without a host, mail goes to a maildir in the instance folder
    smtp_port: int = DEFAULTS["SMTP_PORT"]
    smtp_security: str = DEFAULTS["SMTP_SECURITY"]  # none | starttls | ssl
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_timeout: float = 10.0
    max_attempts: int = DEFAULTS["MAIL_MAX_ATTEMPTS"]
    maildir: Path | None = None
    # Mail in: the receiving server's Authentication-Results (kb/mail/authentication.py). With
    # require_authenticated, mail whose sender it did not authenticate is treated as from an unknown sender.
    require_authenticated: bool = False
    authserv_id: str | None = None

    @classmethod
    def from_config(cls, config: Mapping, instance: Path) -> MailSettings:
        """From loaded settings (kb.config.load, or the app's config); a key missing has its declared default.
        Links go to BASE_URL, else (only debug, tests and the `kb` commands start without one) to `kb serve`'s
        address: never to a request's Host header, which whoever sends the request chooses."""
        config = {**DEFAULTS, **config}
        return cls(
            base_url=(config["BASE_URL"] or kb_config.default_base_url()).strip().rstrip("/"),
            sender=config["MAIL_FROM"] or DEFAULT_SENDER,
            support_address=config["SUPPORT_EMAIL"] or None,
            smtp_host=config["SMTP_HOST"] or None,
            smtp_port=int(config["SMTP_PORT"] or DEFAULTS["SMTP_PORT"]),
            smtp_security=str(config["SMTP_SECURITY"] or DEFAULTS["SMTP_SECURITY"]).lower(),
            smtp_user=config["SMTP_USER"] or None,
            smtp_password=config["SMTP_PASSWORD"] or None,
            max_attempts=int(config["MAIL_MAX_ATTEMPTS"] or DEFAULTS["MAIL_MAX_ATTEMPTS"]),
            maildir=Path(instance) / "maildir",
            require_authenticated=str(config["MAIL_REQUIRE_AUTHENTICATED"]).lower() in ("1", "true", "yes", "on"),
            authserv_id=config["MAIL_AUTHSERV_ID"] or None,
        )

    def link(self, number: int) -> str:
        return f"{self.base_url}/tickets/{number}"
