"""Disclosures' part in destroying a client (plugged into clients.retention from
DisclosuresConfig).

The register of disclosures is immutable and requests are protected from deletion: nothing
else may remove them. A client's destruction is the one exception, and it goes through
``clients.retention.destroy_rows``, which works only inside a destruction that
``clients.retention`` started. The released documents (the stored PDFs and subject access
bundles) go with their requests.
"""

from __future__ import annotations

import uuid

from clients.models import Client, JointCase
from clients.retention import destroy_rows
from disclosures.models import DisclosureRequest, RegisterEntry, SubjectAccessRequest


def destroy_client_disclosures(client: Client, joint_cases: list[JointCase]) -> None:
    """Subject access requests first (each points at its bundle), then the register entries
    (they point at their requests, and corrections at what they correct), then the requests
    with their documents, gate decisions, selections, withholdings and released documents."""
    destroy_rows(SubjectAccessRequest.objects.filter(client=client))
    destroy_rows(RegisterEntry.objects.filter(client=client))
    destroy_rows(DisclosureRequest.objects.filter(client=client))


def clients_awaiting_access(client_ids: set[uuid.UUID]) -> set[uuid.UUID]:
    """Clients whose request for their records is still open (or paused)."""
    return set(
        SubjectAccessRequest.objects.filter(
            client_id__in=client_ids,
            status__in=[SubjectAccessRequest.Status.OPEN, SubjectAccessRequest.Status.PAUSED],
        ).values_list("client_id", flat=True)
    )
