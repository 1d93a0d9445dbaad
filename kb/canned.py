"""Canned answers: replies support reuses, in Swedish and Finnish, kept by support."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .errors import N_, ValidationError
from .models import CannedAnswer, User
from .tickets import text_errors


def answers(session: Session) -> list[CannedAnswer]:
    return list(session.scalars(select(CannedAnswer).order_by(CannedAnswer.title)))


def save(session: Session, actor: User, answer: CannedAnswer | None, title: str, body_sv: str,
         body_fi: str) -> CannedAnswer:
    """A new canned answer (answer None) or changes to one; support only; a title and a text in at least
    one language."""
    if not actor.role.is_staff:
        raise ValidationError({"title": N_("Only support can keep canned answers.")})
    title, body_sv, body_fi = (title or "").strip(), (body_sv or "").strip(), (body_fi or "").strip()
    errors = {}
    if not title or len(title) > 200:
        errors["title"] = N_("Give the answer a title of at most 200 characters.")
    if not body_sv and not body_fi:
        errors["body_sv"] = N_("Write the answer in Swedish, Finnish or both.")
    for name, value in (("body_sv", body_sv), ("body_fi", body_fi)):  # as long as a comment may be
        if message := text_errors(body=value).get("body"):
            errors[name] = message
    if errors:
        raise ValidationError(errors)
    answer = answer or CannedAnswer()
    answer.title, answer.body_sv, answer.body_fi = title, body_sv, body_fi
    session.add(answer)
    session.flush()
    return answer


def delete(session: Session, actor: User, answer: CannedAnswer) -> None:
    if not actor.role.is_staff:
        raise ValidationError({"title": N_("Only support can keep canned answers.")})
    session.delete(answer)
    session.flush()
