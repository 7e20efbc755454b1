"""How much each scoring choice moves the number, on the same model outputs.

"Why is my SSIM 0.95 when the paper says 0.961?" is almost always a protocol difference, not a
model difference: Y instead of RGB, a border crop, 8-bit rounding, or one of the three things
called SSIM. :func:`scorings_for` lists the variant's own protocol and, one choice at a time,
its alternatives; :func:`explain_outputs` scores one stream of (output, target) pairs under all
of them at once, so the model runs once and nothing but the scoring differs between rows.

The alternatives per choice:

* colour — RGB ↔ Y, and each implementation of BT.601 Y (BasicSR's float32 path, MATLAB's
  ``rgb2ycbcr`` on uint8, KAIR's uint8 path); on a grey image all of these are the image itself.
* crop — none when the protocol crops; otherwise a border of ``alt_crop`` pixels (default: the
  scale for SR, else 4, an arbitrary but common choice — pass ``--crop`` for another).
* rounding — float scores instead of 8-bit levels, or the other way round.
* SSIM — Wang's ``ssim_index.m``, MATLAB's built-in ``ssim``, scikit-image with ``data_range=1``
  and with ``data_range=2`` (what skimage < 0.20 silently used for float images).
* other papers — the scoring rules (not the degradation) of every other protocol for the task.
* alignment — for an aligned protocol (RealBlur), the one alternative is the plain whole-image
  scoring without registration; colour, crop and SSIM are fixed by the alignment script.
* pyiqa — its ``psnr``/``ssimc`` (RGB) and ``psnry``/``ssim`` (Y) metrics with their defaults
  (no crop, float inputs), when pyiqa is installed; restbench's own metrics never need it. pyiqa's
  default Y is YIQ's full-range luma (0.299 R + 0.587 G + 0.114 B), not BT.601 studio-swing Y
  (16–235): on the same error that alone lowers PSNR by 20·log10(255/219) ≈ 1.32 dB.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field, replace
from typing import Iterable, Mapping, Sequence

import torch

from restbench.metrics import fidelity as metrics
from restbench.protocols.named import PROTOCOLS, Protocol

_Y_MODES = (
    ("basicsr", "Y, BasicSR/SwinIR float32 path"),
    ("matlab-u8", "Y, MATLAB rgb2ycbcr on uint8"),
    ("kair-u8", "Y, KAIR rgb2ycbcr on uint8"),
)
_SSIM = (
    ("wang", 1.0, "SSIM Wang ssim_index.m (11x11 Gaussian, valid)"),
    ("matlab", 1.0, "SSIM MATLAB built-in (replicate pad; 3-D on RGB)"),
    ("skimage", 1.0, "SSIM skimage, data_range=1 (7x7 uniform)"),
    ("skimage", 2.0, "SSIM skimage, data_range=2 (old skimage float default)"),
)
_PYIQA = (
    (("psnr", "ssimc"), "pyiqa psnr / ssimc (RGB, defaults)"),
    (("psnry", "ssim"), "pyiqa psnry / ssim (Y of YIQ, full range; defaults)"),
)


@dataclass(frozen=True)
class Scoring:
    """One way of turning (output, target) into PSNR and SSIM; a protocol's scoring half."""

    label: str
    group: str
    colour: str = "rgb"
    y_mode: str | None = None
    crop: int = 0
    uint8: bool = True
    ssim: str = "wang"
    data_range: float = 1.0
    pyiqa: tuple[str, str] | None = None
    align: str | None = None  # "realblur-ecc": register output onto target, masked metrics

    @classmethod
    def of(cls, protocol: Protocol, scale: int, label: str, group: str) -> "Scoring":
        return cls(label, group, protocol.colour, protocol.y_mode if protocol.colour == "y" else None,
                   protocol.crop_pixels(scale), protocol.uint8, protocol.ssim, protocol.ssim_data_range,
                   align=protocol.align)

    def describe(self) -> str:
        if self.pyiqa:
            return f"pyiqa {self.pyiqa[0]}/{self.pyiqa[1]}, float input, no crop"
        if self.align:
            return f"RGB aligned ({self.align}), masked PSNR/SSIM, {'uint8' if self.uint8 else 'float'}"
        space = "RGB/grey" if self.colour == "rgb" else f"Y[{self.y_mode}]"
        ssim = self.ssim if self.ssim != "skimage" else f"skimage(range {self.data_range:g})"
        return f"{space}, crop {self.crop}, {'uint8' if self.uint8 else 'float'}, SSIM {ssim}"

    def score(self, out: torch.Tensor, target: torch.Tensor) -> tuple[list[float], list[float]]:
        """Per-image PSNR and SSIM of a (N, C, H, W) batch in [0, 1]."""
        if self.pyiqa:
            ps = metrics.pyiqa_score(self.pyiqa[0], out, target)
            ss = metrics.pyiqa_score(self.pyiqa[1], out, target)
        elif self.align:
            from restbench.metrics import alignment as realblur

            ps, ss = realblur.masked_psnr_ssim(out, target, uint8=self.uint8)
        else:
            y_mode = self.y_mode if self.colour == "y" else None
            ps = metrics.psnr(out, target, crop=self.crop, y_mode=y_mode, uint8=self.uint8)
            ss = metrics.ssim(out, target, flavour=self.ssim, crop=self.crop, y_mode=y_mode, uint8=self.uint8,
                              data_range=self.data_range)
        return ps.cpu().tolist(), ss.cpu().tolist()


