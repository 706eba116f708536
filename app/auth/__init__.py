"""Curators: accounts, passwords, login sessions and the audit log (issue 11, item 3)."""
