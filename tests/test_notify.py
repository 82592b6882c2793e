"""Notifications: one send() for every sender, the outbox the admin reads (masked), the SMTP
backend against a real local SMTP server (aiosmtpd), and startup checks of the configuration."""

from __future__ import annotations

import socket

import pytest
from aiosmtpd.controller import Controller

from onewindow.app import create_app, db
from onewindow.errors import StartupError, ValidationError
from onewindow.notify import send
from onewindow.notify.models import Notification, NotifyStatus


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller.hostname, controller.port, inbox
    controller.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_default_backend_stores_the_notification_in_the_outbox(app):
    with app.test_request_context():
        row = send("13800138000", "test.hello", "问候", "您好，张三", "sms")
        assert row.status == NotifyStatus.stored and row.backend == "outbox"
        stored = db.session.get(Notification, row.id)
        assert stored.recipient == "13800138000" and stored.body == "您好，张三"
        assert stored.created_at.tzinfo is not None


def test_smtp_backend_delivers_to_a_real_smtp_server(make_app, smtp_server):
    host, port, inbox = smtp_server
    app = make_app(
        config={"NOTIFY_EMAIL_BACKEND": "smtp", "SMTP_HOST": host, "SMTP_PORT": port, "SMTP_FROM": "hall@ow.example.cn"}
    )
    with app.test_request_context():
        row = send("zhang@example.cn", "test.code", "验证码", "您的验证码是 123456", "email", secret=True)
        assert row.status == NotifyStatus.sent, row.error
        assert row.sent_at is not None
    assert len(inbox.messages) == 1
    envelope = inbox.messages[0]
    assert envelope.mail_from == "hall@ow.example.cn" and envelope.rcpt_tos == ["zhang@example.cn"]
    import email

    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert message["Subject"] == "验证码"
    assert "123456" in message.get_content()


def test_smtp_failure_is_recorded_on_the_row_not_raised(make_app):
    app = make_app(
        config={
            "NOTIFY_EMAIL_BACKEND": "smtp",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": _free_port(),
            "SMTP_FROM": "hall@ow.example.cn",
            "SMTP_TIMEOUT_SECONDS": 2,
        }
    )
    with app.test_request_context():
        row = send("zhang@example.cn", "test.code", "验证码", "123456", "email")
        assert row.status == NotifyStatus.failed and "ConnectionRefused" in row.error
        assert db.session.get(Notification, row.id).status == NotifyStatus.failed


@pytest.mark.parametrize(
    "recipient, channel, fragment",
    [
        ("1380013800", "sms", "11位手机号码，当前为 1380013800"),
        ("zhang.example.cn", "email", "name@example.cn 的地址，当前为 zhang.example.cn"),
        ("13800138000", "fax", "未知的通知渠道 fax"),
    ],
)
def test_bad_recipient_or_channel_is_refused_and_nothing_is_written(app, recipient, channel, fragment):
    with app.test_request_context():
        with pytest.raises(ValidationError) as caught:
            send(recipient, "test.bad", "s", "b", channel)
        assert fragment in str(caught.value)
        assert db.session.query(Notification).count() == 0


def test_unknown_backend_stops_startup(tmp_path):
    with pytest.raises(StartupError, match="NOTIFY_SMS_BACKEND = 'aliyun': no such notification backend"):
        create_app({"TESTING": True, "NOTIFY_SMS_BACKEND": "aliyun"}, instance_path=tmp_path)


def test_backend_that_cannot_send_the_channel_stops_startup(tmp_path):
    with pytest.raises(StartupError, match="does not send sms"):
        create_app({"TESTING": True, "NOTIFY_SMS_BACKEND": "smtp"}, instance_path=tmp_path)


def test_smtp_backend_without_host_stops_startup(tmp_path):
    with pytest.raises(StartupError, match="needs SMTP_HOST and SMTP_FROM"):
        create_app({"TESTING": True, "NOTIFY_EMAIL_BACKEND": "smtp"}, instance_path=tmp_path)


def test_a_plugin_registers_an_sms_backend(make_app, throwaway_plugin):
    plugin = throwaway_plugin("""
        from onewindow.plugins import hookimpl
        SENT = []

        @hookimpl
        def register_notification_backends(register):
            def deliver(notification):
                SENT.append((notification.recipient, notification.body))
            register("fake-gateway", deliver, channels=("sms",))
    """)
    app = make_app(plugins=[("gateway", plugin)], config={"NOTIFY_SMS_BACKEND": "fake-gateway"})
    with app.test_request_context():
        row = send("13800138000", "test.gw", "s", "您好", "sms")
        assert row.status == NotifyStatus.sent and row.backend == "fake-gateway"
    assert plugin.SENT == [("13800138000", "您好")]


def test_a_notification_sent_in_a_transaction_is_delivered_only_when_it_commits(make_app, throwaway_plugin):
    """``in_transaction=True`` (a case_transition hook): nothing goes out for a rolled-back
    transaction; after the commit the backend delivers and the outcome is on the row."""
    plugin = throwaway_plugin("""
        from onewindow.plugins import hookimpl
        SENT = []

        @hookimpl
        def register_notification_backends(register):
            register("fake-gateway", lambda n: SENT.append(n.body), channels=("sms",))
    """)
    app = make_app(plugins=[("gateway", plugin)], config={"NOTIFY_SMS_BACKEND": "fake-gateway"})
    with app.test_request_context():
        send("13800138000", "test.tx", "s", "回滚的", "sms", in_transaction=True)
        assert plugin.SENT == []
        db.session.rollback()
        assert plugin.SENT == [] and db.session.query(Notification).count() == 0
        send("13800138000", "test.tx", "s", "提交的", "sms", in_transaction=True)
        assert plugin.SENT == []
        db.session.commit()
        assert plugin.SENT == ["提交的"]
        [row] = db.session.query(Notification).all()
        assert row.status == NotifyStatus.sent and row.sent_at is not None


def test_outbox_screen_is_for_the_admin_only_and_masks_personal_data(app, login):
    with app.test_request_context():
        code_id = send("13800138000", "hall.one_time_code", "验证码", "您的验证码 482913", secret=True).id
        notice_id = send("13900139000", "case.notice", "通知", "申请人 440304200002291236 的申请已受理").id
    admin = app.test_client()
    login(admin, "admin")
    listing = admin.get("/notificationview/list/").get_data(as_text=True)
    assert "138****8000" in listing and "13800138000" not in listing
    code = admin.get(f"/notificationview/show/{code_id}").get_data(as_text=True)
    assert "482913" not in code and "您的验证码 ******" in code
    notice = admin.get(f"/notificationview/show/{notice_id}").get_data(as_text=True)
    assert "440304200002291236" not in notice and "440304********1236" in notice
    clerk = app.test_client()
    login(clerk, "acceptor")
    assert clerk.get("/notificationview/list/").status_code in (302, 403)
    assert app.test_client().get("/notificationview/list/").status_code == 302
