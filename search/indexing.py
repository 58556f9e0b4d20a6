"""Index updates from marketplace events (search issue, engine)."""
