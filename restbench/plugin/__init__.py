"""Plugins: the hook specs every model/test-set plugin implements, and the manager that loads them.

Public face: :data:`hookimpl` and :data:`hookspec` (the markers plugins use), the hook specs in
:mod:`restbench.plugin.hookspecs`, and the loader in :mod:`restbench.plugin.manager` (``get_state``).
The built-in baselines and test sets (:mod:`restbench.plugin.builtin`) register through the very
same hooks as a third party's package; ``restbench new-plugin`` writes one from
:mod:`restbench.plugin.scaffold`'s templates. The manager is imported lazily so that
``import restbench`` stays cheap for a plugin that only needs the marker.
"""

from restbench.plugin.hookspecs import hookimpl, hookspec

__all__ = ["hookimpl", "hookspec"]
