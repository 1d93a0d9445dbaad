"""For tests and the load benchmark: the demo's support staff and administrators with a known TOTP secret
(two-factor login is required for them), and the code it gives now."""
from __future__ import annotations

import pyotp
from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.models import Role, User

STAFF_SECRET = "KBTESTSTAFFSECRETKBTESTSTAFFSECR"  # base32; never set outside tests and benchmarks


def give_staff_a_second_factor(session: Session) -> None:
    for user in session.scalars(select(User).where(User.role.in_((Role.SUPPORT, Role.ADMIN)))):
        user.totp_secret = STAFF_SECRET
    session.commit()


def code(secret: str = STAFF_SECRET, step: int | None = None) -> str:
    """The code of this moment, or of a time step (30 s each)."""
    totp = pyotp.TOTP(secret)
    return totp.at(step * 30) if step is not None else totp.now()


_taken: dict[str, int] = {}  # each user's last time step used by this process


def next_code(username: str, secret: str = STAFF_SECRET) -> str:
    """A code for a user's next login from this process: a code is taken once, so a second login within
    the same 30 seconds takes the next step's (accepted: clocks drift); waits when both were taken."""
    import time

    step = max(int(time.time() // 30), _taken.get(username, -1) + 1)
    while step > int(time.time() // 30) + 1:
        time.sleep(1)
    _taken[username] = step
    return code(secret, step)


def forget_taken() -> None:
    """A new database, where no code has been taken yet."""
    _taken.clear()
