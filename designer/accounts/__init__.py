"""Accounts on a team server: confirmed e-mail addresses and invitations by e-mail."""
