"""Write a development settings file (.env) with freshly generated keys, if there is none.

The file is git-ignored and readable only by its owner (mode 0600). It holds development
keys only: a production deployment supplies its own keys (see README "Keys").
"""

from __future__ import annotations

import base64
import os
import secrets
import sys
from pathlib import Path


def key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def main() -> int:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else ".env")
    if path.exists():
        return 0
    content = "\n".join(
        [
            "# Development settings written by `make run` / `make test`. Never use in production.",
            "DJANGO_DEBUG=1",
            f"DJANGO_SECRET_KEY={secrets.token_urlsafe(64)}",
            f"AUDIT_HMAC_KEY={key()}",
            f"IDENTITY_MASTER_KEYS=dev1:{key()}",
            f"CLINICAL_MASTER_KEYS=dev1:{key()}",
            f"BLIND_INDEX_KEY={key()}",
            "",
        ]
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(content)
    print(f"Wrote {path} with new development keys (mode 0600).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
