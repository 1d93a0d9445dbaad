"""Users: creation, passwords and authentication."""
from __future__ import annotations

import re
from functools import lru_cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from .config import LANGUAGES
from .errors import N_, KbError, ValidationError
from .models import Organisation, Role, User

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
# A hash that no password matches, so a failed lookup costs as much as a real check.
_DUMMY_HASH = generate_password_hash("not a password")


MIN_PASSWORD = 10
MAX_PASSWORD = 200


def hash_password(password: str) -> str:
    return generate_password_hash(password)


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    """The 30 000 most common passwords of leaked password lists, as zxcvbn ships them (lower case)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problem(password: str) -> str | None:
    """Why a new password will not do (a message to translate), or None: at least MIN_PASSWORD characters
    and none of the most common passwords ("password123", "qwertyuiop")."""
    if len(password) < MIN_PASSWORD:
        return N_("The password must have at least 10 characters.")
    if len(password) > MAX_PASSWORD:
        return N_("The password can have at most 200 characters.")
    if password.lower() in _common_passwords():
        return N_("That password is one of the most common ones. Choose another.")
    return None


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this username and password, or None."""
    user = find_user(session, username)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user


def create_user(session: Session, *, username: str, password: str, name: str, organisation: Organisation,
                role: Role = Role.CUSTOMER, email: str | None = None, phone: str | None = None,
                language: str = "sv") -> User:
    """Add a new user; raises ValidationError on a bad or taken username."""
    username = username.strip().lower()
    errors = {}
    if not USERNAME.match(username):
        errors["username"] = N_("Use 2-64 lower-case letters, digits, dots, hyphens or underscores.")
    elif find_user(session, username) is not None:
        errors["username"] = N_("That username is taken.")
    problem = password_problem(password)
    if problem:
        errors["password"] = problem
    if language not in LANGUAGES:
        errors["language"] = N_("Choose Swedish or Finnish.")
    if not name.strip():
        errors["name"] = N_("This field is required.")
    if errors:
        raise ValidationError(errors)
    user = User(username=username, password_hash=hash_password(password), name=name.strip(),
                organisation=organisation, role=role, email=email, phone=phone, language=language)
    session.add(user)
    return user


def organisation_by_key(session: Session, key: str) -> Organisation:
    org = session.scalar(select(Organisation).where(Organisation.key == key))
    if org is None:
        raise KbError(N_("No organisation with the key %(key)s."), key=key)
    return org
