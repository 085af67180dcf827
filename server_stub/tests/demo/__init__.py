"""The demo: synthetic data through the real pipeline."""
