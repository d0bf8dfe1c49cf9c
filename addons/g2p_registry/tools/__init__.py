"""Helpers shared by the G2P addons that are not models (import them by path, e.g.
``from odoo.addons.g2p_registry.tools.sql import pg_array``)."""
