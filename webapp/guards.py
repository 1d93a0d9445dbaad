"""Who may open a page. Each guard sends a visitor to the login page and answers 404 to a user of
another role, so a page that is not theirs cannot even be found."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from kb.models import Role, User


def role_required(allowed: Callable[[User], bool]):
    """A view decorator: logged in, and `allowed(user)`; 404 otherwise."""
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not allowed(current_user):
                abort(404)
            return view(*args, **kwargs)
        return wrapped
    return decorator


staff_required = role_required(lambda user: user.is_staff)  # support agents and administrators
admin_required = role_required(lambda user: user.role == Role.ADMIN)
customer_required = role_required(lambda user: not user.is_staff)  # a customer's or a partner's user
customer_admin_required = role_required(lambda user: user.role == Role.CUSTOMER_ADMIN)
