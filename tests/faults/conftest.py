"""The fault tests: a package of their own (shared helpers come in by relative import).

A fresh recorder and uploader per test come from the shared fixture (tests/conftest.py,
``fresh_state``); the real collector process and the plugin-index server are the end-to-end
tests' (``e2e.e2e_support``).
"""
