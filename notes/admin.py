"""No clinical model is registered in the admin: notes are reached only through notes.access."""
