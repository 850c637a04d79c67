"""Staff accounts: password hashing, session tokens."""
