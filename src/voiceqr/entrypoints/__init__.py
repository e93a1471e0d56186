"""Thin entrypoints: the HTTP app, the operator CLI and the background worker."""
