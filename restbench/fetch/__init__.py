"""Getting things onto the machine: HTTP and hub downloads, archives, test sets, weights, checkpoints.

Modules: ``download`` (HTTP with resume and sha256), ``archives`` (safe extraction), ``datasets``
(fetching a registered test set into the cache), ``weights`` (resolving a variant's checkpoint:
``--weights`` override, cache, hub mirror, release URL), ``checkpoint`` (loading an authors'
checkpoint into a module, ``weights_only``). Everything here works on registry records passed in;
nothing reaches up into the plugin state.
"""
