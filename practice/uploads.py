"""Checks for uploaded documents (signed consent forms, court orders, release forms).

Only PDF, PNG and JPEG, recognised by their content (the first bytes), never by the file
name or the browser's claimed type; at most 10 MB. Anything else is refused before a byte of
it is stored.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

MAX_UPLOAD_BYTES = 10 * 1024 * 1024

_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


@dataclass(frozen=True)
class CheckedUpload:
    content: bytes
    content_type: str
    filename: str


def sniff(head: bytes) -> str | None:
    for signature, content_type in _SIGNATURES:
        if head.startswith(signature):
            return content_type
    return None


def check_upload(upload: UploadedFile) -> CheckedUpload:
    """Read and check an upload; raise ValidationError with a message for the form."""
    if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError(_("The file is larger than 10 MB."), code="too_large")
    content = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(content) > MAX_UPLOAD_BYTES:
        raise ValidationError(_("The file is larger than 10 MB."), code="too_large")
    if not content:
        raise ValidationError(_("The file is empty."), code="empty")
    content_type = sniff(content[:16])
    if content_type is None:
        raise ValidationError(_("The file must be a PDF, PNG or JPEG document."), code="wrong_type")
    # Keep only a plain base name: a path or control characters in a name are never stored.
    name = (upload.name or "document").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable())[:120] or "document"
    return CheckedUpload(content=content, content_type=content_type, filename=name)
