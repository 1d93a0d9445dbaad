"""Disruption notices ("driftstörning" / "häiriötiedote"): created, edited and ended by support."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .errors import N_, ValidationError
from .models import CatalogueEntry, CatalogueKind, DisruptionNotice, User, utcnow


def all_notices(session: Session) -> list[DisruptionNotice]:
    return list(session.scalars(select(DisruptionNotice).order_by(DisruptionNotice.starts_at.desc())))


def save(session: Session, actor: User, notice: DisruptionNotice | None, *, title_sv: str, title_fi: str,
         body_sv: str, body_fi: str, product_id: int | None, starts_at: datetime | None,
         ends_at: datetime | None) -> DisruptionNotice:
    """Create or edit a notice; both languages are required."""
    if not actor.role.is_staff:
        raise ValidationError({"notice": N_("Only support can publish disruption notices.")})
    errors = {}
    title_sv, title_fi = (title_sv or "").strip(), (title_fi or "").strip()
    if not title_sv:
        errors["title_sv"] = N_("Write the title in Swedish.")
    if not title_fi:
        errors["title_fi"] = N_("Write the title in Finnish.")
    product = None
    if product_id:
        product = session.scalar(select(CatalogueEntry).where(CatalogueEntry.id == product_id,
                                                              CatalogueEntry.kind == CatalogueKind.PRODUCT))
        if product is None:
            errors["product"] = N_("Choose a product from the list.")
    starts_at = starts_at or utcnow()
    if ends_at is not None and ends_at <= starts_at:
        errors["ends_at"] = N_("The end must come after the start.")
    if errors:
        raise ValidationError(errors)
    if notice is None:
        notice = DisruptionNotice(created_by_id=actor.id)
        session.add(notice)
    notice.title_sv, notice.title_fi = title_sv[:200], title_fi[:200]
    notice.body_sv, notice.body_fi = (body_sv or "").strip(), (body_fi or "").strip()
    notice.product, notice.starts_at, notice.ends_at = product, starts_at, ends_at
    session.flush()
    return notice


def end(session: Session, actor: User, notice: DisruptionNotice) -> None:
    if not actor.role.is_staff:
        raise ValidationError({"notice": N_("Only support can publish disruption notices.")})
    now = utcnow()
    if notice.ends_at is None or notice.ends_at > now:
        notice.ends_at = max(now, notice.starts_at)
    session.flush()
