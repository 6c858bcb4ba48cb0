from . import test_lib
from . import test_outbox
from . import test_relay
from . import test_inbox
from . import test_security
from . import test_ui
from . import test_picking_hooks
