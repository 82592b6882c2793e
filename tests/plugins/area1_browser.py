"""Browser steps shared by the service-area plugin browser tests (selectors of the core's
inbox and output screens, as in tests/test_browser_cases.py)."""


def sign_in(page, live_server, username, password):
    page.context.clear_cookies()
    page.goto(f"{live_server}/login/")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_url(f"{live_server}/")


def approve_in_inbox(page, live_server, number, opinion="符合条件，同意"):
    """Approve every step of ``number`` the signed-in user sees in the inbox."""
    page.goto(f"{live_server}/inbox/")
    while page.locator("#ow-inbox tr", has_text=number).count():
        page.locator("#ow-inbox tr", has_text=number).first.locator("a.ow-review").click()
        page.wait_for_selector("#ow-action-approve_step")  # the case page: data, materials, steps
        page.fill("#ow-action-approve_step textarea[name=opinion]", opinion)
        page.click("#ow-action-approve_step button")
        page.wait_for_selector("#ow-case")
        page.goto(f"{live_server}/inbox/")


def hand_to_output(page, live_server, number, result):
    page.goto(f"{live_server}/inbox/")
    ready = page.locator("#ow-ready tr", has_text=number)
    ready.locator("input[name=result_description]").fill(result)
    ready.locator("button").click()
    page.wait_for_load_state()


def pick_up(page, live_server, number, signee, signee_id):
    page.goto(f"{live_server}/output/")
    out = page.locator("#ow-output tr", has_text=number)
    out.locator(".ow-do-deliver_pickup input[name=signee_name]").fill(signee)
    out.locator(".ow-do-deliver_pickup input[name=signee_id]").fill(signee_id)
    out.locator(".ow-do-deliver_pickup button").click()
    page.wait_for_load_state()


def seal_in_browser(page, live_server, demo_logins, app, number, seal_admin):
    """The department's seal administrator seals the case's e-licence on its page (the
    centre admin first creates the department's seal when it has none)."""
    from onewindow.app import db
    from onewindow.cases.models import Case
    from onewindow.licences.models import Licence, Seal

    with app.app_context():
        case = db.session.query(Case).filter_by(number=number).one()
        licence_id = db.session.query(Licence).filter_by(identifier=case.licence_identifier).one().id
        department, has_seal = (
            case.department.name,
            db.session.query(Seal).filter_by(department_id=case.department_id, active=True).count(),
        )
    if not has_seal:
        sign_in(page, live_server, "admin", demo_logins["admin"])
        page.goto(f"{live_server}/sealview/create")
        page.select_option("#department", label=department)
        page.click("button[type=submit]")
        page.wait_for_load_state()
    sign_in(page, live_server, seal_admin, demo_logins[seal_admin])
    page.goto(f"{live_server}/licenceview/show/{licence_id}")
    page.click("#licence-seal")
    page.wait_for_load_state()
