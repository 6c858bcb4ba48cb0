"""What differs between the Odoo series this addon runs on (18.0 and 19.0), in one place.

The addon is one source tree for both series (see README.md, "One tree for Odoo 18 and 19"): every
name Odoo renamed between them is read from here, so the rest of the code never tests the version.
"""
from odoo import release

SERIES = release.version_info[0]
"""Major version of the running Odoo: 18 or 19."""

CONSTRAINT_OBJECTS = SERIES >= 19
"""19 declares SQL constraints as ``models.Constraint`` attributes and ignores ``_sql_constraints``
(a warning only: the constraint would silently not exist); 18 knows only ``_sql_constraints``.
Both name the constraint ``<table>_<name>``, so an upgrade from 18 to 19 keeps the same one."""

PACKAGE_MODEL = 'stock.package' if SERIES >= 19 else 'stock.quant.package'
"""The physical package (an SSCC) a move line is packed into."""

GROUP_USERS = 'user_ids' if SERIES >= 19 else 'users'
"""``res.groups`` field of the group's members."""

USER_GROUPS = 'group_ids' if SERIES >= 19 else 'groups_id'
"""``res.users`` field of the user's groups."""

GROUP_PLACE = 'privilege_id' if SERIES >= 19 else 'category_id'
"""Where a group is placed on the user form: an ``ir.module.category`` on 18, a
``res.groups.privilege`` (itself in a category) on 19."""


GROUP_IMPLIED = 'all_implied_ids' if SERIES >= 19 else 'trans_implied_ids'
"""``res.groups`` field of the groups a group implies, transitively (19's includes the group itself)."""


def group_users(group):
    """The members of a ``res.groups`` record."""
    return group[GROUP_USERS]


ORDER_LINE_UOM = 'product_uom_id' if SERIES >= 19 else 'product_uom'
"""Unit of a ``sale.order.line`` / ``purchase.order.line`` (``stock.move.product_uom`` kept its name)."""


MOVE_DESCRIPTION = {} if SERIES >= 19 else {'name': '/'}
"""Values a new ``stock.move`` needs for its description: 18 requires ``name``, 19 dropped the field."""
