"""The home page of each role."""
from .routes import bp

__all__ = ["bp"]
