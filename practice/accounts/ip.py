"""Which address a request came from, for lockouts and the audit trail.

Without a trusted proxy, only REMOTE_ADDR counts: an X-Forwarded-For header from the
client is ignored, so rotating it cannot reset a lockout. Behind N trusted proxies
(TRUSTED_PROXY_COUNT), the address is the one the outermost trusted proxy saw.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    remote = request.META.get("REMOTE_ADDR")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            remote = forwarded[-proxies]
    return _valid(remote)


def _valid(address: str | None) -> str | None:
    if not address:
        return None
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None
