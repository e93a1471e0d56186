"""The voice gallery, run by staff: voices, their samples, publishing and order."""
