"""Refuse UPDATE, DELETE and TRUNCATE of audit events in the database itself.

The model already refuses them; the trigger also stops raw SQL and other programs that share
the database. Archiving old events (a later command) goes through a dedicated function.
"""

from django.db import migrations

POSTGRES_FORWARD = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    -- Switches for maintenance (archiving, test-database flushes). Whoever can set them on
    -- a connection owns the table and could drop this trigger anyway.
    IF current_setting('practice.audit_archiving', true) = 'on' AND TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    IF current_setting('practice.audit_truncate', true) = 'on' AND TG_OP = 'TRUNCATE' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit events are append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_event_no_update BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only();
"""

POSTGRES_REVERSE = """
DROP TRIGGER IF EXISTS audit_event_no_update ON audit_auditevent;
DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_event_append_only();
"""

SQLITE_FORWARD = [
    """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only (UPDATE refused)'); END;""",
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_auditevent
       WHEN (SELECT COUNT(*) FROM audit_archive_permit) = 0
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only (DELETE refused)'); END;""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS audit_event_no_update;",
    "DROP TRIGGER IF EXISTS audit_event_no_delete;",
]


def forward(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_FORWARD, params=None)
    elif connection.vendor == "sqlite":
        # A one-row switch table the archive command fills inside its own transaction.
        schema_editor.execute("CREATE TABLE audit_archive_permit (id INTEGER PRIMARY KEY)")
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)


def reverse(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_REVERSE, params=None)
    elif connection.vendor == "sqlite":
        for statement in SQLITE_REVERSE:
            schema_editor.execute(statement)
        schema_editor.execute("DROP TABLE IF EXISTS audit_archive_permit")


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(forward, reverse)]
