"""The workspace says who is signed in as staff read it: name, user name, role in Chinese."""

import re


def test_workspace_names_the_role_in_chinese_not_its_key(client, login):
    login(client, "chief_rep")
    page = client.get("/").get_data(as_text=True)
    whoami = re.search(r'<p id="ow-whoami">(.*?)</p>', page, re.S).group(1)
    assert "首席代表" in whoami and "用户名 chief_rep" in whoami
    assert "（chief_rep）" not in whoami
