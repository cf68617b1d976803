"""The demo simulator and the benchmark loaders: they drive the product through its services
and are not part of its core."""
