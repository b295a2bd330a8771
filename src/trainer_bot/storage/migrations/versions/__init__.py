"""Schema revisions, oldest first. Never edit one that has shipped; add a new revision instead."""
