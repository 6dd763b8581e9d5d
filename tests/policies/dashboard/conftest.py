import pytest
from django.utils import timezone

from tests.policies.dashboard import scenario as scenario_module


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def scenario(db, now):
    """The known-answer directory and policies (see scenario.py)."""
    return scenario_module.build(now)
