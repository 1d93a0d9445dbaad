"""Errors the domain raises; messages are English source strings, translated where they are shown."""
from __future__ import annotations


def N_(message: str) -> str:
    """Mark a message for translation without translating it here."""
    return message


class KbError(Exception):
    """An error with a message fit to show a user or an operator."""

    def __init__(self, message: str, **params):
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params


class NotFound(KbError):
    pass


class ValidationError(KbError):
    """Bad input: one message per field, so a form can show each where it belongs."""

    def __init__(self, errors: dict[str, str], detail: str = ""):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()) + (f" {detail}" if detail else ""))
        self.errors = errors
        self.detail = detail  # untranslatable particulars (column names, say) shown after the messages
