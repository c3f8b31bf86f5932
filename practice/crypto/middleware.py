"""A fresh data-key cache for every request (see practice.crypto.cache)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

from practice.crypto.cache import key_cache


class KeyCacheMiddleware:
    """Open a key-cache scope around the request and drop it afterwards.

    Place it early in MIDDLEWARE (right after SecurityMiddleware): the scope then also covers
    other middleware, and it closes outside any ATOMIC_REQUESTS transaction, so failed-decryption
    audit events that the view's rollback removed are written again (durably) at the end.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        with key_cache(fresh=True) as cache:
            cache.request = request
            return self.get_response(request)
