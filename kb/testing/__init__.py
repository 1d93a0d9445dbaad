"""Helpers for tests and benchmarks: real servers, thrown away afterwards."""
