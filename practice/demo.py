"""The demo practice: staff in every role, a realistic caseload, notes, supervision, and a few
clients with portal accounts.

Everything is fictional. Running it again changes nothing: existing demo clients are found by
their counsellor and kept, and secrets are derived from this installation's SECRET_KEY.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from clients import services as client_services
from clients.models import Client, ClientAccount, JointCase
from consent import services as consent_services
from consent.models import Contracting, DocumentVersion, PreparedConsent, Scope
from disclosures import subject_access
from disclosures.models import SubjectAccessRequest
from notes.models import NoteEntry, SessionNote, SupervisionPoint, SupervisionSession
from practice.accounts.demo import DEMO_STAFF, describe, ensure_demo_user
from practice.accounts.models import Role, User


@dataclass(frozen=True)
class DemoClient:
    given_name: str
    family_name: str
    born: datetime.date
    pronouns: str
    email: str


CASELOADS: dict[str, list[DemoClient]] = {
    "alex": [
        DemoClient("Amira", "Haddad", datetime.date(1988, 4, 12), "she/her", "amira.h@example.org"),
        DemoClient("Tom", "Whitfield", datetime.date(1979, 11, 2), "he/him", "tomw@example.org"),
        DemoClient("Ellie", "Brennan", datetime.date(2009, 6, 21), "she/her", ""),
        DemoClient("Daniel", "Okoro", datetime.date(1992, 1, 30), "he/him", "d.okoro@example.org"),
        DemoClient("Grace", "Lindqvist", datetime.date(1965, 9, 8), "she/her", ""),
        DemoClient(
            "Rhys", "Morgan-Evans", datetime.date(1990, 3, 14), "they/them", "rhys.me@example.org"
        ),
    ],
    "sam": [
        DemoClient(
            "Priyanka", "Desai", datetime.date(1984, 7, 19), "she/her", "p.desai@example.org"
        ),
        DemoClient("Liam", "O'Connell", datetime.date(1999, 12, 1), "he/him", ""),
        DemoClient(
            "Hannah", "Kowalski", datetime.date(1973, 5, 27), "she/her", "hannahk@example.org"
        ),
        DemoClient("Marcus", "Bell", datetime.date(2008, 2, 11), "he/him", ""),
        DemoClient("Sofia", "Romano", datetime.date(1995, 8, 3), "she/her", "sofia.r@example.org"),
    ],
    "priya": [
        DemoClient(
            "Owen", "Pritchard", datetime.date(1981, 10, 16), "he/him", "owen.p@example.org"
        ),
        DemoClient("Zara", "Ahmed", datetime.date(1997, 4, 5), "she/her", ""),
        DemoClient("Callum", "Fraser", datetime.date(1969, 1, 23), "he/him", ""),
    ],
}

FACTUAL = [
    "Attended on time. Reviewed the week: sleep has improved slightly; work pressure continues.",
    "Explored the recent argument with their sibling and what it stirred up about the past.",
    "Client reported feeling low most days this week. Discussed supports; agreed a mood diary.",
    "Reviewed goals agreed at contracting. Client feels progress on assertiveness at work.",
    "Focus on grief for their father; client brought a photograph and spoke about the funeral.",
    "Client described a panic episode on the bus. Practised grounding together.",
    "Talked about returning to study and the fear of failing again.",
    "Shorter session at the client's request. Checked safety: no current thoughts of self-harm.",
]
PROCESS = [
    "I noticed I felt protective and slightly rushed; worth taking to supervision.",
    "The silence after they mentioned their mother felt heavy; I held back from filling it.",
    "Wondering whether my reassurance closed down the anger; bring to supervision.",
    "Strong sense of the client testing whether I would stay with them.",
]
THIRD_PARTY = [
    ("Client's GP (letter)", "GP letter mentions a change of medication last month."),
    (
        "Client's partner (phone call)",
        "Partner phoned to cancel and said the client had a difficult weekend.",
    ),
]


# Portal sign-ins for demo clients: both partners of the demo couple, then one of Sam's clients.
# Usernames say nothing about who the client is, as a real client's must not.
PORTAL_USERNAMES = ("client-harbour", "client-meadow", "client-orchard")


def _seed_for(username: str) -> int:
    return sum(ord(ch) for ch in username) * 7919


@transaction.atomic
def seed() -> dict[str, Any]:
    staff = {
        s.username: ensure_demo_user(s.username, s.first_name, s.last_name, s.roles)
        for s in DEMO_STAFF
    }
    supervisor = staff["jo"]
    for name in ("alex", "sam"):
        if staff[name].supervisor_id != supervisor.pk:
            staff[name].supervisor = supervisor
            staff[name].save(update_fields=["supervisor"])
    if staff["priya"].supervisor_id is None:
        staff["priya"].supervisor = supervisor
        staff["priya"].save(update_fields=["supervisor"])

    clients: list[dict[str, str]] = []
    for username, people in CASELOADS.items():
        counsellor = staff[username]
        existing = list(Client.objects.filter(counsellor=counsellor).select_related("identity"))
        if not existing:
            existing = _create_caseload(counsellor, people, staff["taylor"])
        for client in existing:
            identity = client.identity
            clients.append(
                {
                    "reference": client.reference,
                    "counsellor": username,
                    "full_name": f"{identity.given_name} {identity.family_name}",
                }
            )
    _ensure_couple(staff["alex"])
    _ensure_supervision(staff["alex"], supervisor)
    _ensure_supervision(staff["sam"], supervisor)
    portal = _ensure_portal_accounts(staff)
    if portal:
        _ensure_prepared_consent(portal[0][1])
    if len(portal) > 1:
        _ensure_released_bundle(portal[1][1], reviewer=staff["taylor"])
    users = [describe(user) for user in staff.values()]
    users += [{**describe(user), "client_reference": client.reference} for user, client in portal]
    return {"users": users, "clients": clients}


def _create_caseload(counsellor: User, people: list[DemoClient], manager: User) -> list[Client]:
    rng = random.Random(_seed_for(counsellor.username))
    today = timezone.localdate()
    created = []
    for index, person in enumerate(people):
        opened = today - datetime.timedelta(days=40 + 35 * index)
        client = client_services.register(
            by=manager,
            counsellor=counsellor,
            identity={
                "given_name": person.given_name,
                "family_name": person.family_name,
                "date_of_birth": person.born,
                "pronouns": person.pronouns,
                "email": person.email,
                "phone": f"07700 900{rng.randint(100, 999)}",
            },
            is_minor=(today - person.born).days < 18 * 365,
            opened_on=opened,
        )
        _contract(client, counsellor)
        sessions = 4 if index < 3 else 3
        for number in range(sessions):
            session_date = opened + datetime.timedelta(days=7 * (number + 1))
            if session_date > today:
                break
            _note(
                client,
                counsellor,
                "factual",
                session_date,
                rng.choice(FACTUAL),
                rng,
                signed=number < sessions - 1,
            )
            if number % 2 == 0:
                _note(
                    client,
                    counsellor,
                    "process",
                    session_date,
                    rng.choice(PROCESS),
                    rng,
                    signed=False,
                )
        if index == 1:
            SupervisionPoint.objects.create(
                client=client,
                risk="self_harm",
                text="Past self-harm mentioned; currently safe. Would value thinking about risk.",
                shared_by=counsellor,
            )
        created.append(client)
    # Add the last factual notes until the counsellor has at least 20 notes.
    while SessionNote.objects.filter(author=counsellor).count() < 20:
        client = rng.choice(created)
        when = today - datetime.timedelta(days=rng.randint(1, 30))
        _note(client, counsellor, "factual", when, rng.choice(FACTUAL), rng, signed=True)
    return list(Client.objects.filter(counsellor=counsellor).select_related("identity"))


def _contract(client: Client, counsellor: User) -> None:
    consent_services.record_contracting(
        client,
        by=counsellor,
        contracted_on=client.opened_on,
        agreement=DocumentVersion.current(DocumentVersion.Kind.AGREEMENT),  # type: ignore[arg-type]
        privacy_notice=DocumentVersion.current(DocumentVersion.Kind.PRIVACY_NOTICE),  # type: ignore[arg-type]
        delivered=Contracting.Delivery.PAPER,
        explained=dict.fromkeys(
            ["explained_limits", "explained_supervision", "explained_storage", "explained_access"],
            True,
        ),
    )


def _note(
    client: Client,
    counsellor: User,
    kind: str,
    when: datetime.date,
    text: str,
    rng: random.Random,
    *,
    signed: bool,
) -> SessionNote:
    note = SessionNote.objects.create(
        client=client,
        kind=kind,
        session_date=when,
        duration_minutes=50,
        author=counsellor,
        status="signed" if signed else "draft",
        signed_at=timezone.now() if signed else None,
    )
    NoteEntry.objects.create(note=note, about=client, provenance="counsellor", text=text)
    if kind == "factual" and rng.random() < 0.25:
        source, said = rng.choice(THIRD_PARTY)
        NoteEntry.objects.create(
            note=note,
            about=client,
            position=1,
            provenance="third_party",
            third_party_source=source,
            text=said,
        )
    return note


def _ensure_couple(counsellor: User) -> None:
    if JointCase.objects.filter(counsellor=counsellor).exists():
        return
    members = list(Client.objects.filter(counsellor=counsellor).order_by("opened_on")[:2])
    case = client_services.create_joint_case(by=counsellor, kind="couple", members=members)
    today = timezone.localdate()
    for weeks in (3, 2, 1):
        note = SessionNote.objects.create(
            joint_case=case,
            kind="factual",
            session_date=today - datetime.timedelta(days=7 * weeks),
            author=counsellor,
            status="signed",
            signed_at=timezone.now(),
        )
        NoteEntry.objects.create(
            note=note, position=0, text="Couple session: agreed ground rules for talking at home."
        )
        NoteEntry.objects.create(
            note=note,
            position=1,
            about=members[0],
            provenance="client",
            text="Said they feel unheard when plans change.",
        )
        NoteEntry.objects.create(
            note=note,
            position=2,
            about=members[1],
            provenance="client",
            text="Spoke about pressure from their own family.",
        )


def _ensure_supervision(counsellor: User, supervisor: User) -> None:
    if SupervisionSession.objects.filter(counsellor=counsellor).exists():
        return
    session = SupervisionSession.objects.create(
        supervisor=supervisor,
        counsellor=counsellor,
        held_on=timezone.localdate() - datetime.timedelta(days=10),
        recorded_by=counsellor,
    )
    session.cases.set(Client.objects.filter(counsellor=counsellor)[:3])


def _portal_candidates(staff: dict[str, User]) -> list[Client]:
    """Who gets a demo portal account, in the order of PORTAL_USERNAMES."""
    couple = JointCase.objects.filter(counsellor=staff["alex"]).order_by("created_at").first()
    partners = list(couple.members.order_by("opened_on", "reference")) if couple else []
    others = list(
        Client.objects.filter(counsellor=staff["sam"]).order_by("-opened_on", "reference")
    )
    return partners[:2] + others[:1]


def _ensure_portal_accounts(staff: dict[str, User]) -> list[tuple[User, Client]]:
    """Demo clients with a portal account: the demo password and a TOTP secret derived like the
    staff's. A username that already has an account keeps its client, so another run (or a
    client added to a caseload since) changes nothing; a client who has an account of their
    own (from a real invitation) is left alone."""
    candidates = iter(_portal_candidates(staff))
    result = []
    for username in PORTAL_USERNAMES:
        account = ClientAccount.objects.select_related("client").filter(user__username=username)
        existing = account.first()
        if existing is not None:
            client = existing.client
        elif User.objects.filter(username=username).exists():
            continue  # the name is taken by someone who is not a demo client
        else:
            client = next(
                (c for c in candidates if not ClientAccount.objects.filter(client=c).exists()),
                None,
            )
            if client is None:
                continue
        user = ensure_demo_user(username, "", "", (Role.CLIENT,))
        if existing is None:
            ClientAccount.objects.create(user=user, client=client)
        result.append((user, client))
    return result


def _ensure_prepared_consent(client: Client) -> None:
    """Something for the first demo client to sign in the portal (once: signed, cancelled or
    waiting, it is not prepared again)."""
    if PreparedConsent.objects.filter(client=client).exists() or client.counsellor is None:
        return
    consent_services.prepare_consent(
        client,
        by=client.counsellor,
        scope=Scope.DISCLOSURE,
        recipient="Dr Nadia Kaur, Brookside Medical Centre",
        purpose="So your GP can support you with sleep while counselling continues.",
        material="The dates of sessions you attended, and a short summary of how you are.",
        valid_until=timezone.localdate() + datetime.timedelta(days=180),
        capacity_note="Talked it through in session; understood what would be shared and why, "
        "weighed it up and decided without pressure.",
    )


def _ensure_released_bundle(client: Client, *, reviewer: User) -> None:
    """An answered subject access request, so the second demo client's *My records* has a
    bundle to read (once: a client with any request, open or answered, is left alone). It
    goes the way a real one does: recorded by the counsellor, prepared, released by a
    manager through the release service."""
    counsellor = client.counsellor
    if counsellor is None or SubjectAccessRequest.objects.filter(client=client).exists():
        return
    sar = subject_access.request_access(
        client,
        by=counsellor,
        channel=SubjectAccessRequest.Channel.LETTER,
        received_on=timezone.localdate() - datetime.timedelta(days=12),
        identity_verified=True,
        identity_verified_how="Known to the counsellor; the letter came from the address held.",
    )
    subject_access.prepare_bundle(sar, by=counsellor)
    subject_access.release_bundle(sar, by=reviewer)
