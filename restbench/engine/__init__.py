"""Running evaluations: which variants run where (select, plan), with which options (a typed
dataclass, never an argparse namespace), how a model is built and fed (models, inference), the
per-job loop that writes the results store (runner), and running every paper claim reachable here
(claims).
"""
