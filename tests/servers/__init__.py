"""Real servers on 127.0.0.1 for the network-source tests and benchmarks."""
