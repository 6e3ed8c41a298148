"""Simulated devices that speak the real protocol over the real broker (demo, load tests)."""
