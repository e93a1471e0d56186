"""Publishing the terms and privacy policy: /admin/legal (administrators)."""
