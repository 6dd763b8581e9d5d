"""Signals other parts of the console listen to."""

from django.dispatch import Signal

# Sent with ``run`` after a sync run's changes are committed (on_commit), so
# that listeners (the dashboard's membership-size samples) see the new state.
sync_applied = Signal()
