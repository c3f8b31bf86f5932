from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from practice.uploads import MAX_UPLOAD_BYTES, check_upload

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


@pytest.mark.parametrize(
    ("content", "kind"), [(PDF, "application/pdf"), (PNG, "image/png"), (JPEG, "image/jpeg")]
)
def test_accepts_pdf_png_and_jpeg_by_content(content: bytes, kind: str) -> None:
    checked = check_upload(SimpleUploadedFile("form.bin", content, content_type="text/plain"))
    assert checked.content_type == kind and checked.content == content


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("consent.pdf", b"MZ\x90\x00 an executable renamed"),
        ("consent.pdf", b"<html><script>alert(1)</script>"),
        ("consent.png", b"GIF89a"),
        ("empty.pdf", b""),
    ],
)
def test_refuses_other_content_whatever_the_name(name: str, content: bytes) -> None:
    with pytest.raises(ValidationError):
        check_upload(SimpleUploadedFile(name, content, content_type="application/pdf"))


def test_refuses_more_than_ten_megabytes() -> None:
    big = PDF + b"0" * MAX_UPLOAD_BYTES
    with pytest.raises(ValidationError, match="10 MB"):
        check_upload(SimpleUploadedFile("big.pdf", big, content_type="application/pdf"))


def test_keeps_only_a_plain_file_name() -> None:
    checked = check_upload(SimpleUploadedFile("../../etc/passwd\x00.pdf", PDF))
    assert "/" not in checked.filename and "\x00" not in checked.filename
