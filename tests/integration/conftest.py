"""Integration fixtures: the one session lab every lab test shares (started once, on first use,
stopped at the end of the session; see lab_fixture.py)."""

from lab_fixture import lab_env_fixture, lab_session_fixture

__all__ = ["lab_env_fixture", "lab_session_fixture"]
