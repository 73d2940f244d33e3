"""Static assets: linked under content-hashed names that browsers keep for a year, answered
compressed (brotli, else gzip) with the file's exact bytes inside; the plain names still
answer, revalidated; names that are not files are a 404."""
import gzip
import re
from pathlib import Path

import brotli
import pytest

from app.views.assets import PLOTLY_JS

STATIC = Path(__file__).resolve().parents[2] / "app" / "static"
IMMUTABLE = "public, max-age=31536000, immutable"


def linked(page, pattern):
    found = re.search(pattern, page)
    assert found, f"no {pattern} on the page"
    return found.group(0).split('"')[1]


@pytest.fixture
def dashboard(login):
    client = login("staff@northwind.test")
    return client, client.get("/analytics/label").get_data(as_text=True)


def test_every_asset_of_a_dashboard_is_linked_by_content_hash(dashboard):
    _, page = dashboard
    assets = re.findall(r'(?:src|href)="(/(?:static|analytics)/[^"]+\.(?:js|css))"', page)
    assert len(assets) > 10
    assert all(re.search(r"\.[0-9a-f]{16}\.(?:min\.)?(?:js|css)$", url) for url in assets), assets
    assert re.search(r'<script defer src="/analytics/plotly\.[0-9a-f]{16}\.min\.js">', page)


@pytest.mark.parametrize("encoding, decode", [("br", brotli.decompress),
                                              ("gzip", gzip.decompress)])
def test_plotly_comes_compressed_and_kept_for_a_year(dashboard, encoding, decode):
    client, page = dashboard
    url = linked(page, r'src="/analytics/plotly\.[0-9a-f]{16}\.min\.js"')
    answer = client.get(url, headers={"Accept-Encoding": f"{encoding}, deflate"})
    assert answer.status_code == 200
    assert answer.headers["Content-Encoding"] == encoding
    assert answer.headers["Cache-Control"] == IMMUTABLE
    assert "Accept-Encoding" in answer.headers["Vary"]
    assert int(answer.headers["Content-Length"]) < PLOTLY_JS.stat().st_size / 3
    assert decode(answer.get_data()) == PLOTLY_JS.read_bytes()


def test_own_and_fab_static_files_come_compressed_under_hashed_names(dashboard):
    client, page = dashboard
    for pattern, name in [(r'src="/static/analytics\.[0-9a-f]{16}\.js"', STATIC / "analytics.js"),
                          (r'href="/static/appbuilder/css/bootstrap\.min\.[0-9a-f]{16}\.css"',
                           None)]:
        answer = client.get(linked(page, pattern), headers={"Accept-Encoding": "br"})
        assert answer.headers["Cache-Control"] == IMMUTABLE
        assert answer.headers["Content-Encoding"] == "br"
        if name:
            assert brotli.decompress(answer.get_data()) == name.read_bytes()


def test_the_world_map_outlines_have_a_hashed_name_too(dashboard):
    client, page = dashboard
    answer = client.get(linked(page, r'data-world="/static/topojson/world_110m\.[0-9a-f]{16}'
                                     r'\.json"'))
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == IMMUTABLE
    assert answer.get_data() == (STATIC / "topojson" / "world_110m.json").read_bytes()


@pytest.mark.parametrize("url", ["/static/analytics.js", "/analytics/plotly.min.js",
                                 "/static/analytics.0123456789abcdef.js",
                                 "/analytics/plotly.0123456789abcdef.min.js",
                                 "/static/appbuilder/css/webfonts/fa-solid-900.woff2"])
def test_plain_and_outdated_names_answer_but_are_revalidated(client, url):
    """A page rendered before a deploy still gets its files; none is kept as if forever."""
    answer = client.get(url)
    assert answer.status_code == 200 and "immutable" not in answer.headers["Cache-Control"]
    again = client.get(url, headers={"If-None-Match": answer.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("url", ["/static/../config.py", "/static/nothing.0123456789abcdef.js",
                                 "/static/topojson", "/static/topojson/",
                                 "/static/appbuilder/../../__init__.py",
                                 "/analytics/plotly..min.js", "/static/%2e%2e/config.py"])
def test_names_that_are_no_file_are_a_404(client, url):
    assert client.get(url).status_code == 404


def test_pages_come_compressed_to_browsers_that_ask(login):
    client = login("staff@northwind.test")
    answer = client.get("/analytics/label", headers={"Accept-Encoding": "gzip"})
    assert answer.headers["Content-Encoding"] == "gzip"
    assert b"Roster" in gzip.decompress(answer.get_data())
    assert "Content-Encoding" not in client.get("/analytics/label").headers


def test_compressing_ahead_writes_each_large_asset_once(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["assets", "compress"])
    assert first.exit_code == 0, first.output
    again = runner.invoke(args=["assets", "compress"])
    assert again.output.strip() == "Compressed 0 new file(s)."
