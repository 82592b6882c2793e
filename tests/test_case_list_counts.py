"""Case lists at scale: the count stops at a cap and then says "more than", never a
made-up total; scope, masking and newest-first order stay as they were
(bench/case_list.py measures the 1,000,000-case target)."""

import pytest

from onewindow.cases import listing
from tests.test_cases_api import PERSON, accepted, api, jwt  # noqa: F401  (fixtures)


@pytest.fixture
def three_cases(accepted):  # noqa: F811
    return [accepted()["number"] for _ in range(3)]


def test_api_count_is_exact_up_to_the_cap_then_more_than(api, three_cases, monkeypatch):  # noqa: F811
    status, listing_ = api("get", "/api/v1/cases/", "acceptor")
    assert status == 200 and listing_["count"] == 3 and listing_["count_exact"] is True
    monkeypatch.setattr(listing, "COUNT_CAP", 2)
    status, listing_ = api("get", "/api/v1/cases/?page_size=2&page=2", "acceptor")
    assert listing_["count"] == 2 and listing_["count_exact"] is False
    assert [c["number"] for c in listing_["result"]] == [three_cases[0]]  # pages go on past the cap
    status, listing_ = api("get", "/api/v1/cases/", "approver_re")  # another department: nothing
    assert listing_["count"] == 0 and listing_["count_exact"] is True and listing_["result"] == []


def test_screen_says_more_than_past_the_cap_and_keeps_scope_and_masking(app, three_cases, login, monkeypatch):
    admin, own, other = app.test_client(), app.test_client(), app.test_client()
    login(admin, "admin")
    login(own, "approver")
    login(other, "approver_re")
    page = admin.get("/caseview/list/").get_data(as_text=True)
    assert all(n in page for n in three_cases) and "超过" not in page
    assert PERSON not in page and "440304********1236" in page
    assert page.index(three_cases[2]) < page.index(three_cases[0])  # newest first
    monkeypatch.setattr(listing, "COUNT_CAP", 2)
    page = admin.get("/caseview/list/").get_data(as_text=True)
    assert "超过 2 条" in page and all(n in page for n in three_cases)
    assert all(n in own.get("/caseview/list/").get_data(as_text=True) for n in three_cases)
    assert not any(n in other.get("/caseview/list/").get_data(as_text=True) for n in three_cases)
    page = own.get("/caseview/list/?_flt_0_state=delivered").get_data(as_text=True)
    assert not any(n in page for n in three_cases)
