"""The core's notification backends: ``outbox`` (store only) and ``smtp`` (e-mail)."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app

from onewindow.notify.models import Notification


def smtp_deliver(notification: Notification) -> None:
    """Send the notification as a plain-text e-mail with the ``SMTP_*`` settings."""
    settings = current_app.extensions["onewindow"].settings
    message = EmailMessage()
    message["From"] = settings["SMTP_FROM"]
    message["To"] = notification.recipient
    message["Subject"] = notification.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=settings["SMTP_FROM"].rpartition("@")[2] or None)
    message.set_content(notification.body, charset="utf-8")
    host, port, timeout = settings["SMTP_HOST"], int(settings["SMTP_PORT"]), int(settings["SMTP_TIMEOUT_SECONDS"])
    security = settings["SMTP_SECURITY"]
    smtp: smtplib.SMTP
    if security == "ssl":
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    with smtp:
        if security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if settings["SMTP_USERNAME"]:
            smtp.login(settings["SMTP_USERNAME"], settings["SMTP_PASSWORD"])
        smtp.send_message(message)
