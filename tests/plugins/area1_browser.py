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
        row = page.locator("#ow-inbox tr", has_text=number).first
        row.locator("form:has(input[value=approve]) input[name=opinion]").fill(opinion)
        row.locator("form:has(input[value=approve]) button").click()
        page.wait_for_selector("#ow-inbox")


def hand_to_output(page, live_server, number, result):
    page.goto(f"{live_server}/inbox/")
    ready = page.locator("#ow-ready tr", has_text=number)
    ready.locator("input[name=opinion]").fill(result)
    ready.locator("button").click()
    page.wait_for_load_state()


def pick_up(page, live_server, number, signee, signee_id):
    page.goto(f"{live_server}/output/")
    out = page.locator("#ow-output tr", has_text=number)
    out.locator(".ow-pickup input[name=signee]").fill(signee)
    out.locator(".ow-pickup input[name=signee_id]").fill(signee_id)
    out.locator(".ow-pickup button").click()
    page.wait_for_load_state()
