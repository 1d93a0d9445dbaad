"""Mail settings, from the app's config or the CLI's: one mapping of plain keys."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SENDER = "Aurora Support <no-reply@aurora.example>"


@dataclass(frozen=True)
class MailSettings:
    base_url: str  # where links in e-mails point, e.g. https://support.example.com
    sender: str = DEFAULT_SENDER
    support_address: str | None = None  # support's shared address: new tickets and customers' comments
    smtp_host: str | None = None  # without a host, mail goes to a maildir in the instance folder
    smtp_port: int = 25
    smtp_security: str = "none"  # none | starttls | ssl
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_timeout: float = 10.0
    max_attempts: int = 8
    maildir: Path | None = None
    # Mail in: the receiving server's Authentication-Results (kb/mail/authentication.py). With
    # require_authenticated, mail whose sender it did not authenticate is treated as from an unknown sender.
    require_authenticated: bool = False
    authserv_id: str | None = None

    @classmethod
    def from_config(cls, config: Mapping, instance: Path, base_url: str | None = None) -> MailSettings:
        return cls(
            base_url=(base_url or config.get("BASE_URL") or "http://127.0.0.1:5000").rstrip("/"),
            sender=config.get("MAIL_FROM") or DEFAULT_SENDER,
            support_address=config.get("SUPPORT_EMAIL") or None,
            smtp_host=config.get("SMTP_HOST") or None,
            smtp_port=int(config.get("SMTP_PORT") or 25),
            smtp_security=str(config.get("SMTP_SECURITY") or "none").lower(),
            smtp_user=config.get("SMTP_USER") or None,
            smtp_password=config.get("SMTP_PASSWORD") or None,
            max_attempts=int(config.get("MAIL_MAX_ATTEMPTS") or 8),
            maildir=Path(instance) / "maildir",
            require_authenticated=str(config.get("MAIL_REQUIRE_AUTHENTICATED") or "").lower() in ("1", "true", "yes"),
            authserv_id=config.get("MAIL_AUTHSERV_ID") or None,
        )

    def link(self, number: int) -> str:
        return f"{self.base_url}/tickets/{number}"
