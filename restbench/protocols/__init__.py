"""Named evaluation protocols: how each paper degrades its inputs and scores its outputs.

Public face: ``PROTOCOLS``, ``get_protocol``, ``protocol_for``, ``evaluate``, ``degrade`` … from
:mod:`.named`. Modules: ``named`` (the protocol records and the per-paper defaults),
``degradations`` (noise seeding, JPEG, bicubic exactly as each paper's script makes its inputs),
``imresize`` (MATLAB's ``imresize``, bit-exact on uint8). docs/protocols.md describes each one.
"""

from restbench.protocols.named import *  # noqa: F401,F403
from restbench.protocols.named import __all__ as _named_all

__all__ = list(_named_all)
