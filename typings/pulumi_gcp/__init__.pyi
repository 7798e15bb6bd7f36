from . import container as container
