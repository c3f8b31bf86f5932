"""First published versions of the client confidentiality agreement and privacy notice, so a
new practice can record contracting at once. A service manager publishes their own wording."""

from django.db import migrations
from django.utils import timezone

AGREEMENT = """\
What you say in counselling is confidential. This agreement explains what that means and
where its limits are.

Who sees your information. Your counsellor keeps brief notes of each session. Your counsellor
discusses their work in supervision, which is part of good practice; in supervision you are
referred to by a reference number, not your name.

Where your notes are kept. Your name and contact details are kept apart from your session
notes. Both are stored encrypted. Factual notes are kept for seven years after counselling
ends (or until your 25th birthday if you are under 18 and that is later). Your counsellor's
personal process notes are destroyed after their next supervision session.

Nothing is shared without your written consent, except:
- where the law requires it: a court order; information about terrorism; drug trafficking
  or money laundering; when the police ask about a road traffic accident;
- where there is a serious risk of harm to you or to someone else, or a child or adult
  at risk needs protecting;
- if a formal complaint is made about your counsellor, when only what is needed is shared.
Wherever we can, we will talk to you first. In a few cases the law does not allow us to.

Your records. You can ask to see everything we hold about you, including your counsellor's
notes. You can withdraw any consent you have given at any time.
"""

PRIVACY_NOTICE = """\
This notice explains how the practice uses your personal information.

What we hold: your name, contact details, date of birth and GP details; notes of your
sessions; records of your consent; and a record of any time your information was shared.

Why: to provide counselling safely, to meet our professional and legal duties, and to keep
accurate records. The lawful basis is the provision of health and social care.

Who sees it: your counsellor, and in supervision (by reference number only) their
supervisor. The service manager sees your contact details to arrange your counselling.
Information leaves the practice only as the confidentiality agreement describes.

How long: see the confidentiality agreement.

Your rights: to see your records, to have mistakes corrected, to ask for them to be erased
where the law allows, to object, and to complain to the Information Commissioner's Office
(ico.org.uk, 0303 123 1113).
"""


def publish(apps, schema_editor):
    DocumentVersion = apps.get_model("consent", "DocumentVersion")
    now = timezone.now()
    for kind, title, text in [
        ("agreement", "Confidentiality agreement", AGREEMENT),
        ("privacy_notice", "Privacy notice", PRIVACY_NOTICE),
    ]:
        if not DocumentVersion.objects.filter(kind=kind).exists():
            DocumentVersion.objects.create(
                kind=kind, version="1", title=title, text=text, published_at=now
            )


class Migration(migrations.Migration):
    dependencies = [("consent", "0001_initial")]
    operations = [migrations.RunPython(publish, migrations.RunPython.noop)]
