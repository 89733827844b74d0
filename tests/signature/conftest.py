"""Tests of `widenets.signature` (x64 and rank-promotion=raise come from tests/conftest.py)."""
