"""Tests of `widenets.mup` (x64 and rank-promotion=raise come from tests/conftest.py)."""
