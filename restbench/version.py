"""restbench's version, in a module of its own so that any layer can record it without importing
the package's public face (which would pull in the plugin layer)."""

__version__ = "0.1.0"
