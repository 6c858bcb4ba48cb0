# Pure python helpers: no ORM import, importable and testable without Odoo.
