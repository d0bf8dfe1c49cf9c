"""Constants shared by the G2P addons (import them by path:
``from odoo.addons.g2p_registry.const import SECRET_GROUPS``)."""

#: Who may read and change credentials (connector, ODK, SOAP and SMS gateway passwords, keys and
#: tokens, a batch's callback token): G2P administrators and Settings administrators. Every secret
#: field carries ``groups=SECRET_GROUPS`` and ``copy=False``; the jobs and flows that need a secret
#: while running as another role read it with ``sudo()``.
SECRET_GROUPS = "base.group_system,g2p_registry.group_g2p_admin"
