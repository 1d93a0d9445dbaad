"""Reading the catalogues: the lists of the ticket form and labels for codes."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import CatalogueEntry, CatalogueKind


def entries(session: Session, kind: CatalogueKind, product_id: int | None = None) -> list[CatalogueEntry]:
    query = select(CatalogueEntry).where(CatalogueEntry.kind == kind, CatalogueEntry.active.is_(True))
    if kind in (CatalogueKind.CATEGORY, CatalogueKind.ROUTINE, CatalogueKind.VERSION):
        query = query.where(CatalogueEntry.product_id == product_id)
    return list(session.scalars(query.order_by(CatalogueEntry.position, CatalogueEntry.code)))


def labels(session: Session, language: str) -> dict[str, dict[str, str]]:
    """{kind: {code: label}} in one language, for showing codes that come back from the index."""
    out: dict[str, dict[str, str]] = {kind.value: {} for kind in CatalogueKind}
    for entry in session.scalars(select(CatalogueEntry)):
        out[entry.kind.value].setdefault(entry.code, entry.label(language))
    return out
