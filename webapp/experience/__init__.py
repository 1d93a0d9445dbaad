"""The experience database ("Erfarenhetsdatabas"): search page and entries."""
from .routes import bp

__all__ = ["bp"]
