"""The admin's lists and record pages read as words: human titles, "—" for nothing, Yes/No,
times to the minute, platform names; never None, True, [..] or microseconds."""
import re

from tests.fan_journey import sandbox_decision, start

# a raw value: Python's None/True/False as the whole value, a list's brackets, microseconds
RAW = re.compile(r"^(None|True|False)$|\[|\]|\d\d:\d\d:\d\d\.\d")
LISTS = {"/artists/list/": "Artists", "/releases/list/": "Releases", "/fans/list/": "Fans",
         "/presaves/list/": "Pre-saves", "/consents/list/": "Consents",
         "/label-users/list/": "Users", "/credentials/list/": "Platform credentials"}


def cells(page):
    table = page[page.find("<table"):page.rfind("</table>")]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell)).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", table, re.S)]


def test_every_list_and_record_page_reads_as_words(app, login, active_release, unique):
    fan = app.test_client()
    going = start(fan, active_release(), email=f"{unique('words')}@example.com", name="Word Fan",
                  consent_email_marketing="1")
    fan.get(sandbox_decision(fan, going.headers["Location"]))
    owner = login("owner@northwind.test")
    for path, title in LISTS.items():
        # releases like the one this test gives a fan: other tests store titles such as
        # '[1, {"a": 2}]' on purpose, faithfully shown but not what this test looks for
        query = "?_flt_0_title=Flow Song" if path == "/releases/list/" else ""
        page = owner.get(path + query).get_data(as_text=True)
        assert re.search(rf">\s*{re.escape(title)}\s*<", page), path
        assert "List " not in page[:page.find("<table")], path
        found = cells(page)
        assert found or path == "/credentials/list/", path  # the demo label runs on the sandbox
        assert [c for c in found if RAW.search(c)] == [], path
        first = re.search(r'href="(/[a-z-]+/show/\d+)"', page)
        if first:
            record = owner.get(first.group(1)).get_data(as_text=True)
            values = re.findall(r"<td[^>]*>(.*?)</td>", record, re.S)
            shown = [re.sub(r"<[^>]+>", " ", v).strip() for v in values]
            assert [v for v in shown if RAW.search(v)] == [], first.group(1)
    presaves = cells(owner.get("/presaves/list/").get_data(as_text=True))
    assert "Spotify" in presaves and "Pending" in presaves and "Save" in presaves
    consents = cells(owner.get("/consents/list/").get_data(as_text=True))
    assert "Email marketing" in consents


def test_lists_carry_their_title_as_the_page_heading_and_the_facts_staff_look_for(
        app, login, active_release, unique):
    fan = app.test_client()
    email = f"{unique('facts')}@example.com"
    going = start(fan, active_release(), email=email, name="Fact Fan", consent_email_marketing="1")
    fan.get(sandbox_decision(fan, going.headers["Location"]))
    owner = login("owner@northwind.test")
    for path, title in LISTS.items():
        page = owner.get(path).get_data(as_text=True)
        assert re.search(rf'<h1 class="panel-title page-title">\s*{re.escape(title)}\s*</h1>',
                         page), path
    fans = owner.get(f"/fans/list/?_flt_0_email={email}").get_data(as_text=True)
    row = cells(fans)
    assert "Email marketing" in " ".join(row)  # what they agreed to
    # times in the label's zone (Northwind: London), the exact UTC instant on hover
    assert re.search(r'<time datetime="[^"]+\+00:00" title="\d\d \w{3} 20\d\d, \d\d:\d\d UTC">'
                     r'\d\d \w{3} 20\d\d, \d\d:\d\d (GMT|BST)</time>', fans)
    presaves = owner.get("/presaves/list/").get_data(as_text=True)
    assert '<span class="platform-name"><svg' in presaves  # the platform's logo by its name
    assert '<span class="label label-default">Pending</span>' in presaves
    artists = owner.get("/artists/list/").get_data(as_text=True)
    assert all(re.search(rf">{h}\s*<", artists) for h in ("Releases", "Fans", "Pre-saves"))
    releases = owner.get("/releases/list/?_flt_0_title=Midnight").get_data(as_text=True)
    assert '<img class="list-thumb" src="/media/' in releases
