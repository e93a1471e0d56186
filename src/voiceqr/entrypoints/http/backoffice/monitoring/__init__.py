"""Monitoring: failure statistics against the alert threshold, and the audit log."""
