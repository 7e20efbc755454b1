"""Why a number is what it is: ``explain`` (the same outputs scored under every alternative
protocol choice), ``compare`` (side-by-side crops), ``ablate`` (inference settings and component
swaps). A library that takes loaded models and tensors; the command line calls it.
"""
