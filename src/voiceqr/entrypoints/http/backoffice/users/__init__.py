"""The backoffice's people: the user list, a user's page and the staff actions on it."""
