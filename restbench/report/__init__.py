"""Turning the results store into what people read: leaderboards (markdown, CSV), figures, the
run summary printed after ``restbench run``, and publishing to a Hugging Face dataset repo.

Modules: ``boards``, ``plots``, ``summary``, ``publish``. Boards are generated from measured
results only.
"""
