"""Wuding's platform kernel: event store, relay, projections, inbox, observability, HTTP helpers.

Every service imports it; nothing here knows about communities, quotas or budgets.
"""
