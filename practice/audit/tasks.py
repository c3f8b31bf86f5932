"""Checking the audit chain in the background (django-tasks; run by `manage.py db_worker`).

A manager asks for a check from the review page; on a trail of millions of events it takes
longer than a web request should. The task takes no arguments and returns whether the chain
verified (nothing confidential either way).
"""

from __future__ import annotations

from django_tasks import task


@task()
def verify_in_background() -> bool:
    from practice.audit.services import run_verification

    return run_verification() is None
