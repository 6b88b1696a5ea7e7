"""Correlation: SIP messages into transactions, dialogs, subscriptions, registrations and calls, and findings."""
