from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "consent"

    def ready(self) -> None:
        # Contracting comes before the first factual note (DESIGN.md §7); notes asks through
        # its precondition registry, so notes never imports consent.
        from consent.services import contracting_blocker
        from notes.services import register_factual_note_precondition

        register_factual_note_precondition(contracting_blocker)

        # Retention: consent deletes its own rows of a destroyed client (clients.retention).
        from clients.retention import register_client_destroyer
        from consent.retention import destroy_client_consent

        register_client_destroyer(destroy_client_consent)
