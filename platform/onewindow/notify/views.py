"""通知发件箱: the admin's read-only list of every notification, personal data masked."""

from __future__ import annotations

from flask_appbuilder import ModelView
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from onewindow.notify.models import Notification


class NotificationView(ModelView):
    datamodel = SQLAInterface(Notification)
    base_permissions = ["can_list", "can_show"]
    list_title = _l("Notification outbox")
    show_title = _l("Notification")
    list_columns = ["created_local", "channel", "kind", "masked_recipient", "masked_subject", "backend", "status"]
    show_columns = [*list_columns, "masked_body", "error", "sent_local"]
    search_columns = ["channel", "kind", "status", "backend", "created_at"]
    order_columns = ["kind", "backend", "status"]
    base_order = ("created_at", "desc")
    label_columns = {
        "created_at": _l("Created"),
        "created_local": _l("Created"),
        "sent_local": _l("Sent at"),
        "channel": _l("Channel"),
        "kind": _l("Kind"),
        "masked_recipient": _l("Recipient"),
        "masked_subject": _l("Subject"),
        "masked_body": _l("Text"),
        "backend": _l("Backend"),
        "status": _l("Status"),
        "error": _l("Error"),
    }
