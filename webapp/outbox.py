"""The embedded default sends the outbox from the web app itself (`kb worker` otherwise).

Mail leaves within seconds of the commit that wrote it, whatever the request, the client or the server
does afterwards: each serving process has a sender thread, woken by every request that may have written
something and looking at the outbox every MAIL_POLL_SECONDS anyway (retries, and mail written by other
processes and nodes). It used to be sent in the response's close callback, which a WSGI server runs only
once it is done with the connection: Werkzeug's server (`kb serve`, `make run`) drains the socket first and
skips the callbacks when the client drops it, so a browser's last comment could wait for whichever request
wrote next. Tests (TESTING) still send in the close callback, so that a test reads what was sent at once.
"""
from __future__ import annotations

import logging
import threading

from flask import Flask, request

from kb.mail.delivery import deliver

from .database import mail_settings

log = logging.getLogger("kb.mail")


class Sender:
    """One process's sender thread: `wake()` after a write, or every `poll` seconds by itself."""

    def __init__(self, app: Flask, poll: float):
        self.app, self.poll = app, poll
        self._wake = threading.Event()
        with app.app_context():
            self.settings = mail_settings()
        self.thread = threading.Thread(target=self._run, name="kb-mail-sender", daemon=True)
        self.thread.start()

    def wake(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait(self.poll)
            self._wake.clear()
            try:
                deliver(self.app.extensions["kb_database"], self.settings)
            except Exception:  # noqa: BLE001  (the outbox keeps the mail: the next round tries again)
                log.exception("sending the outbox failed")


def init_app(app: Flask) -> None:
    if not app.config.get("MAIL_SEND_AFTER_REQUEST", True):
        return  # `kb worker` sends
    sender = None if app.testing else Sender(app, float(app.config.get("MAIL_POLL_SECONDS", 5.0)))
    app.extensions["kb_mail_sender"] = sender

    @app.after_request
    def _send_after_writes(response):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return response
        if sender is not None:
            sender.wake()  # the view has committed: the thread sends now, apart from this response
            return response
        settings = mail_settings()  # while the request is still here

        def send():
            try:
                deliver(app.extensions["kb_database"], settings)
            except Exception:  # noqa: BLE001  (the outbox keeps the mail; the next request sends it)
                log.exception("sending the outbox failed")

        response.call_on_close(send)
        return response
