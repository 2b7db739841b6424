"""Decisions on applications: the decision document (pure, :mod:`.document` and :mod:`.pdf`)."""
