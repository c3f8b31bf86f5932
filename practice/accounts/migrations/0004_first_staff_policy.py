"""Publish a first version of the staff confidentiality policy, so that no one opens client
data before accepting one. A service manager publishes the practice's own wording later."""

from django.db import migrations
from django.utils import timezone

TEXT = """\
The service we provide is confidential. Nothing about a client is passed on or discussed
outside the practice without the client's informed consent, except where the law requires it
or there is a serious risk of harm, and then only through the disclosures workflow.

1. Client information is shared only within the practice and within supervision, on a
   need-to-know basis. In supervision, refer to clients by their reference, not their name.
2. If a client may seriously harm themselves or others, consult your supervisor before you
   act, and tell the service manager. In an emergency, act first and record it at once.
3. If a young person under 18 may be at risk, follow the child protection policy immediately.
4. Do not share information with, or arrange meetings with, a client's family, friends,
   acquaintances or colleagues unless your supervisor or the service manager has agreed.
5. Never leave client information on a desk or an unlocked screen. Sign out, or let the
   application lock, when you step away. Discuss clients only where you cannot be overheard.
6. Every time you open a client's record it is recorded, with the reason when it is not your
   own client. Use break-glass access only when you genuinely must.
7. Your duty of confidentiality continues after the work with a client ends, and after you
   leave the practice.
"""


def publish(apps, schema_editor):
    StaffPolicy = apps.get_model("accounts", "StaffPolicy")
    if not StaffPolicy.objects.exists():
        StaffPolicy.objects.create(
            version="1",
            title="Confidentiality policy for staff and volunteers",
            text=TEXT,
            published_at=timezone.now(),
        )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_staff_policy")]
    operations = [migrations.RunPython(publish, migrations.RunPython.noop)]
