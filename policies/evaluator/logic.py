"""Three-valued logic (Kleene): True, False, and None for "the console cannot tell"."""


def not3(value):
    return None if value is None else not value


def and3(*values):
    """False if any is False; else None if any is None; else True."""
    if any(value is False for value in values):
        return False
    if any(value is None for value in values):
        return None
    return True


def or3(*values):
    """True if any is True; else None if any is None; else False."""
    if any(value is True for value in values):
        return True
    if any(value is None for value in values):
        return None
    return False
