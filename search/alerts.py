"""Saved-search alerts: new tenders matched and emailed (search issue, UI)."""
