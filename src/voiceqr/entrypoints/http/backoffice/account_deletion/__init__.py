"""Deleting an account from the backoffice: the confirmation page and its API (admins)."""
