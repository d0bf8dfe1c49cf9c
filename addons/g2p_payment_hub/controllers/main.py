"""Inbound callbacks from payment processors (connector types add their routes here)."""
