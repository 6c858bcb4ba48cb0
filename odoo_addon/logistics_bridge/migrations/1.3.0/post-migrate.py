"""1.3.0 keeps a picking's automation state as lib/picking_state.py's fields (progress, open failure).

Pickings released before it only have the shown state: its progress becomes the progress; an exception
of theirs does not say which step failed, so it is taken as the release's (any later success clears it,
as any later update did before).
"""


def migrate(cr, version):
    cr.execute("""
        UPDATE stock_picking
           SET lb_progress = CASE WHEN lb_automation_state = 'exception' THEN 'released' ELSE lb_automation_state END,
               lb_progress_at = COALESCE(lb_last_update_at, write_date),
               lb_exception_step = CASE WHEN lb_automation_state = 'exception' THEN 'released' END,
               lb_exception_at = CASE WHEN lb_automation_state = 'exception' THEN COALESCE(lb_last_update_at, write_date) END
         WHERE lb_automation_state IS NOT NULL AND lb_progress IS NULL""")
