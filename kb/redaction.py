"""Personal data in texts about to be published to the experience database, found so it can be removed.

What is looked for:
- from the database: the names of the ticket's organisation, its end customer and the partner's other end
  customers, the names, usernames, e-mail addresses and phone numbers of their users and of the ticket's
  contact, the organisations' company numbers and licence keys, the usernames and (Fivaldi) company
  numbers named on the ticket;
- by their form and check digits (python-stdnum): Swedish organisation and personal identity numbers
  (samordningsnummer too), Finnish Y-tunnus and henkilötunnus, IBANs;
- phone numbers in Finnish and Swedish forms (phonenumbers: only numbers valid in Finland or Sweden, or
  international ones);
- e-mail addresses.

A number of the right form whose check digit is wrong is left alone: it is a version, an amount or an
invoice number far more often than a mistyped identity number (the demo solutions show no marks at all).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import phonenumbers
from stdnum import iban, luhn
from stdnum.fi import hetu, ytunnus
from stdnum.se import orgnr, personnummer

from .models import Organisation, Ticket

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# With its hyphen: ten digits alone are as often an OCR or invoice number, and those carry Luhn digits too.
COMPANY_NUMBER = re.compile(r"(?<![\w-])(?:\d{6}-\d{4}|\d{7}-\d)(?![\w-])")
_DAY, _MONTH = r"(?:0[1-9]|[12]\d|3[01])", r"(?:0[1-9]|1[0-2])"
# Finnish henkilötunnus DDMMYY-NNNC; Swedish personnummer (YY)YYMMDD-NNNN, samordningsnummer with day + 60.
PERSONAL_ID = re.compile(rf"(?<![\w-])(?:{_DAY}{_MONTH}\d{{2}}[-+A-FUVWXY]\d{{3}}[\dA-Y]"
                         rf"|(?:19|20)?\d{{2}}{_MONTH}(?:{_DAY}|6[1-9]|[78]\d|9[01])[-+]?\d{{4}})(?![\w-])")
IBAN = re.compile(r"(?<![\w-])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![\w-])")
PHONE_REGIONS = ("FI", "SE")
# Company forms left out of an organisation's name: "Ekholm Bygg AB" is also written "Ekholm Bygg".
COMPANY_FORMS = re.compile(r"[\s,]+(?:ab|aktiebolag|hb|kb|oy|oyj|ab oy|ky|ay|tmi|ry|ltd|inc|gmbh|as|asa|a/s)\.?$",
                           re.IGNORECASE)
MIN_TERM = 3  # shorter names and parts of names would mark ordinary words


@dataclass(frozen=True)
class Finding:
    start: int
    end: int
    # name | organisation | username | email | phone | company_number | personal_id | iban | licence_key
    kind: str
    text: str

    @property
    def key(self) -> str:
        """What support confirms as not personal: the kind and the text, whatever its case."""
        return confirmation_key(self.kind, self.text)


def confirmation_key(kind: str, text: str) -> str:
    return f"{kind}:{' '.join(text.split()).casefold()}"


def _organisations(ticket: Ticket) -> list[Organisation]:
    found = [o for o in (ticket.organisation, ticket.end_customer) if o is not None]
    if ticket.organisation is not None:
        found += list(ticket.organisation.end_customers)
    return list(dict.fromkeys(found))


def _person(terms: list[tuple[str, str]], user) -> None:
    terms.append((user.name, "name"))
    terms += [(part, "name") for part in user.name.split()]
    terms.append((user.username, "username"))
    for value, kind in ((user.email, "email"), (user.phone, "phone")):
        if value:
            terms.append((value, kind))


def _listed(value: str | None) -> list[str]:
    return [v.strip() for v in re.split(r"[,;\n]", value or "") if v.strip()]


def _known_terms(ticket: Ticket) -> list[tuple[str, str]]:
    terms: list[tuple[str, str]] = []
    for org in _organisations(ticket):
        terms.append((org.name, "organisation"))
        short = COMPANY_FORMS.sub("", org.name.strip())
        if short != org.name.strip():
            terms.append((short, "organisation"))
        if org.company_number:
            terms.append((org.company_number, "company_number"))
        for user in org.users:
            _person(terms, user)
        for licence in org.licences:
            if licence.licence_key:
                terms.append((licence.licence_key, "licence_key"))
    if ticket.contact is not None:
        _person(terms, ticket.contact)
    terms += [(value, "username") for value in _listed(ticket.affected_usernames)]
    terms += [(value, "company_number") for value in _listed(ticket.company_numbers)]
    return list(dict.fromkeys((t.strip(), k) for t, k in terms if len(t.strip()) >= MIN_TERM))


def _swedish_personal_id(value: str) -> bool:
    """A personnummer, or a samordningsnummer (its day + 60, which python-stdnum does not take), by its
    date and its Luhn check digit."""
    if personnummer.is_valid(value):
        return True
    digits = re.sub(r"\D", "", value)[-10:]
    if len(digits) != 10 or not 61 <= int(digits[4:6]) <= 91:
        return False
    try:
        date(2000, int(digits[2:4]), int(digits[4:6]) - 60)  # a leap year: 29 February is a day
    except ValueError:
        return False
    return luhn.is_valid(digits)


def _numbers(text: str) -> list[Finding]:
    found = [Finding(m.start(), m.end(), "email", m.group()) for m in EMAIL.finditer(text)]
    for m in PERSONAL_ID.finditer(text):
        if hetu.is_valid(m.group()) or _swedish_personal_id(m.group()):
            found.append(Finding(m.start(), m.end(), "personal_id", m.group()))
    for m in COMPANY_NUMBER.finditer(text):
        if ytunnus.is_valid(m.group()) or orgnr.is_valid(m.group()):
            found.append(Finding(m.start(), m.end(), "company_number", m.group()))
    for m in IBAN.finditer(text):
        if iban.is_valid(m.group()):
            found.append(Finding(m.start(), m.end(), "iban", m.group()))
    for region in PHONE_REGIONS:
        for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID):
            found.append(Finding(match.start, match.end, "phone", match.raw_string))
    return found


def _phone_digits(value: str) -> str:
    """A stored phone number's national digits, to find it however it is written ('+358 40 123' -> 040123)."""
    digits = re.sub(r"\D", "", value)
    for code in ("358", "46"):
        if value.strip().startswith(("+" + code, "00" + code)):
            return "0" + digits[len(code) + (2 if value.strip().startswith("00") else 0):]
    return digits


