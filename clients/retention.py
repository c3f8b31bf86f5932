"""Retention: what is due for destruction and why, and the one path that destroys it.

The rules (DESIGN.md section 7):

- **Process notes** are kept until the supervision session after the counselling session they
  are about. A process note is due once a supervision session has been recorded, held after
  the note's session date and not before the note was written, at which the note's case was
  discussed (``SupervisionSession.cases``; after a reallocation, by the new counsellor). For
  a couple's or group's process note it is enough that any member's case was discussed. Due
  process notes are destroyed at the next retention run, without anyone's approval, unless a
  legal hold stands on the client (or on any member of their couples or groups).
- **Closed cases** are due ``RETENTION_YEARS`` after counselling ended (``Client.ended_on``);
  for a client seen when under 18 (``Client.is_minor``), at their
  ``RETENTION_MINOR_UNTIL_AGE``-th birthday if that is later. A minor whose date of birth is
  not recorded is never due: the page asks for it. Due cases wait for a service manager to
  approve their destruction in a batch (``DestructionBatch``), with a reason.
- **Erasure requests** a manager approves take the same destruction path.
- **Legal holds** stop every path while they stand. A hold on one member of a couple or group
  also stops the destruction of the others: their shared notes hold entries about each of
  them, encrypted under each member's own key, which shredding would destroy.

Destroying a case (``carry_out``) is crypto-shredding followed by deletion, in three steps so
that it is safe to interrupt: the tombstone (``DestructionRecord``) is marked in progress, the
client's data keys are shredded (every copy of their ciphertext, history and stored exports
included, becomes unreadable), then in one transaction every row holding the client's data is
deleted and the tombstone completed. Rerunning finishes an interrupted destruction. Apps to
the left of this one delete their own rows through ``register_client_destroyer``; each uses
``destroy_rows``, the only code allowed past the append-only and immutable guards (consent
events, the register of disclosures) and the PROTECT foreign keys, and only while this module
is destroying something.

Couples and groups: a joint case's own notes (entries about the whole couple or group,
encrypted under the joint case's key) are kept while any other member remains; destroying one
partner deletes only the entries about that partner. When the last member is destroyed, the
joint case goes with them, with its key and a tombstone of its own.
"""

from __future__ import annotations

import contextvars
import datetime
import logging
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import connection, models, transaction
from django.db.models.deletion import get_candidate_relations_to_delete
from django.utils import timezone

from clients.models import (
    Client,
    ClientAccount,
    ClientIdentity,
    DestructionRecord,
    ErasureRequest,
    JointCase,
    LegalHold,
)
from practice.accounts.services import retire_sign_in
from practice.audit.services import record as audit
from practice.crypto.fields import history_source
from practice.crypto.keyring import CryptoError
from practice.crypto.services import shred

logger = logging.getLogger("clients.retention")

SYSTEM_ACTOR = "apply_retention"  # the audit trail's actor name for the unattended run


class DestructionError(Exception):
    """A destruction could not be done safely; nothing of that step was changed. The message
    names models, ids and references only."""


class HeldError(DestructionError):
    """A legal hold stands: nothing of this client may be destroyed."""


# -- dates -------------------------------------------------------------------------------------


