"""Tests of `widenets.edgeworth` (x64 and rank-promotion=raise come from tests/conftest.py)."""
