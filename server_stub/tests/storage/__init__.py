"""Raw storage on SQLite and PostgreSQL."""
