"""Users, roles, password hashing and bearer tokens."""
