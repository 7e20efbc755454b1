"""Plugins that ship with restbench; registered through the same hooks as third-party ones."""