def add_years(day: datetime.date, years: int) -> datetime.date:
    """The same day ``years`` later; 29 February becomes 1 March (the later date: keeping a
    record a day longer is safe, destroying it a day early is not)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return datetime.date(day.year + years, 3, 1)


@dataclass(frozen=True)
class CaseRetention:
    """When a closed case becomes due, and by which rule (``due_on`` None: cannot be worked
    out, because a minor's date of birth is missing)."""

    client: Client
    due_on: datetime.date | None
    rule: str
    held: bool = False

    def is_due(self, today: datetime.date) -> bool:
        return self.due_on is not None and today >= self.due_on


def case_retention(client: Client, date_of_birth: datetime.date | None) -> CaseRetention:
    """The retention rule of a case whose counselling has ended (a question; no side effects).

    Adults: ``RETENTION_YEARS`` after ``ended_on``. Minors: that, or their
    ``RETENTION_MINOR_UNTIL_AGE``-th birthday if it is later.
    """
    if client.ended_on is None:
        raise ValueError("Only a case whose counselling has ended has a retention date.")
    after_ending = add_years(client.ended_on, settings.RETENTION_YEARS)
    if not client.is_minor:
        return CaseRetention(client, after_ending, DestructionRecord.Rule.CLOSED_ADULT)
    if date_of_birth is None:
        return CaseRetention(client, None, DestructionRecord.Rule.CLOSED_MINOR)
    birthday = add_years(date_of_birth, settings.RETENTION_MINOR_UNTIL_AGE)
    if birthday > after_ending:
        return CaseRetention(client, birthday, DestructionRecord.Rule.CLOSED_MINOR)
    return CaseRetention(client, after_ending, DestructionRecord.Rule.CLOSED_ADULT)


def rule_description(rule: str) -> str:
    """The rule in words, with the configured periods."""
    years, age = settings.RETENTION_YEARS, settings.RETENTION_MINOR_UNTIL_AGE
    return {
        DestructionRecord.Rule.CLOSED_ADULT: f"{years} years after counselling ended",
        DestructionRecord.Rule.CLOSED_MINOR: (
            f"the client's {age}th birthday (seen when under 18), later than {years} years "
            "after counselling ended"
        ),
        DestructionRecord.Rule.ERASURE: "the client's erasure request, approved by a manager",
        DestructionRecord.Rule.PROCESS_NOTES: (
            "process notes are kept only until the next supervision session"
        ),
        DestructionRecord.Rule.JOINT_LAST_MEMBER: (
            "joint work is destroyed with the last of its members"
        ),
    }.get(rule, rule)


def exemption_text(code: str) -> str:
    """What a refusal of erasure tells the client, for each exemption (UK GDPR Art. 17(3))."""
    years, age = settings.RETENTION_YEARS, settings.RETENTION_MINOR_UNTIL_AGE
    return {
        ErasureRequest.Exemption.RETENTION_PERIOD: (
            f"Records are kept for {years} years after counselling ends (or until the "
            f"client's {age}th birthday if they were under 18 and that is later) as required "
            "by our retention policy and professional body; UK GDPR Art. 17(3)(b)/(e)."
        ),
        ErasureRequest.Exemption.LEGAL_HOLD: (
            "A legal hold stands on these records (court proceedings or a complaint): they "
            "must be kept while it stands; UK GDPR Art. 17(3)(e)."
        ),
        ErasureRequest.Exemption.LEGAL_CLAIMS: (
            "The records are needed for the establishment, exercise or defence of legal "
            "claims; UK GDPR Art. 17(3)(e)."
        ),
        ErasureRequest.Exemption.LEGAL_OBLIGATION: (
            "The records are kept to comply with a legal obligation; UK GDPR Art. 17(3)(b)."
        ),
    }.get(code, "")


# -- legal holds -------------------------------------------------------------------------------


def active_holds() -> models.QuerySet[LegalHold]:
    return LegalHold.objects.filter(lifted_at__isnull=True)


def co_member_ids(client: Client | uuid.UUID) -> set[uuid.UUID]:
    """The other members of every couple or group the client belongs to."""
    client_id = client.pk if isinstance(client, Client) else client
    through = JointCase.members.through
    cases = through.objects.filter(client_id=client_id).values("jointcase_id")
    return set(
        through.objects.filter(jointcase_id__in=cases)
        .exclude(client_id=client_id)
        .values_list("client_id", flat=True)
    )


def hold_scope(client_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """The clients whose legal holds protect these clients' records: themselves and the other
    members of their couples or groups (see the module docstring)."""
    ids = set(client_ids)
    for client_id in list(ids):
        ids |= co_member_ids(client_id)
    return ids


def lock_for_destruction(client_ids: Iterable[uuid.UUID]) -> None:
    """Lock the case rows of these clients and of everyone whose hold protects them, in one
    order. ``place_legal_hold`` locks the row of the case it holds, so a hold is either
    committed before a destruction step looks for holds, or waits until that step is done:
    a hold placed while a destruction runs is never missed."""
    ids = hold_scope(client_ids)
    list(Client.objects.select_for_update().filter(pk__in=ids).order_by("pk").values("pk"))


def holds_blocking(client: Client) -> list[LegalHold]:
    """The holds that stop this client's destruction: their own, and those on the other
    members of their couples or groups (see the module docstring)."""
    ids = hold_scope([client.pk])
    return list(active_holds().filter(client_id__in=ids).select_related("client"))


def held_client_ids(client_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    return set(
        active_holds().filter(client_id__in=list(client_ids)).values_list("client_id", flat=True)
    )


# -- what is due -------------------------------------------------------------------------------


def _dates_of_birth(clients: list[Client]) -> dict[uuid.UUID, datetime.date | None]:
    """Decrypted dates of birth of minors, for the retention rule only (never shown as such).
    A date that cannot be decrypted counts as missing: the case is then never due."""
    found: dict[uuid.UUID, datetime.date | None] = {}
    minors = [c.pk for c in clients if c.is_minor]
    for identity in ClientIdentity.objects.filter(client_id__in=minors).only(
        "id", "client_id", "date_of_birth"
    ):
        try:
            found[identity.client_id] = identity.date_of_birth
        except CryptoError:
            found[identity.client_id] = None
    return found


def closed_cases(today: datetime.date | None = None) -> list[CaseRetention]:
    """Every ended case not yet approved for destruction, with its retention date."""
    today = today or timezone.localdate()
    clients = list(
        Client.objects.filter(status=Client.Status.ENDED)
        .exclude(
            pk__in=DestructionRecord.objects.filter(kind=DestructionRecord.Kind.CASE).values(
                "subject_id"
            )
        )
        .select_related("counsellor")
        .order_by("ended_on", "reference")
    )
    births = _dates_of_birth(clients)
    held = held_client_ids(c.pk for c in clients)
    result = []
    for client in clients:
        retention = case_retention(client, births.get(client.pk))
        blocked = client.pk in held or bool(held_client_ids(co_member_ids(client)))
        result.append(CaseRetention(client, retention.due_on, retention.rule, blocked))
    return result


def retention_of(client: Client) -> CaseRetention | None:
    """The retention date and rule of one case (None while counselling goes on)."""
    if client.ended_on is None:
        return None
    retention = case_retention(client, _dates_of_birth([client]).get(client.pk))
    return replace(retention, held=bool(holds_blocking(client)))


def cases_due_for_approval(today: datetime.date | None = None) -> list[CaseRetention]:
    """Closed cases whose retention period has passed and that no manager has approved yet
    (held ones included, marked: they cannot be approved while the hold stands)."""
    today = today or timezone.localdate()
    return [case for case in closed_cases(today) if case.is_due(today)]


def waiting_destructions() -> models.QuerySet[DestructionRecord]:
    """Approved case destructions not yet finished (the next run carries them out)."""
    return DestructionRecord.objects.filter(
        kind=DestructionRecord.Kind.CASE,
        status__in=[DestructionRecord.Status.APPROVED, DestructionRecord.Status.IN_PROGRESS],
    ).select_related("batch", "erasure", "approved_by")


def waiting_destruction_for(client: Client) -> DestructionRecord | None:
    return waiting_destructions().filter(subject_id=client.pk).first()


@dataclass(frozen=True)
class ProcessNotesDue:
    """Process notes of one case (a client or a joint case) made due by one supervision
    session. Built by the notes app (``register_process_note_retention``)."""

    subject_kind: str  # "client" or "joint_case"
    subject_id: uuid.UUID
    subject_reference: str
    note_ids: tuple[uuid.UUID, ...]
    supervision_session_id: uuid.UUID
    supervised_on: datetime.date
    member_ids: tuple[uuid.UUID, ...]  # whose legal holds apply
    held: bool = False
    awaiting_access: bool = False  # a member's request for their records is open

    @property
    def kept(self) -> bool:
        return self.held or self.awaiting_access


_process_note_planner: Callable[[datetime.date], list[ProcessNotesDue]] | None = None
_process_note_destroyer: Callable[[ProcessNotesDue], None] | None = None


def register_process_note_retention(
    planner: Callable[[datetime.date], list[ProcessNotesDue]],
    destroyer: Callable[[ProcessNotesDue], None],
) -> None:
    """Notes plugs in here (from NotesConfig.ready): which process notes are due, and how to
    delete them (with ``destroy_rows``, inside a destruction this module started)."""
    global _process_note_planner, _process_note_destroyer
    _process_note_planner, _process_note_destroyer = planner, destroyer


_process_note_keepers: list[Callable[[set[uuid.UUID]], set[uuid.UUID]]] = []


def register_process_note_keeper(keeper: Callable[[set[uuid.UUID]], set[uuid.UUID]]) -> None:
    """Apps to the left plug in here: given client ids, which of them must keep their due
    process notes for now (disclosures: while their request for their records is open)."""
    if keeper not in _process_note_keepers:
        _process_note_keepers.append(keeper)


def awaiting_access(client_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    ids = set(client_ids)
    return set().union(*(keeper(ids) for keeper in _process_note_keepers)) if ids else set()


def process_notes_due(today: datetime.date | None = None) -> list[ProcessNotesDue]:
    """Due process notes, each group marked ``held`` when a legal hold stops it, and
    ``awaiting_access`` while a member's request for their records is open: what they asked
    for is what was held then, and a bundle already approved must not change under it."""
    if _process_note_planner is None:
        return []
    today = today or timezone.localdate()
    plans = _process_note_planner(today)
    scopes = {plan: hold_scope(plan.member_ids) for plan in plans}
    held = held_client_ids(set().union(*scopes.values()))
    asking = awaiting_access({m for plan in plans for m in plan.member_ids})
    return [
        replace(
            plan,
            held=bool(held & scopes[plan]),
            awaiting_access=bool(asking & set(plan.member_ids)),
        )
        for plan in plans
    ]


def manager_summary(today: datetime.date | None = None) -> dict[str, int]:
    """Counts for the service manager's home page (``practice/includes/retention_panel.html``
    reads them as ``retention``)."""
    today = today or timezone.localdate()
    due = cases_due_for_approval(today)
    notes = process_notes_due(today)
    return {
        "cases_due_for_approval": sum(1 for case in due if not case.held),
        "cases_due_but_held": sum(1 for case in due if case.held),
        "process_notes_due": sum(len(p.note_ids) for p in notes if not p.kept),
        "process_notes_held": sum(len(p.note_ids) for p in notes if p.kept),
        "open_erasure_requests": ErasureRequest.objects.filter(
            status=ErasureRequest.Status.OPEN
        ).count(),
        "active_legal_holds": active_holds().count(),
        "destructions_waiting": waiting_destructions().count(),
    }


# -- the destroyer registry and the one way past the guards ------------------------------------

ClientDestroyer = Callable[[Client, list[JointCase]], None]
_CLIENT_DESTROYERS: list[ClientDestroyer] = []


def register_client_destroyer(destroyer: ClientDestroyer) -> None:
    """An app to the left plugs in (from its AppConfig.ready) the function that deletes its
    own rows of a client being destroyed: ``destroyer(client, joint_cases)``, where
    ``joint_cases`` are the couples or groups going with this client (it was their last
    member). Destroyers run in the reverse order of registration (disclosures, consent,
    notes: the apps further left point at the ones to their right), then this app's own."""
    if destroyer not in _CLIENT_DESTROYERS:
        _CLIENT_DESTROYERS.append(destroyer)


@dataclass
class _Destruction:
    tally: Counter[str] = field(default_factory=Counter)


_current: contextvars.ContextVar[_Destruction | None] = contextvars.ContextVar(
    "clients_retention_destruction", default=None
)


@contextmanager
def _destroying() -> Iterator[_Destruction]:
    """The only context in which ``destroy_rows`` works; opened by this module's services."""
    if not transaction.get_connection().in_atomic_block:
        raise DestructionError("A destruction runs inside a transaction.")
    state = _Destruction()
    token = _current.set(state)
    try:
        yield state
    finally:
        _current.reset(token)


def destroy_rows(queryset: models.QuerySet[Any]) -> int:
    """Delete these rows for good, with their history and what depends on them.

    The one deliberate way past the append-only and immutable guards (``ConsentEvent``,
    ``RegisterEntry``) and past simple-history, which would otherwise write a "-" history row
    copying every field (and try to decrypt ciphertext whose key is already shredded).
    Rows are deleted with raw SQL, no signals: CASCADE relations are followed, SET_NULL ones
    cleared, history rows of every model pointing at them deleted, and a PROTECT relation
    still pointing at them from outside the set stops the destruction (the app that owns
    those rows must delete them first, through its destroyer).

    Works only inside a destruction this module started (``carry_out``,
    ``destroy_process_notes``); anywhere else it raises DestructionError. Returns how many
    rows of ``queryset``'s own model were deleted.
    """
    state = _current.get()
    if state is None:
        raise DestructionError(
            "Rows are destroyed only by the retention and erasure service (clients.retention)."
        )
    model = queryset.model
    pks = list(queryset.values_list("pk", flat=True))
    return _destroy(model, pks, state.tally)


_CHUNK = 500


def _chunks(values: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _is_history_model(model: type[models.Model]) -> bool:
    return history_source(model) is not None


def _history_model_of(model: type[models.Model]) -> type[models.Model] | None:
    manager_name = getattr(model._meta, "simple_history_manager_attribute", None)
    if not manager_name:
        return None
    return getattr(model, manager_name).model


def _raw_delete(queryset: models.QuerySet[Any]) -> int:
    # QuerySet._raw_delete: a single DELETE, no signals, no Python-level guards.
    return int(queryset._raw_delete(queryset.db) or 0)  # type: ignore[attr-defined]


def _destroy(model: type[models.Model], pks: list[Any], tally: Counter[str]) -> int:
    if not pks:
        return 0
    every = set(pks)
    deleted = 0
    for chunk in _chunks(pks):
        for relation in get_candidate_relations_to_delete(model._meta):
            related: type[models.Model] = relation.related_model
            fk = relation.field
            on_delete = fk.remote_field.on_delete
            target = fk.target_field.attname
            keys = (
                chunk
                if target == model._meta.pk.attname
                else list(model._base_manager.filter(pk__in=chunk).values_list(target, flat=True))
            )
            refs = related._base_manager.filter(**{f"{fk.attname}__in": keys})
            if related is model:
                refs = refs.exclude(pk__in=every)
            if on_delete is models.CASCADE or (
                on_delete is models.DO_NOTHING and _is_history_model(related)
            ):
                # A history row copying a row being destroyed goes with it.
                _destroy(related, list(refs.values_list("pk", flat=True)), tally)
            elif on_delete in (models.PROTECT, models.RESTRICT):
                if refs.exists():
                    raise DestructionError(
                        f"{related._meta.label_lower} rows still point at "
                        f"{model._meta.label_lower} rows being destroyed; delete them first."
                    )
            elif on_delete is models.SET_NULL:
                models.QuerySet.update(refs, **{fk.name: None})
            elif on_delete is models.DO_NOTHING:
                continue
            else:
                raise DestructionError(
                    f"{related._meta.label_lower}.{fk.name}: unsupported on_delete for destruction."
                )
        history = _history_model_of(model)
        if history is not None:
            pk_name = model._meta.pk.attname
            rows = history._base_manager.filter(**{f"{pk_name}__in": chunk})
            count = _raw_delete(rows)
            if count:
                tally[history._meta.label_lower] += count
        count = _raw_delete(model._base_manager.filter(pk__in=chunk))
        deleted += count
    if deleted:
        tally[model._meta.label_lower] += deleted
    return deleted


def _owner_attname(model: type[models.Model]) -> str | None:
    source = history_source(model) or model
    name = getattr(source, "crypto_owner_field", None)
    if not name:
        return None
    try:
        return source._meta.get_field(name).attname
    except FieldDoesNotExist:  # an attname such as "client_id" that is not a field name
        return str(name)


def _models_with_owner() -> list[tuple[type[models.Model], str]]:
    found = []
    for model in apps.get_models():
        attname = _owner_attname(model)
        if attname is not None:
            found.append((model, attname))
    return found


def _sweep_history(owners: list[uuid.UUID], tally: Counter[str]) -> None:
    """History rows encrypted under a destroyed owner's key whose live row went long ago
    (an entry removed from a draft, say): nothing points at them any more but the owner."""
    for model, attname in _models_with_owner():
        if _is_history_model(model):
            rows = model._base_manager.filter(**{f"{attname}__in": owners})
            _destroy(model, list(rows.values_list("pk", flat=True)), tally)


def _assert_nothing_left(owners: list[uuid.UUID]) -> None:
    """No row anywhere (live or history) still holds ciphertext under a destroyed key."""
    for model, attname in _models_with_owner():
        if model._base_manager.filter(**{f"{attname}__in": owners}).exists():
            raise DestructionError(
                f"{model._meta.label_lower} still holds rows of a destroyed case; add them to "
                "that app's client destroyer."
            )
    connection.check_constraints()


# -- carrying out a destruction ----------------------------------------------------------------


def _joint_cases_going_with(client: Client) -> list[JointCase]:
    """The couples or groups of which this client is the last remaining member."""
    cases = []
    for case in JointCase.objects.filter(members=client).order_by("reference"):
        if not case.members.exclude(pk=client.pk).exists():
            cases.append(case)
    return cases


def _destroy_own_rows(client: Client, joint_cases: list[JointCase]) -> None:
    """This app's rows: the portal account (and its sign-in), the joint cases going with the
    client, then the case itself, which takes identity, access grants, lifted holds,
    invitations and the client's places in couples, groups and supervision sessions with it
    (CASCADE), and clears the link from their erasure requests (SET_NULL)."""
    account = ClientAccount.objects.filter(client=client).first()
    if account is not None:
        user_id = account.user_id
        destroy_rows(ClientAccount.objects.filter(pk=account.pk))
        _retire_portal_user(user_id)
    for case in joint_cases:
        destroy_rows(JointCase.objects.filter(pk=case.pk))
    destroy_rows(Client.objects.filter(pk=client.pk))


def _retire_portal_user(user_id: int) -> None:
    """Delete the client's portal sign-in; if something of the practice's still points at it
    (it should not), close it instead and strip what it holds."""
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    state = _current.get()
    before = Counter(state.tally) if state is not None else Counter()
    try:
        with transaction.atomic():
            destroy_rows(user_model._base_manager.filter(pk=user_id))
    except DestructionError:
        if state is not None:
            state.tally = before
        retire_sign_in(user_model._base_manager.get(pk=user_id))


def _start(record: DestructionRecord, *, by: Any) -> tuple[DestructionRecord, Client]:
    with transaction.atomic():
        record = DestructionRecord.objects.select_for_update().get(pk=record.pk)
        if record.is_complete:
            raise DestructionError(f"Destruction {record.pk} is already complete.")
        client = Client.objects.filter(pk=record.subject_id).first()
        if client is None:
            raise DestructionError(f"Case {record.subject_reference} is missing.")
        lock_for_destruction([client.pk])
        if holds_blocking(client):
            raise HeldError(f"A legal hold stands: {record.subject_reference} is kept.")
        now = timezone.now()
        if record.status == DestructionRecord.Status.APPROVED:
            record.status, record.started_at = DestructionRecord.Status.IN_PROGRESS, now
            record.save(update_fields=["status", "started_at"])
            audit(
                "retention.destruction.started",
                by=by,
                username=SYSTEM_ACTOR,
                target=record,
                client_ref=record.subject_reference,
                data={"rule": record.rule},
            )
        for case in _joint_cases_going_with(client):
            DestructionRecord.objects.get_or_create(
                subject_id=case.pk,
                kind=DestructionRecord.Kind.JOINT_CASE,
                defaults={
                    "rule": DestructionRecord.Rule.JOINT_LAST_MEMBER,
                    "status": DestructionRecord.Status.IN_PROGRESS,
                    "subject_reference": case.reference,
                    "opened_on": case.opened_on,
                    "part_of": record,
                    "approved_by": record.approved_by,
                    "approved_at": record.approved_at,
                    "started_at": now,
                },
            )
    return record, client


def _shred_keys(record: DestructionRecord, client: Client, *, by: Any) -> None:
    """Step two: destroy the data keys (client, and joint cases going with them). Done again
    on a rerun, in case something wrote under the client's name since."""
    with transaction.atomic():
        # Shredding cannot be undone: look for holds again, under the lock, right before it.
        lock_for_destruction([client.pk])
        if holds_blocking(client):
            raise HeldError(f"A legal hold stands: {record.subject_reference} is kept.")
        keys = shred(client.pk, by=by)
        DestructionRecord.objects.filter(pk=record.pk).update(
            keys_shredded=models.F("keys_shredded") + keys
        )
        for part in record.parts.exclude(status=DestructionRecord.Status.COMPLETE):
            count = shred(part.subject_id, by=by)
            DestructionRecord.objects.filter(pk=part.pk).update(
                keys_shredded=models.F("keys_shredded") + count
            )


def _delete_and_complete(
    record: DestructionRecord, client: Client, *, by: Any
) -> DestructionRecord:
    """Step three, one transaction: delete every row of the client, complete the tombstone."""
    with transaction.atomic(), _destroying() as state:
        record = DestructionRecord.objects.select_for_update().get(pk=record.pk)
        lock_for_destruction([client.pk])
        client = Client.objects.get(pk=client.pk)
        # place_legal_hold refuses a case whose keys are gone, so this should never happen;
        # if it does, the hold (and the unreadable rows) stay rather than go with the case.
        if holds_blocking(client):
            raise HeldError(f"A legal hold stands: {record.subject_reference} is kept.")
        parts = list(record.parts.all())
        joint_cases = list(JointCase.objects.filter(pk__in=[p.subject_id for p in parts]))
        for destroyer in reversed(_CLIENT_DESTROYERS):
            destroyer(client, joint_cases)
        _destroy_own_rows(client, joint_cases)
        owners = [client.pk, *[case.pk for case in joint_cases]]
        _sweep_history(owners, state.tally)
        _assert_nothing_left(owners)
        now = timezone.now()
        record.categories = dict(sorted(state.tally.items()))
        record.status, record.completed_at = DestructionRecord.Status.COMPLETE, now
        record.save(update_fields=["categories", "status", "completed_at"])
        for part in parts:
            part.status, part.completed_at = DestructionRecord.Status.COMPLETE, now
            part.save(update_fields=["status", "completed_at"])
        if record.erasure_id:
            ErasureRequest.objects.filter(pk=record.erasure_id).update(
                status=ErasureRequest.Status.CARRIED_OUT, carried_out_at=now
            )
        audit(
            "retention.destruction.completed",
            by=by,
            username=SYSTEM_ACTOR,
            target=record,
            client_ref=record.subject_reference,
            data={
                "rule": record.rule,
                "rows": record.rows_destroyed,
                "joint_cases": ",".join(p.subject_reference for p in parts),
            },
        )
    return record


def carry_out(record: DestructionRecord, *, by: Any = None) -> DestructionRecord:
    """Destroy an approved case (batch or erasure): tombstone in progress, shred, delete,
    complete. Idempotent, and a rerun after an interruption finishes the job. Raises
    HeldError, changing nothing, while a legal hold stands."""
    if record.kind != DestructionRecord.Kind.CASE:
        raise DestructionError("Only a case destruction is carried out this way.")
    record, client = _start(record, by=by)
    _shred_keys(record, client, by=by)
    return _delete_and_complete(record, client, by=by)


def destroy_process_notes(due: ProcessNotesDue, *, by: Any = None) -> DestructionRecord:
    """Destroy one group of due process notes, in one transaction, leaving a tombstone.
    Raises HeldError, changing nothing, while a legal hold stands."""
    if _process_note_destroyer is None:
        raise DestructionError("The notes app has not registered its process-note retention.")
    with transaction.atomic():
        lock_for_destruction(due.member_ids)
        if held_client_ids(hold_scope(due.member_ids)):
            raise HeldError(f"A legal hold stands: process notes of {due.subject_reference}.")
        if awaiting_access(due.member_ids):
            raise HeldError(f"A request for records is open: {due.subject_reference}.")
        client = (
            Client.objects.filter(pk=due.subject_id).first()
            if due.subject_kind == "client"
            else None
        )
        now = timezone.now()
        tombstone = DestructionRecord.objects.create(
            kind=DestructionRecord.Kind.PROCESS_NOTES,
            rule=DestructionRecord.Rule.PROCESS_NOTES,
            status=DestructionRecord.Status.IN_PROGRESS,
            subject_reference=due.subject_reference,
            subject_id=due.subject_id,
            opened_on=client.opened_on if client else None,
            ended_on=client.ended_on if client else None,
            due_on=due.supervised_on,
            supervision_session_id=due.supervision_session_id,
            started_at=now,
        )
        with _destroying() as state:
            _process_note_destroyer(due)
        tombstone.categories = dict(sorted(state.tally.items()))
        tombstone.status, tombstone.completed_at = DestructionRecord.Status.COMPLETE, now
        tombstone.save(update_fields=["categories", "status", "completed_at"])
        audit(
            "retention.process_notes.destroyed",
            by=by,
            username=SYSTEM_ACTOR,
            target=tombstone,
            client_ref=due.subject_reference,
            data={"notes": len(due.note_ids), "supervision_id": str(due.supervision_session_id)},
        )
    return tombstone


# -- the retention run -------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """One line of a retention run's report: references, dates and codes only."""

    action: str  # destroyed | would_destroy | held | failed | awaiting_approval | needs_birth_date
    kind: str  # process_notes | case
    reference: str
    detail: str


@dataclass
class RetentionReport:
    dry_run: bool
    outcomes: list[Outcome] = field(default_factory=list)

    def add(self, action: str, kind: str, reference: str, detail: str) -> None:
        self.outcomes.append(Outcome(action, kind, reference, detail))

    def of(self, action: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.action == action]

    @property
    def failures(self) -> list[Outcome]:
        return self.of("failed")


def apply_retention(
    *, dry_run: bool = False, today: datetime.date | None = None, by: Any = None
) -> RetentionReport:
    """Everything the nightly run does, in order:

    1. destroy due process notes (unless a legal hold stands);
    2. carry out approved destructions (batches and erasures), and finish interrupted ones
       (unless a legal hold stands: they wait);
    3. list the closed cases now due that still need a manager's approval (never destroyed
       without it).

    ``dry_run`` reports what would happen and changes nothing at all. A failure of one
    destruction is reported and the run goes on; rerunning finishes it.
    """
    today = today or timezone.localdate()
    report = RetentionReport(dry_run=dry_run)
    for due in process_notes_due(today):
        detail = f"{len(due.note_ids)} process note(s); supervision on {due.supervised_on}"
        if due.held:
            report.add("held", "process_notes", due.subject_reference, detail)
        elif due.awaiting_access:
            report.add("kept_for_access", "process_notes", due.subject_reference, detail)
        elif dry_run:
            report.add("would_destroy", "process_notes", due.subject_reference, detail)
        else:
            try:
                destroy_process_notes(due, by=by)
            except HeldError:
                report.add("held", "process_notes", due.subject_reference, detail)
            except Exception as error:  # reported, never with its message (ids at most)
                logger.error("Process-note destruction failed for %s.", due.subject_reference)
                report.add("failed", "process_notes", due.subject_reference, type(error).__name__)
            else:
                report.add("destroyed", "process_notes", due.subject_reference, detail)

    for pending in waiting_destructions().order_by("created_at"):
        detail = f"{pending.rule}; authorised by {pending.authority}"
        if pending.status == DestructionRecord.Status.IN_PROGRESS:
            detail += "; finishing an interrupted destruction"
        client = Client.objects.filter(pk=pending.subject_id).first()
        if client is not None and holds_blocking(client):
            report.add("held", "case", pending.subject_reference, detail)
        elif dry_run:
            report.add("would_destroy", "case", pending.subject_reference, detail)
        else:
            try:
                carry_out(pending, by=by)
            except HeldError:
                report.add("held", "case", pending.subject_reference, detail)
            except Exception as error:
                logger.error("Destruction %s of %s failed.", pending.pk, pending.subject_reference)
                report.add("failed", "case", pending.subject_reference, type(error).__name__)
            else:
                report.add("destroyed", "case", pending.subject_reference, detail)

    for case in closed_cases(today):
        reference = case.client.reference
        if case.due_on is None:
            report.add("needs_birth_date", "case", reference, "seen when under 18")
        elif case.is_due(today):
            detail = "legal hold stands" if case.held else case.rule
            report.add("awaiting_approval", "case", reference, detail)
    return report
