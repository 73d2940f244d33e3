"""Message templates: merge fields through Jinja's sandbox, HTML of plain text, SMS sizes."""
import pytest

from app.messaging.templates import TemplateProblem, check, render, sms_size, text_to_html


def test_fields_fill_in_and_conditions_read():
    text = "Hi{% if fan_first_name %} {fan_first_name}{% endif %}! {release_title} is out."
    assert render(check(text), {"fan_first_name": "Ada", "release_title": "Tonight"}) == \
        "Hi Ada! Tonight is out."
    assert render(text, {"fan_first_name": "", "release_title": "Tonight"}) == \
        "Hi! Tonight is out."


@pytest.mark.parametrize("text, said", [
    ("Hi {name}", "Unknown merge field: {name}"),
    ("{a} {b}", "Unknown merge fields: {a}, {b}"),
    ("Hi {", "cannot be read near line 1"),
    ("{release_title.__class__.__mro__}", "cannot be filled in"),
    ("{% for x in range(10**9) %}{% endfor %}", "Unknown merge field: {range}"),
    ("{fan_first_name.format.__globals__}", "cannot be filled in"),
])
def test_templates_that_reach_past_the_fields_are_refused(text, said):
    with pytest.raises(TemplateProblem) as refused:
        check(text)
    assert said in str(refused.value)


def test_html_escapes_everything_and_links_addresses():
    html = text_to_html("Hi <b>Ada</b> & co,\n\nListen: https://example.com/a?x=1&y=2.\nBye")
    assert html == ('<p>Hi &lt;b&gt;Ada&lt;/b&gt; &amp; co,</p>\n'
                    '<p>Listen: <a href="https://example.com/a?x=1&amp;y=2">'
                    'https://example.com/a?x=1&amp;y=2</a>.<br>\nBye</p>')


@pytest.mark.parametrize("text, encoding, units, segments", [
    ("a" * 160, "GSM-7", 160, 1),
    ("a" * 161, "GSM-7", 161, 2),
    ("a" * 306, "GSM-7", 306, 2),
    ("a" * 307, "GSM-7", 307, 3),
    ("€" * 80, "GSM-7", 160, 1),  # the euro sign takes two septets
    ("“quoted”", "UCS-2", 8, 1),  # curly quotes are not in GSM 03.38
    ("é" * 70, "GSM-7", 70, 1),
    ("ğ" * 70, "UCS-2", 70, 1),
    ("ğ" * 71, "UCS-2", 71, 2),
    ("🎵" * 35, "UCS-2", 70, 1),  # an emoji is two UTF-16 units
])
def test_sms_size(text, encoding, units, segments):
    size = sms_size(text)
    assert (size.encoding, size.units, size.segments) == (encoding, units, segments)
