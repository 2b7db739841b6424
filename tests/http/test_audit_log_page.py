"""The auditor's log page opens at the newest entries and names each landmark once."""

import re
from collections import Counter

from subsidy.audit.services import append_entry
from tests.http.test_public_audit_pages import sign_in


def _log_entries(count: int) -> None:
    for number in range(count):
        append_entry(actor="test", action="program_loaded", subject=f"test:{number}", data={})


def _indexes(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'title="[^"]*">(\d+)</a></td>', html)]


def test_the_log_opens_at_its_newest_entries(client, app):
    _log_entries(70)
    sign_in(client, "auditor")
    page = client.get("/audit?lang=en").text
    size = int(re.search(r'id="tree-size">([\d,]+)<', page).group(1).replace(",", ""))
    shown = _indexes(page)
    assert shown[-1] == size - 1 and len(shown) == 50
    assert "Clear filters" not in page
    oldest = _indexes(client.get("/audit?start=0").text)
    assert oldest[0] == 0


def test_a_filtered_log_starts_at_its_first_match(client, app):
    _log_entries(3)
    sign_in(client, "auditor")
    page = client.get("/audit?subject=test:1").text
    assert len(_indexes(page)) == 1


def test_no_two_landmarks_share_a_name(client, app):
    _log_entries(3)
    sign_in(client, "auditor")
    page = client.get("/audit?lang=en").text
    labelled = re.findall(r'<(?:section|nav|div)[^>]*aria-label(?:ledby)?="([^"]+)"', page)
    titles = dict(re.findall(r'<h2 id="([^"]+)">([^<]+)</h2>', page))
    names = Counter(titles.get(name, name) for name in labelled)
    assert all(count == 1 for count in names.values()), names
