"""Background release of large disclosure packs (django-tasks; run by `manage.py db_worker`).

PDF rendering holds the whole document in memory (about 0.8 MB a page) and renders about 11
pages a second, so a large pack must not tie up a web worker. The task gets ids only (task
arguments are stored in plain text), runs the same release service, under a time limit;
the worker's memory limit comes from how it is started (see README, "Background worker").
Any failure rolls the release back: nothing released, the request unchanged.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django_tasks import task

from disclosures.models import DisclosureRequest
from practice.accounts.models import User
from practice.crypto.cache import key_cache


class RenderTimeout(Exception):
    pass


@contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Stop a runaway render. Signals only work in the main thread (the worker's); elsewhere
    (tests with the immediate backend) the limit is skipped."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        raise RenderTimeout(f"Rendering took longer than {seconds} seconds.")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@task()
def release_in_background(request_id: str, by_id: int) -> str:
    """Returns the SHA-256 of the released PDF (not confidential)."""
    from disclosures import services

    req = DisclosureRequest.objects.get(pk=request_id)
    by = User.objects.get(pk=by_id)
    with key_cache(), time_limit(settings.RENDER_TIME_LIMIT_SECONDS):
        released = services.release(req, by=by)
    return released.register.sha256
