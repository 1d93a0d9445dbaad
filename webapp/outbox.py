"""The embedded default sends the outbox right after each request that wrote something (`kb worker` otherwise)."""
from __future__ import annotations

from flask import Flask, request

from kb.mail.delivery import deliver

from .database import mail_settings


def init_app(app: Flask) -> None:
    @app.after_request
    def _send_after_writes(response):
        if request.method not in ("GET", "HEAD", "OPTIONS") and app.config.get("MAIL_SEND_AFTER_REQUEST", True):
            settings = mail_settings()  # while the request is still here

            def send():
                try:
                    deliver(app.extensions["kb_database"], settings)
                except Exception:  # the outbox keeps the mail; the next request or `kb worker` sends it
                    app.logger.exception("sending the outbox failed")

            response.call_on_close(send)
        return response
