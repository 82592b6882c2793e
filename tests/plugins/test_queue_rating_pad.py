"""Window rating pad (窗口评价器, /queue/pad/<window code>): after the service at the window it
asks the citizen for the five-level rating (GB/T 39734 好差评), recorded as the supervision
plugin's evaluation with channel "pad"; 不满意 opens a rectification; one rating per case."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from onewindow_queue import service
from onewindow_queue.models import TakenBy
from onewindow_supervision import service as supervision
from onewindow_supervision.models import Evaluation, EvaluationChannel, Rectification
from queue_helpers import PERSON, accept_at, ctx, queue_of, window  # noqa: F401 (fixtures)
from sqlalchemy import select

from onewindow import PermissionDenied, clock, db, unit_of_work


@pytest.fixture
def served(ctx, make_item, actor):
    """A ticket served at A01: the case accepted from it, then the service finished."""
    taken = service.take(queue_of(1).id, uuid.uuid4().hex, TakenBy.id_card, PERSON)
    service.call_next(window("A01"), "acceptor")
    service.start_serving(window("A01"), taken.ticket_id)
    case = accept_at(make_item(), "A01", actor("acceptor"))
    db.session.commit()
    service.finish(window("A01"), taken.ticket_id)
    return db.session.get(type(case), case.id)


def test_the_pad_asks_about_the_case_just_served_and_records_a_pad_evaluation(client, served):
    page = client.get("/queue/pad/A01").get_data(as_text=True)
    assert "非常满意" in page and "非常不满意" in page and served.item.name in page
    response = client.post("/queue/pad/A01", data={"case_id": served.id, "level": "very_satisfied"})
    assert response.status_code == 200 and "感谢您的评价" in response.get_data(as_text=True)
    db.session.rollback()
    evaluation = db.session.execute(select(Evaluation)).scalar_one()
    assert evaluation.channel == EvaluationChannel.pad and str(evaluation.channel) == "窗口评价器"
    assert (evaluation.case_id, evaluation.window.code, evaluation.staff) == (served.id, "A01", "acceptor")
    assert evaluation.recorded_by == f"applicant:{PERSON}"


def test_one_rating_per_case_on_the_pad(client, served):
    client.post("/queue/pad/A01", data={"case_id": served.id, "level": "satisfied"})
    again = client.post("/queue/pad/A01", data={"case_id": served.id, "level": "very_dissatisfied", "reason": "其他"})
    assert again.status_code == 400 and "已评价或已超时" in again.get_data(as_text=True)
    db.session.rollback()
    assert [level.name for level in db.session.execute(select(Evaluation.level)).scalars()] == ["satisfied"]
    assert "欢迎" in client.get("/queue/pad/A01").get_data(as_text=True)


def test_a_dissatisfied_rating_needs_a_reason_and_opens_a_rectification(client, served):
    refused = client.post("/queue/pad/A01", data={"case_id": served.id, "level": "dissatisfied"})
    assert refused.status_code == 400 and "至少点选一项原因" in refused.get_data(as_text=True)
    unknown = client.post("/queue/pad/A01", data={"case_id": served.id, "level": "dissatisfied", "reason": "随便写"})
    assert unknown.status_code == 400 and "不在评价器列出的原因中" in unknown.get_data(as_text=True)
    db.session.rollback()
    assert db.session.execute(select(Evaluation)).first() is None
    client.post(
        "/queue/pad/A01", data={"case_id": served.id, "level": "dissatisfied", "reason": ["等候时间过长", "其他"]}
    )
    db.session.rollback()
    rect = db.session.execute(select(Rectification)).scalar_one()
    assert rect.case_id == served.id and "等候时间过长；其他" in rect.reason


def test_the_pad_of_another_window_cannot_rate_the_case(client, served):
    assert "欢迎" in client.get("/queue/pad/B01").get_data(as_text=True)
    response = client.post("/queue/pad/B01", data={"case_id": served.id, "level": "very_satisfied"})
    assert response.status_code == 400
    assert client.get("/queue/pad/NOPE").status_code == 404


def test_the_pad_stops_asking_after_the_configured_minutes(client, served, ctx):
    ctx.extensions["onewindow"].plugins.plugin_sections["queue"] = {"pad_minutes": 5}
    with clock.travel_to(clock.now() + dt.timedelta(minutes=6)):
        assert service.pad_case(window("A01")) is None
        assert client.get("/queue/pad/A01.json").get_json() == {"case": None}
    assert client.get("/queue/pad/A01.json").get_json() == {"case": served.id}


def test_only_the_applicant_rates_on_the_pad_channel(served, actor):
    with pytest.raises(PermissionDenied, match="只有申请人本人"), unit_of_work():
        supervision.record_evaluation(served, actor("acceptor"), "satisfied", "pad")
