"""What a model costs: parameters, MACs (fvcore, with the papers' counting conventions), peak
memory and latency, and the on-disk cache that keeps counts between runs.

Modules: ``measure`` (count_macs, peak_memory, latency), ``cache`` (ParamCounts, MacCounts:
memoised per builder, plugin version, kwargs and input size), ``profile`` (one profile row for a
built model at one input size: what ``restbench profile`` and ``restbench ablate`` print).
"""
