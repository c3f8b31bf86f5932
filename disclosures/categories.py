"""The disclosure categories: the practice's policy for each kind of release, as data.

This table is the one place the rules live (DESIGN.md §5). The gates, the release service,
the client's portal and the subject access bundle all read it. Statute references can be
changed by a service manager (CategoryReference); everything else changes here, in review.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _


class Basis(enum.StrEnum):
    CONSENT = "consent"
    LEGAL_OBLIGATION = "legal obligation"
    DISCRETIONARY_DUTY = "discretionary duty"
    PUBLIC_INTEREST = "discretionary (public interest)"
    LEGITIMATE_INTEREST = "legitimate interest"
    RIGHT_OF_ACCESS = "right of access (UK GDPR Art. 15)"


class ConsentRule(enum.StrEnum):
    REQUIRED = "required"  # a current written consent of the client must cover it
    NOT_REQUIRED = "not required"  # the law requires the disclosure; the reason is recorded
    MUST_NOT_SEEK = "must not be sought"  # tipping off: asking would itself be an offence
    SEEK_UNLESS_RISK = "sought unless it raises the risk"
    NOT_APPLICABLE = "not applicable"  # the client's own records


class Notify(enum.StrEnum):
    YES = "yes"
    UNLESS_COURT_DIRECTS = "yes, unless the court directs otherwise"
    UNLESS_RISK = "unless it raises the risk"
    NEVER = "never (tipping off)"
    IS_FOR_CLIENT = "it is for the client"


class Requester(enum.StrEnum):
    CLIENT = "client"
    POLICE = "police"
    COURT = "court"
    SOLICITOR = "solicitor"
    SOCIAL_SERVICES = "social_services"
    GP = "gp"
    RESEARCHER = "researcher"
    PRACTICE = "practice"  # opened by the practice itself (proactive)
    PROFESSIONAL_BODY = "professional_body"


REQUESTER_LABELS = {
    Requester.CLIENT: _("The client"),
    Requester.POLICE: _("Police"),
    Requester.COURT: _("A court"),
    Requester.SOLICITOR: _("A solicitor"),
    Requester.SOCIAL_SERVICES: _("Social services"),
    Requester.GP: _("A GP or health service"),
    Requester.RESEARCHER: _("A researcher or trainer"),
    Requester.PRACTICE: _("The practice itself"),
    Requester.PROFESSIONAL_BODY: _("A professional body"),
}


class Document(enum.StrEnum):
    COURT_ORDER = "court_order"
    POLICE_REQUEST = "police_request"
    RELEASE_FORM = "release_form"  # the client's signed "release of counselling notes" form
    SOLICITOR_LETTER = "solicitor_letter"
    OTHER = "other"


DOCUMENT_LABELS = {
    Document.COURT_ORDER: _("Court order or witness summons"),
    Document.POLICE_REQUEST: _("Police request"),
    Document.RELEASE_FORM: _("Client's signed release form"),
    Document.SOLICITOR_LETTER: _("Solicitor's letter"),
    Document.OTHER: _("Other document"),
}


@dataclass(frozen=True)
class Category:
    code: str
    label: str
    basis: Basis
    statute: str
    consent: ConsentRule
    notify: Notify
    # The consent scope checked when consent is required (consent.models.Scope value).
    consent_scope: str = "disclosure"
    sealed: bool = False  # never shown to the client, their portal or their bundle
    # Any one of these documents must be attached before release.
    required_documents: frozenset[Document] = frozenset()
    # Who may have asked; an empty set means anyone, including the practice itself.
    requesters: frozenset[Requester] = frozenset()
    emergency_route: bool = False  # release first, reviews within 72 hours
    supervisor_consulted_first: bool = False  # recorded before action (safeguarding)
    advisers_consulted: bool = False  # complaints: minimum necessary, advisers consulted
    anonymise_without_consent: bool = False  # publication/training/research
    places_legal_hold: bool = False
    report_by_default: bool = False  # a written report rather than the records
    needs_supervisor: bool = True
    needs_manager: bool = True
    note: str = ""
    special: tuple[str, ...] = field(default_factory=tuple)

    @property
    def proactive_allowed(self) -> bool:
        return not self.requesters or Requester.PRACTICE in self.requesters


_ANY_PROFESSIONAL = frozenset(
    {
        Requester.CLIENT,
        Requester.POLICE,
        Requester.SOCIAL_SERVICES,
        Requester.GP,
        Requester.PRACTICE,
    }
)

CATEGORIES: dict[str, Category] = {
    category.code: category
    for category in [
        Category(
            code="client_request",
            label=str(_("Client's own request to a third party")),
            basis=Basis.CONSENT,
            statute="",
            consent=ConsentRule.REQUIRED,
            notify=Notify.YES,
            # A solicitor's letter is not a court order: without a court order, only the
            # client's own signed release form lets records go to a solicitor (S004).
            required_documents=frozenset({Document.RELEASE_FORM}),
            report_by_default=True,
            special=(
                "Discuss the implications with the client first.",
                "Offer a report instead of the records.",
            ),
        ),
        Category(
            code="court_order",
            label=str(_("Court order or witness summons")),
            basis=Basis.LEGAL_OBLIGATION,
            statute=(
                "Court order / witness summons (Civil Procedure Rules 31; Criminal Procedure Rules)"
            ),
            consent=ConsentRule.NOT_REQUIRED,
            notify=Notify.UNLESS_COURT_DIRECTS,
            required_documents=frozenset({Document.COURT_ORDER}),
            requesters=frozenset({Requester.COURT, Requester.SOLICITOR, Requester.POLICE}),
            places_legal_hold=True,
            report_by_default=True,
            special=("Needs the order itself: a solicitor's letter is not enough.",),
        ),
        Category(
            code="terrorism",
            label=str(_("Terrorism")),
            basis=Basis.LEGAL_OBLIGATION,
            statute="Terrorism Act 2000, ss. 19 and 38B",
            consent=ConsentRule.MUST_NOT_SEEK,
            notify=Notify.NEVER,
            sealed=True,
            special=("Sealed: never shown to the client (tipping off is an offence).",),
        ),
        Category(
            code="money_laundering",
            label=str(_("Drug trafficking or money laundering")),
            basis=Basis.LEGAL_OBLIGATION,
            statute="Proceeds of Crime Act 2002, ss. 330-333A; Drug Trafficking Act 1994",
            consent=ConsentRule.MUST_NOT_SEEK,
            notify=Notify.NEVER,
            sealed=True,
            special=("Sealed: never shown to the client (tipping off is an offence).",),
        ),
        Category(
            code="road_traffic",
            label=str(_("Police road-traffic enquiry")),
            basis=Basis.LEGAL_OBLIGATION,
            statute="Road Traffic Act 1988, s. 172",
            consent=ConsentRule.NOT_REQUIRED,
            notify=Notify.YES,
            # No duty to initiate: only in answer to a recorded police request (S004).
            required_documents=frozenset({Document.POLICE_REQUEST}),
            requesters=frozenset({Requester.POLICE}),
            special=("Only what is relevant to the accident.",),
        ),
        Category(
            code="child_safeguarding",
            label=str(_("Child safeguarding")),
            basis=Basis.DISCRETIONARY_DUTY,
            statute="Children Act 1989, s. 47; Children Act 2004, s. 11",
            consent=ConsentRule.SEEK_UNLESS_RISK,
            notify=Notify.UNLESS_RISK,
            emergency_route=True,
            supervisor_consulted_first=True,
            special=("Refer to the child protection policy immediately.",),
        ),
        Category(
            code="adult_at_risk",
            label=str(_("Adult at risk")),
            basis=Basis.DISCRETIONARY_DUTY,
            statute="Care Act 2014, s. 42",
            consent=ConsentRule.SEEK_UNLESS_RISK,
            notify=Notify.UNLESS_RISK,
            emergency_route=True,
            supervisor_consulted_first=True,
        ),
        Category(
            code="serious_harm",
            label=str(_("Serious harm to self or others")),
            basis=Basis.PUBLIC_INTEREST,
            statute=(
                "Common law duty of confidence: public interest; "
                "UK GDPR Art. 9(2)(c) vital interests"
            ),
            consent=ConsentRule.SEEK_UNLESS_RISK,
            notify=Notify.UNLESS_RISK,
            emergency_route=True,
            supervisor_consulted_first=True,
            special=(
                "Emergency route: release first; supervisor and manager review within 72 hours.",
            ),
        ),
        Category(
            code="complaint",
            label=str(_("Complaint or professional-conduct case")),
            basis=Basis.LEGITIMATE_INTEREST,
            statute="UK GDPR Art. 9(2)(f) legal claims",
            consent=ConsentRule.SEEK_UNLESS_RISK,
            notify=Notify.YES,
            advisers_consulted=True,
            places_legal_hold=True,
            report_by_default=True,
            special=("Minimum necessary; advisers consulted.",),
        ),
        Category(
            code="publication",
            label=str(_("Publication")),
            basis=Basis.CONSENT,
            statute="",
            consent=ConsentRule.REQUIRED,
            consent_scope="publication",
            notify=Notify.YES,
            anonymise_without_consent=True,
        ),
        Category(
            code="training",
            label=str(_("Training")),
            basis=Basis.CONSENT,
            statute="",
            consent=ConsentRule.REQUIRED,
            consent_scope="training",
            notify=Notify.YES,
            anonymise_without_consent=True,
        ),
        Category(
            code="research",
            label=str(_("Research")),
            basis=Basis.CONSENT,
            statute="",
            consent=ConsentRule.REQUIRED,
            consent_scope="research",
            notify=Notify.YES,
            anonymise_without_consent=True,
        ),
        Category(
            code="subject_access",
            label=str(_("Subject access (the client's own records)")),
            basis=Basis.RIGHT_OF_ACCESS,
            statute="UK GDPR Art. 15; Data Protection Act 2018",
            consent=ConsentRule.NOT_APPLICABLE,
            notify=Notify.IS_FOR_CLIENT,
            requesters=frozenset({Requester.CLIENT}),
            needs_supervisor=False,
        ),
    ]
}

CATEGORY_CHOICES = [(code, category.label) for code, category in CATEGORIES.items()]
SEALED_CODES = frozenset(code for code, category in CATEGORIES.items() if category.sealed)


def category(code: str) -> Category:
    return CATEGORIES[code]
