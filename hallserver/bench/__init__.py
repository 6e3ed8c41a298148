"""Benchmarks that print numbers (not timed tests)."""
