"""`python -m benchmarks`: throughput, latency, broadcast pacing, footprint, scale, look-up.

Everything runs offline, in-process or in child processes on this machine (see README).
"""
