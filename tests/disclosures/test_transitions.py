"""Every state × action × role against models.TRANSITIONS; concurrent steps on PostgreSQL;
and a release that fails at any step releases nothing.

The role rules are written out here, independently of the services' own predicates, so that
a change to either shows up as a failure:

- the consent step: the client's counsellor (who raised it);
- supervisor sign-off: the counsellor's own supervisor, only in categories with that gate;
- approval: a service manager who neither raised nor signed it off, after the sign-off (or
  straight after the consent step in categories with no supervisor gate);
- release: who raised it, or the manager who approved it;
- emergency release: the client's counsellor, only in categories with the emergency route;
- refusal: anyone taking part (the counsellor, their supervisor, managers).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from disclosures import services, subject_access
from disclosures.categories import category
from disclosures.models import (
    TRANSITIONS,
    Action,
    DisclosureRequest,
    GateDecision,
    RegisterEntry,
    ReleasedDocument,
    Status,
)
from practice.accounts.models import Role, User
from practice.audit.models import AuditEvent
from tests.conftest import make_user
from tests.disclosures.conftest import approved_court_order, upload

FAKE_PDF = b"%PDF-1.7 test"

# How each category is driven through its gates.
SETUPS: dict[str, dict[str, Any]] = {
    "court_order": {
        "requester_kind": "court",
        "documents": lambda: [("court_order", upload())],
        "consent": {"outcome": "not_required", "reason": "Court order served"},
    },
    "serious_harm": {
        "requester_kind": "practice",
        "documents": lambda: [],
        "consent": {"outcome": "raises_risk", "reason": "Asking would raise the risk"},
    },
    "subject_access": {
        "requester_kind": "client",
        "documents": lambda: [],
        "consent": {"outcome": "not_applicable"},
    },
}

PERSONAS = [
    "counsellor",  # raised the request; the client's counsellor
    "supervisor",  # the counsellor's own supervisor
    "other_supervisor",  # supervises someone else
    "manager",  # approves it when it gets that far
    "other_manager",  # a manager who took no part
    "administrator",
    "colleague",
    "client_user",
    "outsider",
]


def role_allows(action: str, persona: str, code: str, state: str) -> bool:
    cat = category(code)
    if action == Action.CLEAR_CONSENT:
        return persona == "counsellor"
    if action == Action.SIGN_OFF:
        return persona == "supervisor" and cat.needs_supervisor
    if action == Action.APPROVE:
        after_gates = state == Status.SIGNED_OFF or not cat.needs_supervisor
        return persona in {"manager", "other_manager"} and after_gates
    if action == Action.RELEASE:
        return persona in {"counsellor", "manager"}
    if action == Action.EMERGENCY_RELEASE:
        return persona == "counsellor" and cat.emergency_route
    if action == Action.REFUSE:
        return persona in {"counsellor", "supervisor", "manager", "other_manager"}
    raise AssertionError(action)


@pytest.fixture
def people(
    counsellor: User,
    supervisor: User,
    manager: User,
    administrator: User,
    colleague: User,
    client_user: User,
    outsider: User,
) -> dict[str, User]:
    return {
        "counsellor": counsellor,
        "supervisor": supervisor,
        "other_supervisor": make_user("sam", Role.SUPERVISOR),
        "manager": manager,
        "other_manager": make_user("mia", Role.MANAGER),
        "administrator": administrator,
        "colleague": colleague,
        "client_user": client_user,
        "outsider": outsider,
    }


@pytest.fixture
def fake_renderer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("disclosures.pdf.render_pack", lambda pack: FAKE_PDF)


def build(
    state: str, code: str, people: dict[str, User], client: Any, entries: list[Any]
) -> DisclosureRequest:
    """A request of category ``code`` driven through the services to ``state``."""
    setup = SETUPS[code]
    counsellor = people["counsellor"]
    req = services.raise_request(
        by=counsellor,
        client=client,
        category_code=code,
        requester_kind=setup["requester_kind"],
        requester="Who asked",
        recipient="Who receives",
        purpose="Why",
        asked_for="What",
        received_on=timezone.localdate(),
        documents=setup["documents"](),
    )
    if code == subject_access.CATEGORY:
        # A subject access bundle holds everything that is not third-party information.
        everything = [
            e.pk for e in subject_access.candidate_entries(client) if not e.is_third_party
        ]
        subject_access.choose_bundle_content(req, by=counsellor, include=everything)
    else:
        services.choose_content(req, by=counsellor, entry_ids=[entries[0].pk])
    if req.category.supervisor_consulted_first:
        services.record_consultation(
            req, by=counsellor, gate="supervisor_consulted", reason="Spoke to my supervisor"
        )
    if state == Status.REFUSED:
        services.refuse(req, by=counsellor, reason="Not justified")
    if state in (Status.RAISED, Status.REFUSED):
        return _fresh(req)
    services.clear_consent(req, by=counsellor, **setup["consent"])
    if state == Status.CONSENT_CLEARED:
        return _fresh(req)
    if req.category.needs_supervisor:
        services.sign_off(req, by=people["supervisor"])
    if state == Status.SIGNED_OFF:
        return _fresh(req)
    services.approve(req, by=people["manager"])
    if state == Status.APPROVED:
        return _fresh(req)
    services.release(req, by=counsellor)
    return _fresh(req)


def _fresh(req: DisclosureRequest) -> DisclosureRequest:
    return DisclosureRequest.objects.get(pk=req.pk)


def call(action: str, req: DisclosureRequest, user: User) -> None:
    setup = SETUPS[req.category_code]
    if action == Action.CLEAR_CONSENT:
        services.clear_consent(req, by=user, **setup["consent"])
    elif action == Action.SIGN_OFF:
        services.sign_off(req, by=user)
    elif action == Action.APPROVE:
        services.approve(req, by=user)
    elif action == Action.RELEASE:
        services.release(req, by=user)
    elif action == Action.EMERGENCY_RELEASE:
        services.emergency_release(req, by=user, reason="Someone is at risk tonight")
    elif action == Action.REFUSE:
        services.refuse(req, by=user, reason="Not justified")
    else:  # pragma: no cover
        raise AssertionError(action)


class _Undo(Exception):
    """Rolls a successful step back, so the next persona starts from the same state."""


CASES = [
    pytest.param(code, state, action, id=f"{code}-{state}-{action}")
    for code in SETUPS
    for state in Status.values
    for action in Action.values
    # A category with no supervisor gate never reaches "signed off".
    if not (state == Status.SIGNED_OFF and not category(code).needs_supervisor)
]


@pytest.mark.django_db
@pytest.mark.parametrize(("code", "state", "action"), CASES)
def test_every_state_action_and_role(
    code: str,
    state: str,
    action: str,
    people: dict[str, User],
    client_record: Any,
    entries: list[Any],
    fake_renderer: None,
) -> None:
    req = build(state, code, people, client_record, entries)
    assert req.status == state
    mismatches: list[str] = []
    for persona in PERSONAS:
        user = people[persona]
        expected = (state, action) in TRANSITIONS and role_allows(action, persona, code, state)
        decisions = GateDecision.objects.filter(request=req).count()
        events = AuditEvent.objects.count()
        registered = RegisterEntry.objects.count()
        moved_to: str | None = None
        error: str = ""
        try:
            with transaction.atomic():
                call(action, _fresh(req), user)
                moved_to = _fresh(req).status
                raise _Undo
        except _Undo:
            pass
        except services.DisclosureError as refused:
            error = str(refused)
        if expected:
            if moved_to != TRANSITIONS.get((state, action)):
                mismatches.append(f"{persona}: expected to succeed, got {error or moved_to!r}")
            continue
        if moved_to is not None:
            mismatches.append(f"{persona}: expected a refusal, but it moved to {moved_to}")
            continue
        after = _fresh(req)
        if after.status != state:
            mismatches.append(f"{persona}: a refused step changed the status to {after.status}")
        if GateDecision.objects.filter(request=req).count() != decisions:
            mismatches.append(f"{persona}: a refused step wrote a gate decision")
        if AuditEvent.objects.count() != events or RegisterEntry.objects.count() != registered:
            mismatches.append(f"{persona}: a refused step left an audit event or register row")
        if not error:
            mismatches.append(f"{persona}: refused without a message")
    assert not mismatches, "\n".join(mismatches)


def test_the_table_covers_every_action_and_final_states_take_none() -> None:
    assert {action for _, action in TRANSITIONS} == set(Action.values)
    assert not [key for key in TRANSITIONS if key[0] in (Status.RELEASED, Status.REFUSED)]


# -- concurrency ---------------------------------------------------------------------------------

Step = tuple[str, User, Callable[..., Any]]


def _all_at_once(request_id: Any, steps: list[Step]) -> list[tuple[str, str]]:
    """Run each step in its own thread (and database connection), all released together by a
    barrier; returns (step name, "won" | "refused" | "crashed: ...") for each."""
    barrier = threading.Barrier(len(steps))
    results: list[tuple[str, str]] = []
    guard = threading.Lock()

    def worker(name: str, by: User, step: Callable[..., Any]) -> None:
        try:
            mine = DisclosureRequest.objects.get(pk=request_id)
            barrier.wait(timeout=30)
            try:
                step(mine, by)
                outcome = "won"
            except services.DisclosureError:
                outcome = "refused"
            except Exception as unexpected:  # noqa: BLE001 - reported by the caller
                outcome = f"crashed: {unexpected!r}"
            with guard:
                results.append((name, outcome))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=step) for step in steps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.postgres_only
def test_concurrent_steps_on_one_request_only_one_wins(
    transactional_audit: None,
    monkeypatch: pytest.MonkeyPatch,
    counsellor: User,
    supervisor: User,
    manager: User,
    client_record: Any,
    entries: list[Any],
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks under real concurrency need PostgreSQL")
    monkeypatch.setattr("disclosures.pdf.render_pack", lambda pack: FAKE_PDF)
    other_manager = make_user("mia", Role.MANAGER)
    plan: list[Step] = [
        ("approve", other_manager, lambda req, by: services.approve(req, by=by)),
        ("refuse", supervisor, lambda req, by: services.refuse(req, by=by, reason="No")),
        ("release", counsellor, lambda req, by: services.release(req, by=by)),
        ("release", manager, lambda req, by: services.release(req, by=by)),
        ("refuse", counsellor, lambda req, by: services.refuse(req, by=by, reason="No")),
    ]
    threads_per_trial = 10
    for trial in range(50):
        req = approved_court_order(counsellor, supervisor, manager, client_record, entries)
        results = _all_at_once(req.pk, [plan[i % len(plan)] for i in range(threads_per_trial)])
        assert len(results) == threads_per_trial, f"trial {trial}: a thread did not finish"
        crashed = [r for r in results if r[1].startswith("crashed")]
        assert not crashed, f"trial {trial}: {crashed}"
        winners = [name for name, outcome in results if outcome == "won"]
        assert len(winners) == 1, f"trial {trial}: {results}"
        req.refresh_from_db()
        expected = Status.RELEASED if winners[0] == "release" else Status.REFUSED
        assert req.status == expected
        registered = RegisterEntry.objects.filter(request=req).count()
        assert registered == (1 if expected == Status.RELEASED else 0)
        assert ReleasedDocument.objects.filter(request=req).count() == registered
        released_events = AuditEvent.objects.filter(
            target_id=str(req.pk), action="disclosure.released"
        ).count()
        assert released_events == registered


# -- a failure at any step of the release releases nothing -----------------------------------------


class Boom(RuntimeError):
    pass


def _raise(*args: Any, **kwargs: Any) -> Any:
    raise Boom("injected failure")


FAULTS = ["render", "stored_document", "register_entry", "audit_event"]


def _inject(fault: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if fault == "render":
        monkeypatch.setattr("disclosures.pdf.render_pack", _raise)
        return
    monkeypatch.setattr("disclosures.pdf.render_pack", lambda pack: FAKE_PDF)
    if fault == "stored_document":
        monkeypatch.setattr(ReleasedDocument.objects, "create", _raise)
    elif fault == "register_entry":
        monkeypatch.setattr(RegisterEntry.objects, "create", _raise)
    elif fault == "audit_event":
        real = services.record

        def record(action: str, **kwargs: Any) -> Any:
            if action == "disclosure.released":
                raise Boom("audit trail unavailable")
            return real(action, **kwargs)

        monkeypatch.setattr("disclosures.services.record", record)


@pytest.mark.django_db
@pytest.mark.parametrize("fault", FAULTS)
def test_a_failed_release_releases_nothing(
    fault: str,
    monkeypatch: pytest.MonkeyPatch,
    counsellor: User,
    supervisor: User,
    manager: User,
    client_record: Any,
    entries: list[Any],
) -> None:
    req = approved_court_order(counsellor, supervisor, manager, client_record, entries)
    _inject(fault, monkeypatch)
    with pytest.raises(Boom):
        services.release(req, by=counsellor)
    req.refresh_from_db()
    assert req.status == Status.APPROVED
    assert req.released_at is None and req.released_by is None
    assert not ReleasedDocument.objects.exists()
    assert not RegisterEntry.objects.exists()
    assert not AuditEvent.objects.filter(action="disclosure.released").exists()
    # and once the fault is gone, the same request releases normally
    monkeypatch.undo()
    monkeypatch.setattr("disclosures.pdf.render_pack", lambda pack: FAKE_PDF)
    services.release(req, by=counsellor)
    assert RegisterEntry.objects.filter(request=req).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("fault", FAULTS)
def test_a_failed_emergency_release_releases_nothing(
    fault: str,
    monkeypatch: pytest.MonkeyPatch,
    counsellor: User,
    client_record: Any,
    entries: list[Any],
) -> None:
    req = services.raise_request(
        by=counsellor,
        client=client_record,
        category_code="serious_harm",
        requester_kind="practice",
        requester="Practice",
        recipient="Duty team",
        purpose="Immediate risk",
        asked_for="Risk information",
        received_on=timezone.localdate(),
    )
    services.choose_content(req, by=counsellor, entry_ids=[entries[0].pk])
    decisions = GateDecision.objects.filter(request=req).count()
    _inject(fault, monkeypatch)
    with pytest.raises(Boom):
        services.emergency_release(req, by=counsellor, reason="Risk tonight")
    req.refresh_from_db()
    assert req.status == Status.RAISED and not req.is_emergency
    assert GateDecision.objects.filter(request=req).count() == decisions
    assert not ReleasedDocument.objects.exists() and not RegisterEntry.objects.exists()
    assert not AuditEvent.objects.filter(action="disclosure.released").exists()
