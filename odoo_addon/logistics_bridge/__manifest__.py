{
    'name': 'Logistics Bridge',
    'summary': 'Transactional outbox, idempotent inbox and device status between Odoo and warehouse automation',
    'description': 'Outbox of business events for a logistics sidecar, idempotent inbox of device updates, '
                   'device registry and automation status on pickings. See README.md.',
    # No series prefix: Odoo prefixes its own (18.0.1.3.0 on 18, 19.0.1.3.0 on 19), so one tree installs on both.
    'version': '1.3.0',
    'category': 'Inventory/Inventory',
    'license': 'LGPL-3',
    'author': 'Odoo Logistics Bridge contributors',
    'depends': ['stock', 'sale_stock', 'purchase_stock'],
    'data': [
        'security/logistics_bridge_groups.xml',
        'security/ir.model.access.csv',
        'security/logistics_bridge_rules.xml',
        'data/logistics_bridge_data.xml',
        'views/logistics_bridge_event_views.xml',
        'views/logistics_bridge_update_views.xml',
        'views/logistics_bridge_dead_letter_views.xml',
        'views/logistics_bridge_device_views.xml',
        'views/logistics_bridge_timeline_views.xml',
        'views/logistics_bridge_dashboard_views.xml',
        'views/logistics_bridge_vda_node_views.xml',
        'views/logistics_bridge_sort_rule_views.xml',
        'views/logistics_bridge_sla_breach_views.xml',
        'views/stock_picking_views.xml',
        'views/sale_order_views.xml',
        'views/purchase_order_views.xml',
        'views/res_config_settings_views.xml',
        'views/menus.xml',
    ],
    'assets': {
        'web.assets_tests': [
            'logistics_bridge/static/tests/tours/*.js',
        ],
    },
    'installable': True,
}
