"""Tests for disclosures/pdf.py: the disclosure-pack PDF renderer.

Covers DESIGN.md §5 (cover sheet, footer on every page, fetcher limited to packaged assets) and
security.md T36 (no fetch outside the allowlist, no embedded files, no local-file bytes in the
output). No database is needed.

PDF inspection uses poppler-utils (Debian package; `apt-get install poppler-utils`):
pdftotext, pdfinfo, pdffonts, pdfdetach. These tests fail, rather than skip, when it is missing:
a silently skipped security test is worse than a red one.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import zlib
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib import request
from zoneinfo import ZoneInfo

import pytest
from django.utils.safestring import mark_safe
from weasyprint import HTML
from weasyprint.urls import FatalURLFetchingError, URLFetcher
from weasyprint.urls import fetch as weasy_fetch

from disclosures import pdf as pdfmod
from disclosures.pdf import (
    ASSET_DIR,
    ASSET_URLS,
    Pack,
    PackAssetFetcher,
    PackItem,
    PdfRenderError,
    URLRefused,
    build_pack_html,
    render_pack,
)

REFERENCE = "D-7KQ3XW"
RECIPIENT = "Bristol Family Court"
CLIENT_REFERENCE = "C-7KQ3"

# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _poppler(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} not found: install poppler-utils (apt-get install poppler-utils)")
    return path


def _run(tool: str, pdf: bytes, tmp_path: Path, *args: str) -> str:
    target = tmp_path / f"pack-{abs(hash(pdf))}.pdf"
    target.write_bytes(pdf)
    result = subprocess.run(
        [_poppler(tool), *args, str(target), *(["-"] if tool == "pdftotext" else [])],
        capture_output=True,
        check=True,
    )
    return result.stdout.decode("utf-8")


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    return _run("pdftotext", pdf, tmp_path, "-enc", "UTF-8")


def pdf_pages_text(pdf: bytes, tmp_path: Path) -> list[str]:
    """Text per page (pdftotext ends every page with a form feed)."""
    return pdf_text(pdf, tmp_path).split("\f")[:-1]


def pdf_info(pdf: bytes, tmp_path: Path) -> dict[str, str]:
    info: dict[str, str] = {}
    for line in _run("pdfinfo", pdf, tmp_path, "-enc", "UTF-8").splitlines():
        key, _, value = line.partition(":")
        info[key.strip()] = value.strip()
    return info


def inflated(pdf: bytes) -> bytes:
    """The PDF with every Flate stream decompressed and appended.

    WeasyPrint/pydyf put most dictionaries in compressed object streams, so a plain byte search
    of the file would miss an /EmbeddedFile dictionary. This looks inside every stream.
    """
    chunks = [pdf]
    for match in re.finditer(rb"stream\r?\n", pdf):
        start = match.end()
        try:
            chunks.append(zlib.decompressobj().decompress(pdf[start:]))
        except zlib.error:
            continue  # not a Flate stream (or not a stream start at all)
    return b"\n".join(chunks)


def make_pack(**overrides: object) -> Pack:
    fields: dict[str, object] = {
        "reference": REFERENCE,
        "title": "Disclosure of counselling records",
        "recipient": RECIPIENT,
        "purpose": "Response to a court order dated 1 March 2026",
        "basis": "Court order (legal obligation)",
        "client_reference": CLIENT_REFERENCE,
        "approvers": [
            ("Supervisor sign-off", "Alex Supervisor", "3 March 2026"),
            ("Service manager approval", "Pat Manager", "4 March 2026"),
        ],
        "items": [
            PackItem(
                heading="Session note, 3 March 2026 (factual)",
                meta=[("Recorded by", "Sam Counsellor"), ("Session", "Individual, 50 minutes")],
                text="Client described a calmer week.\nSleep improving.",
            )
        ],
        "generated_at": datetime(2026, 3, 5, 14, 5, tzinfo=ZoneInfo("Europe/London")),
    }
    fields.update(overrides)
    return Pack(**fields)  # type: ignore[arg-type]


# About 20 hostile payloads (security.md T36): each one would make WeasyPrint fetch something
# or embed a file if it reached the HTML as markup.
HOSTILE = [
    "<img src=file:///etc/passwd>",
    '<img src="http://127.0.0.1:9/pixel.png">',
    '<link rel="attachment" href="file:///etc/passwd">',
    "<link rel=attachment href=file:///etc/hostname title=x>",
    '<link rel="stylesheet" href="http://169.254.169.254/latest/meta-data/">',
    "<style>@import url(file:///etc/passwd);</style>",
    '<style>body { background: url("http://127.0.0.1:9/bg") }</style>',
    "<div style=\"background-image:url('https://canary.invalid/x')\">x</div>",
    "<object data=file:///etc/passwd></object>",
    '<iframe src="https://canary.invalid/frame"></iframe>',
    '<svg><image href="file:///etc/passwd"/></svg>',
    "<embed src=ftp://127.0.0.1/x>",
    "<script>document.write('<img src=http://127.0.0.1:9/s>')</script>",
    '<a rel="attachment" href="file:///etc/passwd">open</a>',
    "<base href=file:///etc/><img src=passwd>",
    "<img src=data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=>",
    '<meta name="keywords" content="Injected keyword">',
    "<title>Injected title</title>",
    "]]><!-- --></textarea></style></script><img src=x>",
    "&lt;already escaped&gt; &amp; <b>bold?</b>",
]


class FetchRecorder:
    """Records every URL any fetcher, urllib opener or socket is asked for."""

    def __init__(self) -> None:
        self.fetched: list[str] = []
        self.urllib_opened: list[str] = []
        self.connects: list[object] = []


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Iterator[FetchRecorder]:
    rec = FetchRecorder()
    real_fetch = PackAssetFetcher.fetch

    def recording_fetch(self: PackAssetFetcher, url: str, headers: object = None) -> object:
        rec.fetched.append(url)
        return real_fetch(self, url)

    def refuse_open(self: object, url: object, *args: object, **kwargs: object) -> object:
        rec.urllib_opened.append(getattr(url, "full_url", url))  # type: ignore[arg-type]
        raise OSError("urllib disabled in this test")

    def refuse_connect(self: object, address: object) -> None:
        rec.connects.append(address)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(PackAssetFetcher, "fetch", recording_fetch)
    # Any default WeasyPrint fetcher anywhere ends in OpenerDirector.open (file, http, data…).
    monkeypatch.setattr(request.OpenerDirector, "open", refuse_open)
    monkeypatch.setattr(socket.socket, "connect", refuse_connect)
    yield rec


# --------------------------------------------------------------------------------------------
# Output and content
# --------------------------------------------------------------------------------------------


def test_output_is_a_pdf_with_embedded_packaged_font(tmp_path: Path) -> None:
    pdf = render_pack(make_pack())
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    fonts = _run("pdffonts", pdf, tmp_path).splitlines()[2:]
    assert fonts, "no fonts in the PDF"
    for line in fonts:
        # Our @font-face family ("Pack Sans") is served from pdf_assets; every font embedded.
        assert "Pack-Sans" in line, line
        assert re.search(r"\syes\s+yes\s+yes\s", line), f"font not embedded/subset: {line}"


def test_non_ascii_text_needs_no_fallback_font(tmp_path: Path) -> None:
    text = "Zoë Łukasz Ørsted — “quotes” ‘single’ € £ ½ Ω Ж ğ ñ ß ﬁ …"
    pdf = render_pack(make_pack(items=[PackItem("Heading", [], text)]))
    assert text.replace("ﬁ", "fi") in pdf_text(pdf, tmp_path).replace("ﬁ", "fi")
    for line in _run("pdffonts", pdf, tmp_path).splitlines()[2:]:
        assert "Pack-Sans" in line, f"a system fallback font was needed: {line}"


def test_cover_sheet_lists_the_disclosure_facts(tmp_path: Path) -> None:
    pack = make_pack(
        approvers=[
            ("Consent", "Not required: court order", "2 March 2026"),
            ("Supervisor sign-off", "Alex Supervisor", "3 March 2026"),
            ("Service manager approval", "Pat Manager", "4 March 2026"),
        ]
    )
    cover = pdf_pages_text(render_pack(pack), tmp_path)[0]
    for expected in [
        "Disclosure of counselling records",
        "Confidential",
        REFERENCE,
        CLIENT_REFERENCE,
        RECIPIENT,
        "Response to a court order dated 1 March 2026",
        "Court order (legal obligation)",
        "Consent",
        "Not required: court order",
        "Alex Supervisor",
        "Pat Manager",
        "4 March 2026",
        "5 March 2026, 14:05 GMT",
    ]:
        assert expected in cover, expected
    # The cover is a page of its own: no record text on it.
    assert "calmer week" not in cover


def test_sections_come_in_order_report_items_extra(tmp_path: Path) -> None:
    pack = make_pack(
        report_text="REPORT-MARKER summary written by the counsellor.",
        items=[
            PackItem("First entry", [], "ITEM-ONE-MARKER"),
            PackItem("Second entry", [("Type", "Letter")], "ITEM-TWO-MARKER"),
        ],
        extra_sections=[("Supplementary information", "EXTRA-MARKER your rights")],
    )
    text = pdf_text(render_pack(pack), tmp_path)
    positions = [
        text.index(marker)
        for marker in (
            REFERENCE,
            "REPORT-MARKER",
            "ITEM-ONE-MARKER",
            "ITEM-TWO-MARKER",
            "Supplementary information",
            "EXTRA-MARKER",
        )
    ]
    assert positions == sorted(positions)
    assert "Letter" in text and "Second entry" in text


def test_item_text_keeps_line_breaks_and_label_is_visible(tmp_path: Path) -> None:
    item = PackItem(
        heading="Session note, 10 March 2026",
        meta=[("Recorded by", "Sam Counsellor")],
        text="First line of the note\nSecond line of the note\n\nFourth line after a gap",
        label="Third-party information",
    )
    text = pdf_text(render_pack(make_pack(items=[item])), tmp_path)
    lines = [line.strip() for line in text.splitlines()]
    assert "First line of the note" in lines
    assert "Second line of the note" in lines
    assert "Fourth line after a gap" in lines
    assert "Third-party information" in lines
    assert "First line of the note Second line" not in text


def test_control_characters_and_surrogates_are_dropped(tmp_path: Path) -> None:
    item = PackItem("Heading", [], "alpha\x00beta\x1b[31mgamma\x0cdelta\ud800epsilon\r\nzeta")
    text = pdf_text(render_pack(make_pack(items=[item])), tmp_path)
    assert "alphabeta[31mgammadeltaepsilon" in text
    assert "zeta" in text


def test_empty_pack_says_so_and_needs_a_reference(tmp_path: Path) -> None:
    text = pdf_text(render_pack(make_pack(items=[], approvers=[])), tmp_path)
    assert "No records are included in this disclosure." in text
    assert "No approvals recorded." in text
    with pytest.raises(ValueError):
        render_pack(make_pack(reference="  "))


def test_report_only_pack(tmp_path: Path) -> None:
    text = pdf_text(render_pack(make_pack(items=[], report_text="A written report.")), tmp_path)
    assert "A written report." in text
    assert "No records are included" not in text


# --------------------------------------------------------------------------------------------
# Footer on every page
# --------------------------------------------------------------------------------------------


def test_footer_on_every_page_of_a_multi_page_pack(tmp_path: Path) -> None:
    recipient = 'Smith & Jones <Solicitors> "LLP"'
    body = "\n".join(f"Line {n} of a long note about the week." for n in range(60))
    items = [PackItem(f"Session note {i}", [("Session", str(i))], body) for i in range(6)]
    pages = pdf_pages_text(render_pack(make_pack(recipient=recipient, items=items)), tmp_path)
    assert len(pages) >= 5
    for number, page in enumerate(pages, start=1):
        flat = " ".join(page.split())
        assert f"Disclosure {REFERENCE}" in flat, number
        assert f"Recipient: {recipient}" in flat, number
        assert "Confidential" in flat, number
        assert f"Page {number} of {len(pages)}" in flat, number


def test_long_recipient_is_shortened_in_the_footer_only(tmp_path: Path) -> None:
    recipient = "Messrs Longname & Partners LLP, " * 12 + "ENDOFRECIPIENT"
    items = [PackItem(f"Note {i}", [], "\n".join(["A line of text."] * 60)) for i in range(3)]
    pages = pdf_pages_text(render_pack(make_pack(recipient=recipient, items=items)), tmp_path)
    assert len(pages) >= 3
    assert "ENDOFRECIPIENT" in pages[0]  # the cover sheet prints it in full
    for number, page in enumerate(pages, start=1):
        flat = " ".join(page.split())
        assert "Recipient: Messrs Longname & Partners LLP," in flat
        assert "\u2026" in flat
        assert f"Page {number} of {len(pages)}" in flat
    assert all("ENDOFRECIPIENT" not in page for page in pages[1:])


# --------------------------------------------------------------------------------------------
# Metadata
# --------------------------------------------------------------------------------------------


def test_metadata_carries_reference_and_confidential_only(tmp_path: Path) -> None:
    pack = make_pack(
        title="Disclosure for Jane Client-Name",
        items=[PackItem("Heading SECRET-HEADING", [("k", "SECRET-META")], "SECRET-ITEM-TEXT")],
        report_text="SECRET-REPORT",
    )
    pdf = render_pack(pack)
    info = pdf_info(pdf, tmp_path)
    assert REFERENCE in info["Title"]
    assert "Confidential" in info["Title"]
    assert "Confidential" in info["Subject"] and REFERENCE in info["Subject"]
    assert info["Keywords"] == f"{REFERENCE}, Confidential"
    assert info.get("Metadata Stream") == "no"  # no XMP packet
    assert "Author" not in info and "Creator" not in info
    assert "WeasyPrint" not in info.get("Producer", "")
    metadata = " ".join(
        info.get(key, "") for key in ("Title", "Subject", "Keywords", "Author", "Creator")
    )
    for secret in [RECIPIENT, CLIENT_REFERENCE, "Jane", "SECRET"]:
        assert secret not in metadata, secret
    # No software name or version anywhere in the file, compressed or not.
    assert b"WeasyPrint" not in inflated(pdf)
    assert b"/ID" not in inflated(pdf)


def test_hostile_text_cannot_inject_metadata(tmp_path: Path) -> None:
    pack = make_pack(items=[PackItem("h", [], text) for text in HOSTILE])
    info = pdf_info(render_pack(pack), tmp_path)
    assert "Injected" not in " ".join(info.values())


# --------------------------------------------------------------------------------------------
# Hostile content (T36)
# --------------------------------------------------------------------------------------------


def hostile_pack(canary_file: Path) -> Pack:
    canary = f"file://{canary_file}"
    payloads = [*HOSTILE, f"<img src={canary}>", f'<link rel="attachment" href="{canary}">']
    joined = "\n".join(payloads)
    return make_pack(
        title=payloads[0],
        recipient=payloads[2],
        purpose=payloads[5],
        basis=payloads[4],
        client_reference=payloads[1],
        approvers=[(p, p, p) for p in payloads[:3]],
        items=[PackItem(heading=p, meta=[(p, p)], text=joined, label=p) for p in payloads[:6]],
        report_text=joined,
        extra_sections=[(payloads[6], joined)],
    )


class TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attrs: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attrs.update(name for name, _ in attrs)


def test_html_contains_only_our_own_markup(tmp_path: Path) -> None:
    html = build_pack_html(hostile_pack(tmp_path / "canary.txt"))
    parser = TagCollector()
    parser.feed(html)
    assert parser.tags <= {
        "html", "head", "meta", "title", "body", "section", "p", "h1", "h2", "h3",
        "table", "thead", "tbody", "tr", "th", "td", "article", "div",
    }  # fmt: skip
    assert parser.attrs <= {"lang", "charset", "name", "content", "class", "colspan", "data-footer"}
    assert "&lt;img src=file:///etc/passwd&gt;" in html
    assert "<img" not in html and "<link" not in html and "<style" not in html


def test_caller_marked_safe_strings_are_still_escaped() -> None:
    """A SafeString from elsewhere in Django must not become markup in the PDF."""
    payload = mark_safe("<img src=file:///etc/passwd>")
    html = build_pack_html(make_pack(recipient=payload, items=[PackItem(payload, [], payload)]))
    assert "<img" not in html
    assert html.count("&lt;img src=file:///etc/passwd&gt;") >= 4  # footer, cover, heading, text


def test_hostile_content_is_literal_text_and_fetches_nothing(
    recorder: FetchRecorder, tmp_path: Path
) -> None:
    canary_file = tmp_path / "canary.txt"
    canary_file.write_text("CANARY-7f3a9b local file contents\n")
    pdf = render_pack(hostile_pack(canary_file))

    # Only our packaged assets were fetched (and they were: the CSS and both fonts).
    assert set(recorder.fetched) == ASSET_URLS
    assert recorder.urllib_opened == []
    assert recorder.connects == []

    # The payloads are printed as literal text.
    text = " ".join(pdf_text(pdf, tmp_path).split())
    for payload in [
        "<img src=file:///etc/passwd>",
        '<link rel="attachment" href="file:///etc/passwd">',
        "<style>@import url(file:///etc/passwd);</style>",
        "<script>document.write('<img src=http://127.0.0.1:9/s>')</script>",
        '<img src="http://127.0.0.1:9/pixel.png">',
        "<img src=data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=>",
        "&lt;already escaped&gt; &amp; <b>bold?</b>",
        f"<img src=file://{canary_file}>",
    ]:
        assert payload in text, payload

    # Nothing from local files ended up in the PDF, and nothing is embedded.
    everything = inflated(pdf)
    assert b"CANARY-7f3a9b" not in everything
    assert b"root:x:0:0" not in everything
    for marker in (b"/EmbeddedFile", b"/FileAttachment", b"/Filespec"):
        assert marker not in everything
    assert "0 embedded files" in _run("pdfdetach", pdf, tmp_path, "-list")


def test_recorder_sees_a_default_fetcher(recorder: FetchRecorder) -> None:
    """Positive control: the recorder does see a fetch when a renderer makes one."""
    # WeasyPrint's default fetcher goes through urllib, which the recorder intercepts.
    HTML(string='<img src="file:///etc/passwd">').write_pdf()
    assert recorder.urllib_opened == ["file:///etc/passwd"]


def test_attachment_oracle_sees_a_real_attachment(tmp_path: Path) -> None:
    """Positive control: a permissive renderer really embeds a file, and the checks see it."""
    permissive = URLFetcher(allowed_protocols={"data"})
    html = '<link rel="attachment" href="data:text/plain,CANARY-ATTACHED">'
    pdf = HTML(string=html, url_fetcher=permissive).write_pdf()
    assert b"/EmbeddedFile" in inflated(pdf)
    assert "1 embedded files" in _run("pdfdetach", pdf, tmp_path, "-list")


def test_unescaped_url_aborts_the_render_without_echoing_it() -> None:
    """If markup ever slipped through, a refused URL stops the render (fail closed)."""
    with pytest.raises(PdfRenderError) as caught:
        pdfmod._write_pdf('<img src="file:///etc/passwd">', PackAssetFetcher())
    assert "passwd" not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


@pytest.mark.parametrize(
    "html",
    [
        # Even an allowlisted asset must never become an attachment.
        '<link rel="attachment" href="disclosure-asset:pack.css">',
        '<a rel="attachment" href="disclosure-asset:pack.css">file</a>',
    ],
)
def test_finisher_refuses_any_attachment(html: str) -> None:
    with pytest.raises(PdfRenderError, match="embedded file"):
        pdfmod._write_pdf(html, PackAssetFetcher())


# --------------------------------------------------------------------------------------------
# The fetcher itself
# --------------------------------------------------------------------------------------------

REFUSED_URLS = [
    "file:///etc/passwd",
    f"file://{ASSET_DIR / 'pack.css'}",  # the real asset, but not by its private URL
    "http://127.0.0.1:9/x",
    "https://example.org/style.css",
    "ftp://127.0.0.1/x",
    "data:text/css,body{color:red}",
    "data:font/ttf;base64,AAEAAAALAIAAAwAwT1MvMg==",
    "javascript:alert(1)",
    "disclosure-asset:../models.py",
    "disclosure-asset:%2e%2e/models.py",
    "disclosure-asset:pack.css/../../models.py",
    "disclosure-asset:/etc/passwd",
    "disclosure-asset://pack.css",
    "disclosure-asset:LICENSE-DejaVu.txt",  # in the directory, but not allowlisted
    "disclosure-asset:pack.css?x=1",
    "disclosure-asset:pack.css#x",
    "DISCLOSURE-ASSET:pack.css",
    " disclosure-asset:pack.css",
    "pack.css",
    "",
]


@pytest.mark.parametrize("url", REFUSED_URLS)
def test_fetcher_refuses_everything_else(url: str) -> None:
    fetcher = PackAssetFetcher()
    for attempt in (fetcher, fetcher.fetch, fetcher.open):
        with pytest.raises(URLRefused) as caught:
            attempt(url)
        if len(url) > 12:
            assert url not in str(caught.value)  # the URL is not echoed into logs
    if url:
        with pytest.raises(URLRefused):
            fetcher.open(request.Request(url) if "://" in url else url)


@pytest.mark.parametrize("url", sorted(ASSET_URLS))
def test_fetcher_serves_packaged_assets_verbatim(url: str) -> None:
    response = PackAssetFetcher()(url)
    file_name = url.split(":", 1)[1]
    assert response.read() == (ASSET_DIR / file_name).read_bytes()
    assert response.url == url  # served in place: no redirect
    assert response.status == 200
    assert response.content_type == ("text/css" if url.endswith(".css") else "font/ttf")


def test_fetcher_never_follows_redirects_or_uses_urllib() -> None:
    fetcher = PackAssetFetcher()
    assert not any(isinstance(h, request.HTTPRedirectHandler) for h in fetcher.handlers)
    # The inherited urllib-based fetch is locked down too (second line of defence).
    with pytest.raises(ValueError, match="disallowed protocol"):
        URLFetcher.fetch(fetcher, "file:///etc/passwd")
    with pytest.raises(URLRefused):
        fetcher.open(request.Request("http://127.0.0.1:9/redirect-me"))


def test_refusal_is_fatal_inside_weasyprint() -> None:
    with pytest.raises(FatalURLFetchingError), weasy_fetch(PackAssetFetcher(), "file:///etc/hosts"):
        pass


def test_packaged_assets_and_font_licence_are_present() -> None:
    for url in ASSET_URLS:
        assert (ASSET_DIR / url.split(":", 1)[1]).is_file(), url
    licence = (ASSET_DIR / "LICENSE-DejaVu.txt").read_text()
    assert "Bitstream Vera Fonts Copyright" in licence and "Arev Fonts Copyright" in licence


def test_generated_date_without_zone_is_printed_as_given(tmp_path: Path) -> None:
    naive = make_pack(generated_at=datetime(2026, 7, 1, 9, 30))  # noqa: DTZ001
    assert "1 July 2026, 09:30" in pdf_text(render_pack(naive), tmp_path)
    utc = replace(naive, generated_at=datetime(2026, 7, 1, 9, 30, tzinfo=UTC))
    assert "1 July 2026, 09:30 UTC" in pdf_text(render_pack(utc), tmp_path)
