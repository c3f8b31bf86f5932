from django.apps import AppConfig


class NotesConfig(AppConfig):
    name = "notes"

    def ready(self) -> None:
        # Retention (DESIGN.md §7): notes tells clients.retention which process notes are due
        # and deletes its own rows of a destroyed client; clients never imports notes.
        from clients.retention import register_client_destroyer, register_process_note_retention
        from notes.retention import destroy_client_notes, destroy_process_notes, due_process_notes

        register_process_note_retention(due_process_notes, destroy_process_notes)
        register_client_destroyer(destroy_client_notes)
