"""Where a form may send the user back to: only a path of this site, never another host."""
from __future__ import annotations

from urllib.parse import urlsplit


def safe_next(target: str | None, fallback: str) -> str:
    """`target` when it is a path of this site, else `fallback`.

    Browsers drop tabs and line breaks from a URL and read a backslash as a slash, so "/\\t/evil.example"
    and "/\\\\evil.example" lead off-site as surely as "//evil.example": any control character,
    backslash or space refuses the target, as do a scheme ("https:x", "javascript:") and a host."""
    if not target or len(target) > 2000 or not target.startswith("/") or target.startswith("//"):
        return fallback
    if any(c < " " or c in "\\\x7f" or c.isspace() for c in target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return fallback
    return target
