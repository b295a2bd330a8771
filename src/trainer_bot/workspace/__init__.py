"""Each guild's workspace on disk: the one place member-typed paths are resolved, and the file commands' work."""
