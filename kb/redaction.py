"""Personal data in texts about to be published to the experience database, found so it can be removed.

What is looked for: names and usernames of the ticket's organisations' users, e-mail addresses, phone
numbers, company numbers (Swedish org.nr 556677-8899, Finnish Y-tunnus 1234567-8, and the
organisations' own), Swedish and Finnish personal identity numbers, and the organisations' licence keys.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .models import Organisation, Ticket

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"(?<![\w-])(?:\+\d{2,3}[\s-]?|0)\d{1,3}(?:[\s-]?\d{2,4}){2,4}(?![\w-])")
COMPANY_NUMBER = re.compile(r"(?<![\w-])(?:\d{6}-\d{4}|\d{7}-\d)(?![\w-])")
_DAY, _MONTH = r"(?:0[1-9]|[12]\d|3[01])", r"(?:0[1-9]|1[0-2])"
# Finnish henkilötunnus DDMMYY-NNNC; Swedish personnummer (YY)YYMMDD-NNNN, samordningsnummer with day + 60.
# A valid month keeps Swedish company numbers (556123-4567: "month" 61) out.
PERSONAL_ID = re.compile(rf"(?<![\w-])(?:{_DAY}{_MONTH}\d{{2}}[-+A-FUVWXY]\d{{3}}[\dA-Y]"
                         rf"|(?:19|20)?\d{{2}}{_MONTH}(?:{_DAY}|6[1-9]|[78]\d|9[01])[-+]?\d{{4}})(?![\w-])")


@dataclass(frozen=True)
class Finding:
    start: int
    end: int
    kind: str  # name | username | email | phone | company_number | personal_id | licence_key
    text: str


def _organisations(ticket: Ticket) -> list[Organisation]:
    found = [o for o in (ticket.organisation, ticket.end_customer) if o is not None]
    if ticket.organisation is not None:
        found += list(ticket.organisation.end_customers)
    return list(dict.fromkeys(found))


def _known_terms(ticket: Ticket) -> list[tuple[str, str]]:
    terms: list[tuple[str, str]] = []
    for org in _organisations(ticket):
        if org.company_number:
            terms.append((org.company_number, "company_number"))
        for user in org.users:
            terms.append((user.name, "name"))
            terms += [(part, "name") for part in user.name.split() if len(part) >= 3]
            terms.append((user.username, "username"))
        for licence in org.licences:
            if licence.licence_key:
                terms.append((licence.licence_key, "licence_key"))
    for value in (ticket.affected_usernames or "").replace(";", ",").split(","):
        if value.strip():
            terms.append((value.strip(), "username"))
    return [(t, k) for t, k in terms if len(t) >= 3]


def find(text: str | None, ticket: Ticket) -> list[Finding]:
    """Every stretch of personal data in the text, in order, without overlaps."""
    text = text or ""
    found: list[Finding] = []
    for pattern, kind in ((EMAIL, "email"), (PERSONAL_ID, "personal_id"), (COMPANY_NUMBER, "company_number"),
                          (PHONE, "phone")):
        found += [Finding(m.start(), m.end(), kind, m.group()) for m in pattern.finditer(text)]
    for term, kind in sorted(_known_terms(ticket), key=lambda t: -len(t[0])):
        for m in re.finditer(rf"(?<!\w){re.escape(term)}(?!\w)", text, re.IGNORECASE):
            found.append(Finding(m.start(), m.end(), kind, m.group()))
    found.sort(key=lambda f: (f.start, -(f.end - f.start)))
    result: list[Finding] = []
    for finding in found:
        if not result or finding.start >= result[-1].end:
            result.append(finding)
    return result
