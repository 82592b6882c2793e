"""The acceptor's tile 补正已提交: cases awaiting correction whose applicant has since
handed in files, which the window must now look at."""

import io

from test_workspace import DAY, PERSON, tile, workspace

from onewindow.app import db
from onewindow.cases import engine
from onewindow.cases.clock import travel_to
from onewindow.cases.materialfiles import Upload, add_material_files
from onewindow.cases.models import ApplicantType, Case, FileChannel, MaterialStatus
from onewindow.models.items import Item
from onewindow.models.org import Window
from tests.test_material_files import PDF


def in_correction(app, actor, item_id) -> tuple[int, str]:
    with app.app_context(), travel_to(DAY):
        item = db.session.get(Item, item_id)
        window = db.session.query(Window).filter_by(code="A01").one()
        application = engine.Application(item, ApplicantType.person, "张三", PERSON, window=window)
        statuses = {m.id: MaterialStatus.submitted for m in item.materials}
        statuses[item.materials[1].id] = MaterialStatus.missing
        case = engine.request_correction(application, actor("acceptor"), {}, materials=statuses)
        return case.id, case.number


def test_acceptor_workspace_counts_corrections_answered_and_links_to_them(app, make_item, login, actor, client):
    item_id = make_item()
    answered_id, answered = in_correction(app, actor, item_id)
    _, silent = in_correction(app, actor, item_id)
    login(client, "acceptor")
    assert tile(workspace(client), "补正已提交")[0] == 0, "a correction notice alone is not an answer"

    with app.app_context(), travel_to(DAY):
        case = db.session.get(Case, answered_id)
        missing = case.materials[1]
        add_material_files(
            case, actor("acceptor"), missing.material_id, [Upload("身份证明.pdf", io.BytesIO(PDF))], FileChannel.online
        )
    count, link = tile(workspace(client), "补正已提交")
    assert count == 1
    listed = client.get(link).get_data(as_text=True)
    assert answered in listed and silent not in listed
    everything = client.get("/workbench/").get_data(as_text=True)
    assert answered in everything and silent in everything
    assert everything.count('class="label label-warning ow-answered"') == 1

    with app.app_context(), travel_to(DAY):
        engine.accept(db.session.get(Case, answered_id), actor("acceptor"), {missing.material_id: "submitted"})
    assert tile(workspace(client), "补正已提交")[0] == 0, "accepted: no longer waiting"
