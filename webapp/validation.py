"""A write the domain refused (kb.errors.ValidationError), as a page or the API answers it."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import flash, jsonify
from flask_babel import gettext as _

from kb.errors import ValidationError


DATABASE_INT = 2**31  # PostgreSQL's integer; SQLite's is wider, but both must answer the same


def database_id(value) -> int:
    """An id or number from a form or query string, as `request.args.get(name, type=database_id)` takes it:
    digits that a database integer holds, else ValueError (and the default), never a database error."""
    number = int(str(value).strip().lstrip("#"))
    if not 0 < number < DATABASE_INT:
        raise ValueError(value)
    return number


class FieldErrors(dict):
    """A refused form's messages by field (empty when it was taken), and the refusal's detail."""
    detail = ""


@contextmanager
def field_errors() -> Iterator[FieldErrors]:
    """`with field_errors() as errors:` around a write: a ValidationError ends the block (`writing` has
    rolled the write back) and leaves its messages in `errors`, for the page to show beside the fields."""
    errors = FieldErrors()
    try:
        yield errors
    except ValidationError as error:
        errors.update(error.errors)
        errors.detail = error.detail


def flash_errors(errors: FieldErrors) -> None:
    """The messages as one flash, for an action of a page that has no form to show them in."""
    flash(" ".join(_(m) for m in errors.values()) + (f" {errors.detail}" if errors.detail else ""), "error")


def invalid_response(errors: FieldErrors):
    """The API's answer: 422 with every field's message."""
    response = jsonify({"error": _("Some fields are not valid."), "status": 422,
                        "fields": {name: _(message) for name, message in errors.items()}})
    response.status_code = 422
    return response
