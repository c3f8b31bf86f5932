"""Render a disclosure pack (cover sheet, report, records, further sections) to PDF.

Plain data in, bytes out: the release service builds a :class:`Pack` from the database and
calls :func:`render_pack`. Nothing here touches the database, the request or Django settings.

Security model (DESIGN.md §5; research/dependencies.md §2.4; research/security.md §0.5, T36):

* **Every string in a Pack is untrusted text.** It is escaped with Django's
  ``format_html``/``escape`` before it reaches the HTML, so ``<img>``, ``<link rel=attachment>``,
  ``<style>@import …`` or ``<script>`` in a note come out as literal characters. The HTML that
  WeasyPrint sees contains no ``<link>``, ``<style>``, ``<img>`` or URL of our own either: the
  stylesheet is handed over as a :class:`weasyprint.CSS` object built through the fetcher.
* **WeasyPrint can only load our packaged assets.** :class:`PackAssetFetcher` serves a fixed
  table of ``disclosure-asset:<name>`` URLs from ``disclosures/pdf_assets/`` and refuses every
  other URL (``file:``, ``http(s):``, ``ftp:``, ``data:``, other names, ``../`` …). It never
  touches urllib, so there is no network and no redirect to follow. A refused fetch aborts the
  render (``fail_on_errors=True``) rather than silently leaving a gap, and surfaces as
  :class:`PdfRenderError` without the URL in the message.
* **No attachments.** ``attachments=`` is never passed, and a finisher refuses to write a PDF
  that contains an embedded file or a file-attachment annotation, whatever the cause.
* **Neutral metadata.** Title, subject and keywords carry the disclosure reference and
  "Confidential" only (never the recipient, the client reference or any content); the
  ``/Producer`` entry names no software version; no ``/ID`` is written.

Performance: WeasyPrint lays out the whole document in memory on one core (about 10-12
pages/s; see bench/pdf_bench.py). Render big packs in a background worker with a time and
memory limit, not in a web worker.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib import request

import pydyf
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

__all__ = [
    "ASSET_URLS",
    "Pack",
    "PackAssetFetcher",
    "PackItem",
    "PdfRenderError",
    "URLRefused",
    "build_pack_html",
    "render_pack",
]

# --------------------------------------------------------------------------------------------
# Input data
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PackItem:
    """One released entry (a note, a form, a letter…) as plain text."""

    heading: str  # e.g. "Session note, 3 March 2026 (factual)"
    meta: Sequence[tuple[str, str]]  # small label/value pairs shown under the heading
    text: str  # the entry text: plain text, may contain anything (it is escaped)
    label: str = ""  # e.g. "Third-party information": shown visibly when set


@dataclass(frozen=True)
class Pack:
    """Everything printed in one disclosure pack. All strings are untrusted plain text."""

    reference: str  # disclosure reference, e.g. "D-7KQ3XW"
    title: str  # e.g. "Disclosure of counselling records"
    recipient: str
    purpose: str
    basis: str  # legal basis text, e.g. "Court order (legal obligation)"
    client_reference: str  # the case reference (C-7KQ3); never the client's name
    approvers: Sequence[tuple[str, str, str]]  # (gate, name, date), already formatted
    items: Sequence[PackItem]
    # When the pack was generated. Pass it already in the practice's local time (e.g.
    # django.utils.timezone.localtime()); it is printed as given, with its zone name if aware.
    generated_at: datetime
    report_text: str = ""  # a written report instead of / before records
    extra_sections: Sequence[tuple[str, str]] = ()  # (heading, plain text)


# --------------------------------------------------------------------------------------------
# URL fetcher: our packaged assets and nothing else
# --------------------------------------------------------------------------------------------

ASSET_SCHEME = "disclosure-asset"
ASSET_DIR = Path(__file__).resolve().parent / "pdf_assets"

# The whole allowlist: exact URL -> (file name inside ASSET_DIR, Content-Type). Lookups are
# exact string matches, so there is no path handling to get wrong ("../", "%2e%2e", case…).
_ASSETS: dict[str, tuple[str, str]] = {
    f"{ASSET_SCHEME}:pack.css": ("pack.css", "text/css; charset=utf-8"),
    f"{ASSET_SCHEME}:DejaVuSans.ttf": ("DejaVuSans.ttf", "font/ttf"),
    f"{ASSET_SCHEME}:DejaVuSans-Bold.ttf": ("DejaVuSans-Bold.ttf", "font/ttf"),
}
ASSET_URLS: frozenset[str] = frozenset(_ASSETS)
STYLESHEET_URL = f"{ASSET_SCHEME}:pack.css"


class URLRefused(ValueError):
    """Raised by :class:`PackAssetFetcher` for any URL that is not a packaged asset."""


class PdfRenderError(Exception):
    """The pack could not be rendered safely (e.g. something asked for a refused URL)."""


@functools.cache
def _asset_bytes(file_name: str) -> bytes:
    """Read a packaged asset once per process (fonts are ~0.7 MB each)."""
    return (ASSET_DIR / file_name).read_bytes()


def _describe(url: object) -> str:
    """Say what kind of URL was refused without echoing it (it may carry client text)."""
    if not isinstance(url, str):
        return f"a non-string URL ({type(url).__name__})"
    scheme = url.split(":", 1)[0][:20] if ":" in url else "(none)"
    return f"a URL with scheme {scheme!r} ({len(url)} characters)"


class PackAssetFetcher(URLFetcher):
    """WeasyPrint 70 URL fetcher that serves only :data:`ASSET_URLS`.

    WeasyPrint calls ``fetcher(url)`` (``__call__``), which we route to :meth:`fetch`; ``open``
    (the urllib ``OpenerDirector`` entry point this class inherits) is routed there too, so
    none of urllib's file/http/ftp/data handlers can ever run. The parent is still configured
    with no allowed protocol and no redirects as a second line of defence.
    """

    def __init__(self) -> None:
        super().__init__(
            timeout=1,
            allowed_protocols=frozenset(),  # parent's own check: every scheme refused
            allow_redirects=False,
            fail_on_errors=True,  # a refused URL stops the render (FatalURLFetchingError)
        )

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        """Return the packaged asset for ``url`` or raise :class:`URLRefused`."""
        asset = _ASSETS.get(url) if isinstance(url, str) else None
        if asset is None:
            raise URLRefused(f"PDF renderer refused {_describe(url)}")
        file_name, content_type = asset
        return URLFetcherResponse(
            url, _asset_bytes(file_name), {"Content-Type": content_type}, status=200
        )

    def open(self, url: Any, data: Any = None, timeout: Any = None) -> URLFetcherResponse:
        """Never use urllib: a ``Request`` or string goes through :meth:`fetch` only."""
        full_url = url.full_url if isinstance(url, request.Request) else url
        return self.fetch(full_url)

    def __call__(self, url: str) -> URLFetcherResponse:
        return self.fetch(url)


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------

# C0/C1 control characters other than tab and newline, plus lone surrogates: they are not
# valid in HTML text and have no business in a printed record.
_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

HANDLING_NOTICE = (
    "This document contains confidential information disclosed for the purpose and on the "
    "basis stated above. Please keep it secure, use it only for that purpose and do not "
    "pass it on unless the law requires it."
)


# Longest recipient printed in the page footer; the cover sheet always shows it in full.
FOOTER_RECIPIENT_MAX = 110


def _shorten(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters, ending with an ellipsis if cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def _clean(text: str) -> str:
    """Normalise caller text: unify line endings, drop control characters, NFC."""
    text = str(text).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n")
    text = _CONTROL_RE.sub("", text)
    return unicodedata.normalize("NFC", text)


def _text(text: str) -> SafeString:
    """Escape plain text for HTML (line breaks are kept by the ``.pre`` CSS class)."""
    return escape(_clean(text))


def _block(text: str) -> SafeString:
    """A multi-line text block; ``.pre`` (white-space: pre-wrap) keeps its line breaks."""
    return format_html('<div class="text pre">{}</div>', _text(text))


def _format_datetime(value: datetime) -> str:
    """'3 March 2026, 14:05 GMT' without depending on the process locale."""
    text = f"{value.day} {_MONTHS[value.month - 1]} {value.year}, {value:%H:%M}"
    zone = value.tzname() if value.tzinfo is not None else None
    return f"{text} {zone}" if zone else text


def _w3c_date(value: datetime) -> str:
    """A W3C-DTF timestamp WeasyPrint accepts for the PDF CreationDate."""
    return value.replace(microsecond=0).isoformat()


def _contents_summary(pack: Pack) -> str:
    parts: list[str] = []
    if pack.report_text.strip():
        parts.append("a written report")
    count = len(pack.items)
    if count or not parts:
        parts.append(f"{count} record" + ("" if count == 1 else "s"))
    if pack.extra_sections:
        count = len(pack.extra_sections)
        parts.append(f"{count} further section" + ("" if count == 1 else "s"))
    return ", ".join(parts)


def _cover(pack: Pack) -> SafeString:
    facts = format_html(
        # The running footer (string-set in pack.css) takes the reference from its cell and a
        # shortened recipient from data-footer, so that the footer always fits in the margin.
        '<tr><th>Disclosure reference</th><td class="strong footer-reference">{}</td></tr>'
        "<tr><th>Client reference</th><td>{}</td></tr>"
        '<tr><th>Recipient</th><td class="pre footer-recipient" data-footer="{}">{}</td></tr>'
        '<tr><th>Purpose</th><td class="pre">{}</td></tr>'
        '<tr><th>Legal basis</th><td class="pre">{}</td></tr>'
        "<tr><th>Generated</th><td>{}</td></tr>"
        "<tr><th>Contents</th><td>{}</td></tr>",
        _text(pack.reference),
        _text(pack.client_reference),
        _text(_shorten(" ".join(_clean(pack.recipient).split()), FOOTER_RECIPIENT_MAX)),
        _text(pack.recipient),
        _text(pack.purpose),
        _text(pack.basis),
        _format_datetime(pack.generated_at),
        _contents_summary(pack),
    )
    if pack.approvers:
        rows = format_html_join(
            "",
            '<tr><td class="gate pre">{}</td><td class="pre">{}</td><td class="date">{}</td></tr>',
            ((_text(gate), _text(name), _text(date)) for gate, name, date in pack.approvers),
        )
    else:
        rows = mark_safe('<tr><td class="none" colspan="3">No approvals recorded.</td></tr>')
    return format_html(
        '<section class="cover">'
        '<p class="cover-kicker">Confidential</p>'
        '<h1 class="pre">{}</h1>'
        '<table class="facts">{}</table>'
        "<h2>Approvals</h2>"
        '<table class="approvals"><thead><tr>'
        '<th class="gate">Gate</th><th>Name</th><th class="date">Date</th>'
        "</tr></thead><tbody>{}</tbody></table>"
        '<p class="notice">{}</p>'
        "</section>",
        _text(pack.title),
        facts,
        rows,
        HANDLING_NOTICE,
    )


def _item(item: PackItem) -> SafeString:
    label = format_html('<p class="label">{}</p>', _text(item.label)) if item.label else ""
    meta = ""
    if item.meta:
        meta = format_html(
            '<table class="meta">{}</table>',
            format_html_join(
                "",
                '<tr><th class="pre">{}</th><td class="pre">{}</td></tr>',
                ((_text(key), _text(value)) for key, value in item.meta),
            ),
        )
    return format_html(
        '<article class="item"><h3 class="pre">{}</h3>{}{}{}</article>',
        _text(item.heading),
        label,
        meta,
        _block(item.text),
    )


def build_pack_html(pack: Pack) -> str:
    """The complete, escaped HTML document for ``pack`` (no stylesheet, no URLs)."""
    parts: list[SafeString] = [_cover(pack)]
    if pack.report_text.strip():
        parts.append(
            format_html(
                '<section class="section report"><h2>Report</h2>{}</section>',
                _block(pack.report_text),
            )
        )
    if pack.items:
        parts.append(
            format_html(
                '<section class="section records"><h2>Records</h2>{}</section>',
                format_html_join("", "{}", ((_item(item),) for item in pack.items)),
            )
        )
    elif not pack.report_text.strip():
        parts.append(
            mark_safe(
                '<section class="section records"><h2>Records</h2>'
                '<p class="none">No records are included in this disclosure.</p></section>'
            )
        )
    for heading, text in pack.extra_sections:
        parts.append(
            format_html(
                '<section class="section extra"><h2 class="pre">{}</h2>{}</section>',
                _text(heading),
                _block(text),
            )
        )

    reference = _text(pack.reference)
    # Document metadata: the reference and "Confidential" only. WeasyPrint reads <title>,
    # <meta name=description|keywords|dcterms.created> into /Title, /Subject, /Keywords,
    # /CreationDate. Nothing else is emitted (no author, no generator).
    head = format_html(
        '<meta charset="utf-8">'
        "<title>Disclosure {} (Confidential)</title>"
        '<meta name="description" content="Confidential disclosure pack {}">'
        '<meta name="keywords" content="{}, Confidential">'
        '<meta name="dcterms.created" content="{}">',
        reference,
        reference,
        reference,
        _w3c_date(pack.generated_at),
    )
    return format_html(
        '<!DOCTYPE html><html lang="en-GB"><head>{}</head><body>{}</body></html>',
        head,
        mark_safe("".join(parts)),
    )


# --------------------------------------------------------------------------------------------
# PDF
# --------------------------------------------------------------------------------------------

PRODUCER = "Disclosure pack renderer"


def _finish(document: Any, pdf: pydyf.PDF) -> None:
    """WeasyPrint finisher: neutral producer, and refuse any embedded file or attachment."""
    pdf.info["Producer"] = pydyf.String(PRODUCER)
    names = pdf.catalog.get("Names")
    if isinstance(names, dict) and "EmbeddedFiles" in names:
        raise PdfRenderError("the PDF would contain embedded files")
    for obj in pdf.objects:
        fields: dict[str, Any] | None = None
        if isinstance(obj, pydyf.Stream):
            fields = obj.extra
        elif isinstance(obj, dict):
            fields = obj
        if fields and (
            fields.get("Type") in ("/EmbeddedFile", "/Filespec")
            or fields.get("Subtype") == "/FileAttachment"
        ):
            raise PdfRenderError("the PDF would contain an embedded file or attachment")


def _write_pdf(html: str, fetcher: PackAssetFetcher) -> bytes:
    """Render trusted-structure HTML with our stylesheet through ``fetcher`` only."""
    font_config = FontConfiguration()
    try:
        # The stylesheet is built here, through our fetcher, and handed over as a CSS object
        # (WeasyPrint < 70 fetched stylesheets= URLs with a default fetcher: GHSA-jf6q-chmf-3h3v).
        stylesheet = CSS(url=STYLESHEET_URL, url_fetcher=fetcher, font_config=font_config)
        document = HTML(string=html, base_url=None, url_fetcher=fetcher)
        pdf = document.write_pdf(
            stylesheets=[stylesheet],
            font_config=font_config,
            finisher=_finish,
            pdf_identifier=False,  # no /ID
            # Deliberately never passed: attachments=, xmp_metadata=, pdf_variant=.
        )
    except FatalURLFetchingError:
        # Raised when the fetcher refused something. Drop the chain: WeasyPrint's message
        # contains the URL, which could carry client text.
        raise PdfRenderError("a resource outside the packaged assets was requested") from None
    if not isinstance(pdf, bytes) or not pdf.startswith(b"%PDF-"):
        raise PdfRenderError("WeasyPrint did not return a PDF")
    return pdf


def render_pack(pack: Pack) -> bytes:
    """Render ``pack`` to PDF bytes.

    Raises :class:`PdfRenderError` if the render would need anything beyond the packaged
    assets or would produce an attachment, and ``ValueError`` if the pack has no reference.
    Runs in the calling process; CPU- and memory-heavy for big packs (see module docstring).
    """
    if not _clean(pack.reference).strip():
        raise ValueError("a disclosure pack needs a reference")
    return _write_pdf(build_pack_html(pack), PackAssetFetcher())
