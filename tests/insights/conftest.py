"""Fixtures the insight tests share."""

import pytest

from tests.factories import PersonFactory


@pytest.fixture
def buddy():
    """Bea Buddy, the front-line employee an executive sat beside."""
    return PersonFactory(full_name="Bea Buddy", roles=["Front-line employee"])
