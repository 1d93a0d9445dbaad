"""The catalogues behind the ticket form: products and what belongs to them."""
from __future__ import annotations

import enum
import re

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, str_enum


# Words for a report in the catalogue's codes and labels (English, Swedish, Finnish): the ticket form asks for the
# report's name and filters ("raportin nimi rajauksineen", the Finnish guide) when the problem is with one.
REPORTING = re.compile(r"report|rapport|raport", re.IGNORECASE)


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

    @property
    def is_reporting(self) -> bool:
        """A category or routine about reports."""
        return any(REPORTING.search(text or "") for text in (self.code, self.label_sv, self.label_fi))

    def __repr__(self) -> str:
        return f"<{self.kind.value} {self.code!r}>"
