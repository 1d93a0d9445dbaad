"""Reading the catalogues: the lists of the ticket form and labels for codes.

Every search page and ticket page shows catalogue labels, and the catalogue changes only when an
administrator edits it. `CatalogueCache` keeps what those pages show per process, as a read-only `Snapshot`,
and reads it again only when the catalogue's version changed: a before_flush listener of kb's session
factory (`note_change`) bumps the version in the transaction of any change to an entry, so every process
sees a change on its next request (one primary-key read instead of the whole table).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import chain
from types import MappingProxyType
from typing import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from .config import LANGUAGES
from .models import CatalogueEntry, CatalogueKind, Counter

VERSION_COUNTER = "catalogue"  # the `counter` row that every change to a catalogue entry bumps


def entries(session: Session, kind: CatalogueKind, product_id: int | None = None) -> list[CatalogueEntry]:
    query = select(CatalogueEntry).where(CatalogueEntry.kind == kind, CatalogueEntry.active.is_(True))
    if kind in (CatalogueKind.CATEGORY, CatalogueKind.ROUTINE, CatalogueKind.VERSION):
        query = query.where(CatalogueEntry.product_id == product_id)
    return list(session.scalars(query.order_by(CatalogueEntry.position, CatalogueEntry.code)))


def product_named(session: Session, text: str) -> CatalogueEntry | None:
    """The one product a text names (an e-mail's subject): by its code or its label in either language,
    whole or without the words every product's label shares (the vendor's name: "Aurora Lön" is named by
    "Lön" too), as whole words in any case. None when no product, or more than one, is named."""
    products = entries(session, CatalogueKind.PRODUCT)
    shared = {language: set.intersection(*(set(p.label(language).casefold().split()) for p in products))
              for language in LANGUAGES} if len(products) > 1 else {language: set() for language in LANGUAGES}
    folded = text.casefold()
    named = set()
    for product in products:
        names = {product.code.casefold()}
        for language in LANGUAGES:
            words = product.label(language).casefold().split()
            names |= {" ".join(words), " ".join(w for w in words if w not in shared[language])}
        if any(name and re.search(rf"(?<!\w){re.escape(name)}(?!\w)", folded) for name in names):
            named.add(product)
    return named.pop() if len(named) == 1 else None


def labels(session: Session, language: str) -> dict[str, dict[str, str]]:
    """{kind: {code: label}} in one language, for showing codes that come back from the index."""
    out: dict[str, dict[str, str]] = {kind.value: {} for kind in CatalogueKind}
    for entry in session.scalars(select(CatalogueEntry)):
        out[entry.kind.value].setdefault(entry.code, entry.label(language))
    return out


def note_change(session: Session, _context, _instances) -> None:
    """before_flush: a new, changed or deleted catalogue entry bumps the catalogue's version, in the
    same transaction, so no process keeps showing the catalogue as it was."""
    if not any(isinstance(o, CatalogueEntry) for o in chain(session.new, session.dirty, session.deleted)):
        return
    counter = session.get(Counter, VERSION_COUNTER)
    if counter is None:
        session.add(Counter(name=VERSION_COUNTER, value=1))
    else:
        counter.value = Counter.value + 1


@dataclass(frozen=True)
class Choice:
    """An entry as a list of choices shows it, detached from any session."""

    id: int
    code: str
    label_sv: str
    label_fi: str

    def label(self, language: str) -> str:
        return self.label_fi if language == "fi" else self.label_sv


@dataclass(frozen=True)
class Snapshot:
    """The catalogue at one version: read-only, shared by every request of a process."""

    version: int
    _labels: Mapping[str, Mapping[str, Mapping[str, str]]]
    products: tuple[Choice, ...]  # the active products, in the order of the lists
    entries: Mapping[int, Choice]  # every entry, active or not, by id (a ticket names its entries by id)

    def labels(self, language: str) -> Mapping[str, Mapping[str, str]]:
        """{kind: {code: label}} in one language, as `labels` reads them."""
        return self._labels["fi" if language == "fi" else "sv"]


def _snapshot(session: Session, version: int) -> Snapshot:
    every = {language: labels(session, language) for language in LANGUAGES}
    frozen = MappingProxyType({language: MappingProxyType({kind: MappingProxyType(codes)
                                                           for kind, codes in by_kind.items()})
                               for language, by_kind in every.items()})
    by_id = MappingProxyType({e.id: Choice(e.id, e.code, e.label_sv, e.label_fi)
                              for e in session.scalars(select(CatalogueEntry))})
    products = tuple(by_id[e.id] for e in entries(session, CatalogueKind.PRODUCT))
    return Snapshot(version, frozen, products, by_id)


class CatalogueCache:
    """A process's snapshot of one database's catalogue, read again when the version changed."""

    def __init__(self):
        self._snapshot: Snapshot | None = None

    def read(self, session: Session) -> Snapshot:
        """The snapshot as of the session's transaction (the version and the rows are read in one)."""
        version = session.scalar(select(Counter.value).where(Counter.name == VERSION_COUNTER)) or 0
        snapshot = self._snapshot
        if snapshot is None or snapshot.version != version:
            snapshot = self._snapshot = _snapshot(session, version)
        return snapshot
