"""The benchmark harness behind ``tools/benchmark.py`` (``harness``); it sits beside
the models it measures and below ``apis``."""
