"""Tests of widenets.spectral (x64 and strict rank promotion come from tests/conftest.py)."""
