from . import container as container
from . import organizations as organizations
from . import storage as storage
