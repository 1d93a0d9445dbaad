"""The language switch on every page and on the login page."""
from .routes import bp

__all__ = ["bp"]
