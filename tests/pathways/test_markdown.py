"""The pathway texts' Markdown subset: structure comes through, markup from the text never does."""

from __future__ import annotations

from minga.pathways.templatetags.pathways import markdown


def test_paragraphs_lists_headings_and_emphasis() -> None:
    html = markdown("## Circles\nWe meet\nmonthly.\n\n- **One**\n- *two*\n\n1. first\n2. second")
    assert html == (
        "<h4>Circles</h4>\n<p>We meet monthly.</p>\n"
        "<ul><li><strong>One</strong></li><li><em>two</em></li></ul>\n"
        "<ol><li>first</li><li>second</li></ol>"
    )


def test_markup_in_the_text_is_escaped() -> None:
    html = markdown('<script>alert(1)</script> **<b onclick="x">bold</b>**')
    assert "<script>" not in html and "<b " not in html
    assert "&lt;script&gt;" in html and "<strong>&lt;b" in html


def test_empty_text() -> None:
    assert markdown("") == "" and markdown(None) == ""