def find(text: str | None, ticket: Ticket) -> list[Finding]:
    """Every stretch of personal data in the text, in order, without overlaps."""
    text = text or ""
    found = _numbers(text)
    known = _known_terms(ticket)
    for term, kind in sorted(known, key=lambda t: -len(t[0])):
        if kind == "phone":
            continue  # found by its digits below, however it is spaced
        for m in re.finditer(rf"(?<!\w){re.escape(term)}(?!\w)", text, re.IGNORECASE):
            found.append(Finding(m.start(), m.end(), kind, m.group()))
    stored = {_phone_digits(term) for term, kind in known if kind == "phone"}
    if stored:
        for m in re.finditer(r"\+?[\d][\d \-()]{5,}\d", text):
            if _phone_digits(m.group()) in stored:
                found.append(Finding(m.start(), m.end(), "phone", m.group()))
    found.sort(key=lambda f: (f.start, -(f.end - f.start)))
    result: list[Finding] = []
    for finding in found:
        if not result or finding.start >= result[-1].end:
            result.append(finding)
    return result


def unconfirmed(texts: dict[str, str], ticket: Ticket, confirmed: set[str]) -> dict[str, list[Finding]]:
    """The findings in each text that support has not confirmed as not personal."""
    return {name: [f for f in find(text, ticket) if f.key not in confirmed] for name, text in texts.items()}
