"""Consent's part in destroying a client (plugged into clients.retention from ConsentConfig).

Consent events are append-only: nothing else may change or delete them. A client's
destruction is the one exception, and it goes through ``clients.retention.destroy_rows``,
which works only inside a destruction that ``clients.retention`` started.
"""

from __future__ import annotations

from clients.models import Client, JointCase
from clients.retention import destroy_rows
from consent.models import ConsentEvent, Contracting, PreparedConsent


def destroy_client_consent(client: Client, joint_cases: list[JointCase]) -> None:
    """Prepared consents first (a signed one points at its consent event), then the consent
    events with their evidence (withdrawals and the grants they withdraw together), then the
    contracting records."""
    destroy_rows(PreparedConsent.objects.filter(client=client))
    destroy_rows(ConsentEvent.objects.filter(client=client))
    destroy_rows(Contracting.objects.filter(client=client))
