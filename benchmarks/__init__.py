"""Side-by-side measurements, printed as ratios: `python -m benchmarks [name…]`."""
