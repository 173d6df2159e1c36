"""Optimisation cores: pure functions over plain data (no Django), so they can be proven
against brute force and benchmarked on their own. Services turn model objects into
their inputs and their outputs back into bookings and pairings."""
