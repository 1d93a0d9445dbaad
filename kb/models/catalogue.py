"""The catalogues behind the ticket form: products and what belongs to them."""
from __future__ import annotations

import enum

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, str_enum


class CatalogueKind(str, enum.Enum):
    PRODUCT = "product"
    CATEGORY = "category"  # belongs to a product
    ROUTINE = "routine"  # belongs to a product
    VERSION = "version"  # belongs to a product
    TICKET_TYPE = "ticket_type"
    OPERATING_SYSTEM = "operating_system"


class CatalogueEntry(Base):
    """One choice in one of the ticket form's lists, labelled in Swedish and Finnish."""

    __tablename__ = "catalogue_entry"
    __table_args__ = (UniqueConstraint("kind", "product_id", "code", name="uq_catalogue_entry_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[CatalogueKind] = mapped_column(str_enum(CatalogueKind))
    code: Mapped[str] = mapped_column(String(64))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("catalogue_entry.id"))
    label_sv: Mapped[str] = mapped_column(String(200))
    label_fi: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    product: Mapped[CatalogueEntry | None] = relationship(remote_side=[id])

    def label(self, language: str) -> str:
        return self.label_fi if language == "fi" else self.label_sv

    def __repr__(self) -> str:
        return f"<{self.kind.value} {self.code!r}>"
