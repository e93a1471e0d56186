"""Failed generations: the administrators recover them (list, retry, cancel, edit)."""