def pyiqa_available() -> bool:
    return importlib.util.find_spec("pyiqa") is not None


def scorings_for(
    protocol: Protocol,
    scale: int = 1,
    *,
    task: str | None = None,
    alt_crop: int | None = None,
    pyiqa: bool = True,
) -> list[Scoring]:
    """The protocol's own scoring first, then each alternative (one choice changed per row)."""
    own = Scoring.of(protocol, scale, f"own protocol ({protocol.name})", "own")
    rows = [own]
    if own.align:
        # The aligned scoring fixes colour, crop and SSIM; the one choice worth showing is alignment.
        rows.append(replace(own, label="no alignment (RGB, whole image, Wang SSIM)", group="align", align=None))
        return rows + _other_protocols(protocol, scale, task, pyiqa)
    if own.colour == "rgb":
        rows += [replace(own, label=lab, group="colour", colour="y", y_mode=m) for m, lab in _Y_MODES]
    else:
        rows.append(replace(own, label="RGB (all channels)", group="colour", colour="rgb", y_mode=None))
        rows += [replace(own, label=lab, group="colour", y_mode=m) for m, lab in _Y_MODES if m != own.y_mode]
    if own.crop:
        rows.append(replace(own, label="no border crop", group="crop", crop=0))
    alt = alt_crop if alt_crop is not None else (scale if scale > 1 else 4)
    if alt and alt != own.crop:
        rows.append(replace(own, label=f"border crop {alt} px", group="crop", crop=alt))
    rows.append(replace(own, label="float (no 8-bit rounding)" if own.uint8 else "rounded to 8-bit levels",
                        group="rounding", uint8=not own.uint8))
    for flavour, rng, lab in _SSIM:
        if (flavour, rng) != (own.ssim, own.data_range if own.ssim == "skimage" else 1.0):
            rows.append(replace(own, label=lab, group="ssim", ssim=flavour, data_range=rng))
    return rows + _other_protocols(protocol, scale, task, pyiqa)


def _other_protocols(protocol: Protocol, scale: int, task: str | None, pyiqa: bool) -> list[Scoring]:
    """The scoring rules of every other protocol for ``task``, then pyiqa's when installed.

    Aligned protocols (RealBlur) are left out: for a non-aligned protocol the images are already
    registered, and for an aligned one the others with the same ``align`` score identically.
    """
    rows = [Scoring.of(p, scale, f"scoring of {p.name}", "protocol")
            for p in PROTOCOLS.values() if p.name != protocol.name and task in p.tasks and not p.align]
    if pyiqa and pyiqa_available():
        rows += [Scoring(lab, "pyiqa", pyiqa=names) for names, lab in _PYIQA]
    return rows


