"""Logging in (with a second step where it is on) and out, and one's own account."""
from . import second_step  # noqa: F401  (its routes)
from .routes import bp

__all__ = ["bp"]
