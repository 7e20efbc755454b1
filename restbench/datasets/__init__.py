"""Test sets: what each one is (:class:`DatasetSpec`), where it lives on disk, and how to read it.

Modules: ``spec`` (the records), ``imageio`` (decoding like cv2), ``locate`` (finding a set),
``load`` (pairing, crop rules, samples), ``manifest`` (hashes, checksums). Downloading a set is the fetch
stage's job (:mod:`restbench.fetch.datasets`); this package only reads what is on disk.

A set lives in ``<data-root>/<Name>/`` in the layout the authors' own test scripts read, so a
folder prepared for SwinIR, KAIR or Restormer works as it is:

* ``sr``       — ``HR/*.png`` plus ``LR_bicubic/X{s}/{name}x{s}.png`` (SwinIR ``testsets/Set5``).
  ``HR/`` may be absent when the images sit in the set folder itself (Restormer's ``Urban100/``).
  Without an ``LR_bicubic/X{s}`` folder the LR image is synthesised by the harness (MATLAB bicubic
  of the HR image modcropped to a multiple of the scale — the SR papers' recipe).
* ``hr-only``  — clean images directly in the folder (``Set12/*.png``, ``McMaster/*.tif``,
  ``classic5/*.bmp``); the harness applies the degradation (noise, JPEG) from the protocol.
* ``paired``   — ``input/`` and ``target/`` (Restormer: ``Datasets/test/GoPro/input``); DPDD uses
  ``inputC/`` and ``target/`` (Restormer's ``test.zip``; ``inputL``/``inputR`` are the dual-pixel views).
* ``mat``      — SIDD validation: ``ValidationNoisyBlocksSrgb.mat`` + ``ValidationGtBlocksSrgb.mat``
  (40 images x 32 blocks of 256x256, read with ``scipy.io.loadmat`` like Restormer's script).

Each set folder is looked for as ``<root>/<Name>``, ``<root>/<Name>/test`` and ``<root>/test/<Name>``
(also under the authors' folder names, e.g. ``RealBlur_J``, ``Kodak``), first in ``--data-root`` and
then in the download cache (:func:`restbench.paths.datasets_dir`). The ``demo`` set ships inside
the package.

Images come back as uint8 HxWxC arrays in RGB order (C=3) or grey (C=1), decoded the way the
authors' OpenCV-based scripts decode them; see :func:`read_image` and :func:`to_grey` for the
details that matter (16-bit PNGs, grey conversion rules).
"""

from restbench.datasets.imageio import read_image, to_grey, to_rgb
from restbench.datasets.load import load_samples, sample_sizes, split_members
from restbench.datasets.locate import default_data_root, find_root, how_to_get, packaged_root, spec_of
from restbench.datasets.manifest import file_sha256, known_checksums, manifest_files, manifest_hash, verify_dataset, verify_folder
from restbench.datasets.spec import IMAGE_SUFFIXES, LAYOUTS, SR_TASKS, DatasetError, DataSource, DatasetSpec, Sample

__all__ = [
    "IMAGE_SUFFIXES",
    "LAYOUTS",
    "SR_TASKS",
    "DataSource",
    "DatasetError",
    "DatasetSpec",
    "Sample",
    "default_data_root",
    "file_sha256",
    "find_root",
    "how_to_get",
    "known_checksums",
    "load_samples",
    "manifest_files",
    "manifest_hash",
    "mirror_dataset",
    "packaged_root",
    "read_image",
    "sample_sizes",
    "spec_of",
    "split_members",
    "to_grey",
    "to_rgb",
    "verify_dataset",
    "verify_folder",
]
