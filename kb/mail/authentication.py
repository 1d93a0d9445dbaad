"""What the receiving mail server said of a message's sender (RFC 8601 Authentication-Results).

kb does not check SPF, DKIM or DMARC itself: the server that received the message did, and wrote its
verdict into an Authentication-Results header. Headers are added on top, so the topmost is the
receiving server's own, unless `MAIL_AUTHSERV_ID` names the server whose header to read (then a header
with another id, which a sender could have written, is ignored). The sender counts as authenticated
when DMARC passed, or, without a DMARC result, when DKIM or SPF passed for the From address's domain
(or a parent domain of it).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr

RESULT = re.compile(r"(?:^|;)\s*(spf|dkim|dmarc)\s*=\s*([a-z]+)([^;]*)", re.I)
PROPERTY = re.compile(r"\b(header\.d|header\.from|smtp\.mailfrom|header\.i)\s*=\s*\"?([^\s;\"]+)", re.I)


@dataclass(frozen=True)
class Verdict:
    authenticated: bool
    summary: str  # "dmarc=pass", "spf=fail dkim=none", ...


def _aligned(domain: str, from_domain: str) -> bool:
    domain = domain.rsplit("@", 1)[-1].lower().strip(".")
    return bool(domain) and (from_domain == domain or from_domain.endswith("." + domain))


def _header(message: EmailMessage, authserv_id: str | None) -> str | None:
    for value in message.get_all("Authentication-Results") or []:
        value = str(value)
        server = value.split(";", 1)[0].split()
        if not authserv_id:
            return value
        if server and server[0].lower() == authserv_id.lower():
            return value
    return None


def verdict(message: EmailMessage, authserv_id: str | None = None) -> Verdict | None:
    """The receiving server's verdict on the message's From address, or None without its header."""
    header = _header(message, authserv_id)
    if header is None:
        return None
    from_domain = parseaddr(str(message.get("From", "")))[1].rsplit("@", 1)[-1].lower()
    results: dict[str, list[tuple[str, dict[str, str]]]] = {}
    body = header.split(";", 1)[1] if ";" in header else ""
    for method, result, rest in RESULT.findall(";" + body):
        props = {k.lower(): v for k, v in PROPERTY.findall(rest)}
        results.setdefault(method.lower(), []).append((result.lower(), props))
    summary = " ".join(f"{m}={r[0][0]}" for m, r in sorted(results.items())) or "none"
    if "dmarc" in results:
        return Verdict(any(r == "pass" for r, _ in results["dmarc"]), summary)
    for method, key in (("dkim", "header.d"), ("spf", "smtp.mailfrom")):
        for result, props in results.get(method, []):
            if result == "pass" and _aligned(props.get(key, ""), from_domain):
                return Verdict(True, summary)
    return Verdict(False, summary)
