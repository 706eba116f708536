"""Trainer mode: personas, the eight profiles, comparisons and class voting (issue 12)."""
