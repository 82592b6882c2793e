"""Notifications as a core part (``core.notify``): the outbox screen and the core's backends."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from onewindow.notify import models  # noqa: F401  (its table joins the metadata)
from onewindow.plugins import hookimpl


@hookimpl
def register_notification_backends(register):
    from onewindow.notify.backends import smtp_deliver

    register("outbox", None, channels=("sms", "email"))
    register("smtp", smtp_deliver, channels=("email",))


@hookimpl
def register_views(register):
    from onewindow.notify.views import NotificationView

    register(
        NotificationView,
        name="Notification outbox",
        label=_l("Notification outbox"),
        category="Security",
        category_label=_l("Security"),
        icon="fa-envelope",
    )


@hookimpl
def app_ready(app):
    from onewindow.notify import check_configuration

    check_configuration(app)
