"""In-process stand-ins for the embedded single process: they forget everything on restart."""
