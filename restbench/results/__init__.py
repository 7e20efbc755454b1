"""What was measured: the JSON Lines results store (one resumable file per job, sealed with a
summary) and the verdicts that compare a sealed summary with its paper's claim.

Modules: ``store`` (JobStore, job keys, reading sealed summaries), ``verdict`` (REPRODUCED /
DEVIATES with decimal-exact tolerances).
"""
