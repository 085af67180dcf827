"""Tests of the collector distribution, one package per part of it (conftest: shared fixtures)."""