@dataclass
class Explained:
    """Per-image scores of every scoring that worked; ``skipped`` says why the others did not."""

    scorings: list[Scoring]
    psnr: dict[str, list[float]] = field(default_factory=dict)
    ssim: dict[str, list[float]] = field(default_factory=dict)
    skipped: list[dict] = field(default_factory=list)
    n_images: int = 0

    def mean(self, label: str, metric: str) -> float | None:
        vals = (self.psnr if metric == "psnr" else self.ssim).get(label)
        return sum(vals) / len(vals) if vals else None

    def rows(self, claim=None) -> list[dict]:
        """Table rows: setting, means, Δ vs the own protocol, and vs the paper's claim when given."""
        own = self.scorings[0].label
        p0, s0 = self.mean(own, "psnr"), self.mean(own, "ssim")
        out = []
        for sc in self.scorings:
            if sc.label not in self.psnr:
                continue
            p, s = self.mean(sc.label, "psnr"), self.mean(sc.label, "ssim")
            row = dict(setting=sc.label, group=sc.group, scoring=sc.describe(), psnr=p, ssim=s,
                       d_psnr=None if p0 is None else p - p0, d_ssim=None if s0 is None else s - s0)
            if claim is not None:
                row["psnr_vs_paper"] = None if claim.psnr is None else p - claim.psnr
                row["ssim_vs_paper"] = None if claim.ssim is None else s - claim.ssim
            out.append(row)
        return out


def explain_outputs(
    pairs: Iterable[tuple[str, torch.Tensor, torch.Tensor]], scorings: Sequence[Scoring], scale: int = 1
) -> Explained:
    """Score each (name, output, target) under every scoring; the stream is consumed once.

    A scoring that fails on an image (a crop larger than the image, pyiqa missing a dependency) is
    dropped for all images and listed in ``skipped`` — a mean over a different subset of images
    would not be comparable with the others.
    """
    res = Explained(list(scorings))
    alive = {sc.label: sc for sc in scorings}
    for _, out, target in pairs:
        res.n_images += 1
        for label, sc in list(alive.items()):
            try:
                ps, ss = sc.score(out, target)
            except Exception as exc:  # noqa: BLE001 - reported per scoring, the others go on
                res.skipped.append(dict(setting=label, reason=f"{type(exc).__name__}: {exc}"))
                alive.pop(label)
                res.psnr.pop(label, None)
                res.ssim.pop(label, None)
                continue
            res.psnr.setdefault(label, []).extend(ps)
            res.ssim.setdefault(label, []).extend(ss)
    if scorings and scorings[0].label not in alive:
        raise ValueError(f"the variant's own protocol could not be scored: {res.skipped[0]['reason']}")
    return res


def _num(x, fmt: str) -> str:
    return "—" if x is None else format(x, fmt)


def format_table(doc: Mapping) -> str:
    """The terminal view of an ``explain`` document (what ``--json`` prints)."""
    import pandas as pd

    lvl = " ".join(f"{k}={v}" for k, v in doc["level"].items() if v is not None)
    claim = doc.get("claim")
    head = [
        f"{doc['variant']} on {doc['dataset']} ({lvl or 'no level'}, {doc['channels']}), {doc['n_images']} image(s), "
        f"own protocol {doc['protocol']}; weights: {doc['weights']['source']}",
    ]
    if doc.get("partial"):
        head.append("subset of the set (--limit): the paper's number is for the full set")
    if claim:
        ss = f" / SSIM {claim['ssim']}" if claim.get("ssim") is not None else ""
        head.append(f"paper: PSNR {claim['psnr']}{ss} ({claim['source']})")
    else:
        head.append("paper: no claim for this set and level")
    recs = []
    for r in doc["rows"]:
        rec = {
            "setting": r["setting"],
            "PSNR": _num(r["psnr"], ".4f"),
            "SSIM": _num(r["ssim"], ".5f"),
            "ΔPSNR": _num(r["d_psnr"], "+.4f"),
            "ΔSSIM": _num(r["d_ssim"], "+.5f"),
        }
        if claim and claim.get("psnr") is not None:
            rec["PSNR − paper"] = _num(r.get("psnr_vs_paper"), "+.3f")
        if claim and claim.get("ssim") is not None:
            rec["SSIM − paper"] = _num(r.get("ssim_vs_paper"), "+.4f")
        rec["scoring"] = r["scoring"]
        recs.append(rec)
    lines = [*head, "", pd.DataFrame(recs).to_markdown(index=False, disable_numparse=True)]
    for s in doc.get("skipped") or ():
        lines.append(f"skipped {s['setting']}: {s['reason']}")
    lines.append("Δ = setting − own protocol, on the same outputs; only the scoring differs between rows.")
    return "\n".join(lines)
