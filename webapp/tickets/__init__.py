"""Tickets in the portal: register ("Ärenderegistrering"), follow and talk ("Ärendehantering")."""
from .routes import bp

__all__ = ["bp"]
