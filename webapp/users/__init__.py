"""A customer admin's page of their organisation's users: invite, deactivate, roles, the approval right,
and the audit of every change (kb/organisation_users.py)."""
from .routes import bp

__all__ = ["bp"]
