"""Restormer (Zamir et al., CVPR 2022) with swz30/Restormer's parameter layout.

A 4-level U-shaped Transformer. Every block is ``x + attn(norm1(x))`` then ``x + ffn(norm2(x))``:

* **MDTA** (multi-Dconv head transposed attention): queries/keys/values come from a 1x1 conv
  followed by a 3x3 depth-wise conv, and attention is computed *across channels* (a C/h x C/h map
  per head) instead of across pixels, so the cost grows linearly with image size. Queries and keys
  are L2-normalised along the pixel axis and the logits are scaled by a learnable per-head
  ``temperature`` instead of ``1/sqrt(d)``.
* **GDFN** (gated-Dconv feed-forward): 1x1 conv to ``2*hidden``, 3x3 depth-wise conv, split in
  two halves, ``gelu(a) * b``, 1x1 conv back. ``hidden = int(dim * ffn_expansion_factor)``.
* **LayerNorm** over the channel axis at every pixel, ``'WithBias'`` or ``'BiasFree'``.

Facts taken from the authors' ``basicsr/models/archs/restormer_arch.py`` (names, shapes, order):
level widths are ``dim * 2**i``; level 1 of the decoder and the refinement stage run at ``2*dim``
with ``heads[0]`` (the skip concatenation there is *not* reduced by a 1x1 conv); down/up-sampling
is a bias-free 3x3 conv that halves/doubles the channels followed by ``PixelUnshuffle(2)`` /
``PixelShuffle(2)``; the global residual ``output(x) + input`` is skipped for the dual-pixel
model, which instead adds ``skip_conv(patch_embed(input))`` to the refined features (its 6-channel
input has no 3-channel image to add back).

Quirks of the official code kept on purpose (they change numbers):

* ``BiasFree`` normalisation divides by the standard deviation computed *around the mean* but
  does not subtract the mean: ``x / sqrt(var(x) + 1e-5) * weight``.
* The variance is the biased one (``unbiased=False``), eps is 1e-5 inside the square root.
* ``F.normalize`` in MDTA uses its default eps 1e-12.
* ``LayerNorm_type`` values other than ``'BiasFree'`` silently mean ``'WithBias'`` in the
  official code; here anything but the two documented names is an error.

The input height and width must be multiples of 8 (three 2x downsamplings); the authors' test
scripts pad with ``reflect`` (see ``variants.py``).

Ablation switches (not in the official code; defaults give the official network and an identical
state dict): ``attention='window'`` replaces MDTA by plain multi-head self-attention inside
non-overlapping ``window_size`` x ``window_size`` spatial windows, and ``ffn='ffn'`` replaces GDFN
by a conventional two-layer FFN with GELU. The paper's own block ablation (Sec. 4.6) compares
MDTA with a transposed attention without depth-wise convs ("MTA") and GDFN with "FN"/"GFN"/"DFN";
the window variant here is the Swin/Uformer-style spatial alternative.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F
from einops import rearrange

LAYERNORM_TYPES = ("WithBias", "BiasFree")
ATTENTIONS = ("mdta", "window")
FFNS = ("gdfn", "ffn")


# --------------------------------------------------------------------------- normalisation
class _WithBiasNorm(nn.Module):
    """Standard LayerNorm over dim 1 of an NCHW tensor (weight and bias of shape (C,))."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.bias = nn.Parameter(torch.zeros(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mu = x.mean(1, keepdim=True)
        var = x.var(1, keepdim=True, unbiased=False)
        # upstream's (x - mu) / sqrt(var + eps) * w + b, the same operations in the same order, but
        # in place on the one fresh tensor instead of four full-size temporaries
        return (x - mu).div_(var.add_(1e-5).sqrt_()).mul_(self.weight[:, None, None]).add_(self.bias[:, None, None])


class _BiasFreeNorm(nn.Module):
    """Scale-only LayerNorm: no mean subtraction, no bias (the official 'BiasFree' variant).

    Used by the denoising models so the network stays free of additive constants.
    """

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        var = x.var(1, keepdim=True, unbiased=False)
        return (x / var.add_(1e-5).sqrt_()).mul_(self.weight[:, None, None])  # upstream's order, one temporary


class ChannelLayerNorm(nn.Module):
    """LayerNorm across channels at every pixel; parameters live under ``.body`` as in the official code."""

    def __init__(self, dim: int, LayerNorm_type: str) -> None:
        super().__init__()
        if LayerNorm_type not in LAYERNORM_TYPES:
            raise ValueError(f"LayerNorm_type must be one of {LAYERNORM_TYPES}, got {LayerNorm_type!r}")
        self.body = _BiasFreeNorm(dim) if LayerNorm_type == "BiasFree" else _WithBiasNorm(dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


# --------------------------------------------------------------------------- attention
class MDTA(nn.Module):
    """Multi-Dconv head transposed attention: a channel-by-channel attention map per head."""

    def __init__(self, dim: int, num_heads: int, bias: bool) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.temperature = nn.Parameter(torch.ones(num_heads, 1, 1))
        self.qkv = nn.Conv2d(dim, dim * 3, kernel_size=1, bias=bias)
        self.qkv_dwconv = nn.Conv2d(dim * 3, dim * 3, kernel_size=3, padding=1, groups=dim * 3, bias=bias)
        self.project_out = nn.Conv2d(dim, dim, kernel_size=1, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        q, k, v = self.qkv_dwconv(self.qkv(x)).chunk(3, dim=1)
        q, k, v = (rearrange(t, "b (head c) h w -> b head c (h w)", head=self.num_heads) for t in (q, k, v))
        q = F.normalize(q, dim=-1)
        k = F.normalize(k, dim=-1)
        attn = (q @ k.transpose(-2, -1)).mul_(self.temperature).softmax(dim=-1)  # upstream's product, in place
        out = rearrange(attn @ v, "b head c (h w) -> b (head c) h w", head=self.num_heads, h=h, w=w)
        return self.project_out(out)


class WindowAttention(nn.Module):
    """Ablation: spatial multi-head self-attention inside non-overlapping square windows.

    Same 1x1 ``qkv``/``project_out`` convs as MDTA but no depth-wise conv and no temperature
    (scaled dot product, ``1/sqrt(head_dim)``), no relative position bias. Feature maps whose size
    is not a multiple of ``window_size`` are zero-padded and the padded keys are masked out, so
    padding never leaks into real pixels.
    """

    def __init__(self, dim: int, num_heads: int, bias: bool, window_size: int = 8) -> None:
        super().__init__()
        if dim % num_heads:
            raise ValueError(f"dim {dim} is not divisible by num_heads {num_heads}")
        self.num_heads = num_heads
        self.window_size = window_size
        self.scale = (dim // num_heads) ** -0.5
        self.qkv = nn.Conv2d(dim, dim * 3, kernel_size=1, bias=bias)
        self.project_out = nn.Conv2d(dim, dim, kernel_size=1, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        ws = self.window_size
        ph, pw = (-h) % ws, (-w) % ws
        qkv = F.pad(self.qkv(x), (0, pw, 0, ph))
        nh, nw = (h + ph) // ws, (w + pw) // ws
        q, k, v = rearrange(
            qkv, "b (three head c) (nh p1) (nw p2) -> three b (nh nw) head (p1 p2) c",
            three=3, head=self.num_heads, p1=ws, p2=ws,
        )
        attn = (q @ k.transpose(-2, -1)) * self.scale
        if ph or pw:
            valid = torch.zeros(h + ph, w + pw, dtype=torch.bool, device=x.device)
            valid[:h, :w] = True
            valid = rearrange(valid, "(nh p1) (nw p2) -> (nh nw) (p1 p2)", p1=ws, p2=ws)
            attn = attn.masked_fill(~valid[None, :, None, None, :], float("-inf"))
        out = attn.softmax(dim=-1) @ v
        out = rearrange(out, "b (nh nw) head (p1 p2) c -> b (head c) (nh p1) (nw p2)", nh=nh, nw=nw, p1=ws, p2=ws)
        return self.project_out(out[..., :h, :w])


# --------------------------------------------------------------------------- feed-forward
class GDFN(nn.Module):
    """Gated-Dconv feed-forward network: ``gelu(a) * b`` after a depth-wise 3x3 conv."""

    def __init__(self, dim: int, ffn_expansion_factor: float, bias: bool) -> None:
        super().__init__()
        hidden = int(dim * ffn_expansion_factor)
        self.project_in = nn.Conv2d(dim, hidden * 2, kernel_size=1, bias=bias)
        self.dwconv = nn.Conv2d(hidden * 2, hidden * 2, kernel_size=3, padding=1, groups=hidden * 2, bias=bias)
        self.project_out = nn.Conv2d(hidden, dim, kernel_size=1, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, b = self.dwconv(self.project_in(x)).chunk(2, dim=1)
        return self.project_out(F.gelu(a).mul_(b))  # gelu's output is fresh: gate it in place


class PlainFFN(nn.Module):
    """Ablation: conventional FFN (1x1 conv, GELU, 1x1 conv), no gate and no depth-wise conv."""

    def __init__(self, dim: int, ffn_expansion_factor: float, bias: bool) -> None:
        super().__init__()
        hidden = int(dim * ffn_expansion_factor)
        self.project_in = nn.Conv2d(dim, hidden, kernel_size=1, bias=bias)
        self.project_out = nn.Conv2d(hidden, dim, kernel_size=1, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.project_out(F.gelu(self.project_in(x)))


# --------------------------------------------------------------------------- blocks
class TransformerBlock(nn.Module):
    """Pre-norm residual block: ``x + attn(norm1(x))``, then ``x + ffn(norm2(x))``."""

    def __init__(
        self,
        dim: int,
        num_heads: int,
        ffn_expansion_factor: float,
        bias: bool,
        LayerNorm_type: str,
        attention: str = "mdta",
        ffn: str = "gdfn",
        window_size: int = 8,
    ) -> None:
        super().__init__()
        if attention not in ATTENTIONS:
            raise ValueError(f"attention must be one of {ATTENTIONS}, got {attention!r}")
        if ffn not in FFNS:
            raise ValueError(f"ffn must be one of {FFNS}, got {ffn!r}")
        self.norm1 = ChannelLayerNorm(dim, LayerNorm_type)
        if attention == "mdta":
            self.attn: nn.Module = MDTA(dim, num_heads, bias)
        else:
            self.attn = WindowAttention(dim, num_heads, bias, window_size)
        self.norm2 = ChannelLayerNorm(dim, LayerNorm_type)
        if ffn == "gdfn":
            self.ffn: nn.Module = GDFN(dim, ffn_expansion_factor, bias)
        else:
            self.ffn = PlainFFN(dim, ffn_expansion_factor, bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # residuals added in place to the fresh branch outputs (a + b == b + a exactly)
        x = self.attn(self.norm1(x)).add_(x)
        return self.ffn(self.norm2(x)).add_(x)


class OverlapPatchEmbed(nn.Module):
    """3x3 conv 'patch embedding' with stride 1: every pixel is a token, neighbours overlap."""

    def __init__(self, in_c: int = 3, embed_dim: int = 48, bias: bool = False) -> None:
        super().__init__()
        self.proj = nn.Conv2d(in_c, embed_dim, kernel_size=3, padding=1, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x)


class Downsample(nn.Module):
    """Halve the channels with a conv, then PixelUnshuffle(2): H/2 x W/2 x 2C."""

    def __init__(self, n_feat: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(n_feat, n_feat // 2, kernel_size=3, padding=1, bias=False), nn.PixelUnshuffle(2)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


class Upsample(nn.Module):
    """Double the channels with a conv, then PixelShuffle(2): 2H x 2W x C/2."""

    def __init__(self, n_feat: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(n_feat, n_feat * 2, kernel_size=3, padding=1, bias=False), nn.PixelShuffle(2)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


# --------------------------------------------------------------------------- network
class Restormer(nn.Module):
    """The full encoder/decoder; constructor names and defaults follow the official ``Restormer``.

    ``dual_pixel_task=True`` (with ``inp_channels=6``: left and right dual-pixel views stacked) adds
    ``skip_conv`` and drops the global image residual. ``attention``/``ffn``/``window_size`` are
    restbench ablation switches; their defaults reproduce the official network exactly.
    """

    def __init__(
        self,
        inp_channels: int = 3,
        out_channels: int = 3,
        dim: int = 48,
        num_blocks: list[int] = [4, 6, 6, 8],  # noqa: B006 - official default, never mutated
        num_refinement_blocks: int = 4,
        heads: list[int] = [1, 2, 4, 8],  # noqa: B006 - official default, never mutated
        ffn_expansion_factor: float = 2.66,
        bias: bool = False,
        LayerNorm_type: str = "WithBias",
        dual_pixel_task: bool = False,
        attention: str = "mdta",
        ffn: str = "gdfn",
        window_size: int = 8,
    ) -> None:
        super().__init__()
        if len(num_blocks) != 4 or len(heads) != 4:
            raise ValueError("num_blocks and heads need one entry per level (4)")

        def stage(width: int, n_heads: int, n: int) -> nn.Sequential:
            return nn.Sequential(
                *[
                    TransformerBlock(width, n_heads, ffn_expansion_factor, bias, LayerNorm_type, attention, ffn, window_size)
                    for _ in range(n)
                ]
            )

        d1, d2, d3, d4 = dim, dim * 2, dim * 4, dim * 8
        self.patch_embed = OverlapPatchEmbed(inp_channels, dim)
        self.encoder_level1 = stage(d1, heads[0], num_blocks[0])
        self.down1_2 = Downsample(d1)
        self.encoder_level2 = stage(d2, heads[1], num_blocks[1])
        self.down2_3 = Downsample(d2)
        self.encoder_level3 = stage(d3, heads[2], num_blocks[2])
        self.down3_4 = Downsample(d3)
        self.latent = stage(d4, heads[3], num_blocks[3])

        self.up4_3 = Upsample(d4)
        self.reduce_chan_level3 = nn.Conv2d(d4, d3, kernel_size=1, bias=bias)
        self.decoder_level3 = stage(d3, heads[2], num_blocks[2])
        self.up3_2 = Upsample(d3)
        self.reduce_chan_level2 = nn.Conv2d(d3, d2, kernel_size=1, bias=bias)
        self.decoder_level2 = stage(d2, heads[1], num_blocks[1])
        self.up2_1 = Upsample(d2)
        # level 1 keeps the concatenated 2*dim channels: no reduce_chan_level1 in the official code
        self.decoder_level1 = stage(d2, heads[0], num_blocks[0])
        self.refinement = stage(d2, heads[0], num_refinement_blocks)

        self.dual_pixel_task = dual_pixel_task
        if dual_pixel_task:
            self.skip_conv = nn.Conv2d(d1, d2, kernel_size=1, bias=bias)
        self.output = nn.Conv2d(d2, out_channels, kernel_size=3, padding=1, bias=bias)

    def forward(self, inp_img: torch.Tensor) -> torch.Tensor:
        h, w = inp_img.shape[-2:]
        if h % 8 or w % 8:
            raise ValueError(f"Restormer needs H and W divisible by 8, got {h}x{w}; pad first (see InputSpec)")
        emb = self.patch_embed(inp_img)
        enc1 = self.encoder_level1(emb)
        enc2 = self.encoder_level2(self.down1_2(enc1))
        enc3 = self.encoder_level3(self.down2_3(enc2))
        lat = self.latent(self.down3_4(enc3))

        dec3 = self.decoder_level3(self.reduce_chan_level3(torch.cat([self.up4_3(lat), enc3], 1)))
        dec2 = self.decoder_level2(self.reduce_chan_level2(torch.cat([self.up3_2(dec3), enc2], 1)))
        dec1 = self.decoder_level1(torch.cat([self.up2_1(dec2), enc1], 1))
        dec1 = self.refinement(dec1)

        if self.dual_pixel_task:
            return self.output(dec1 + self.skip_conv(emb))
        return self.output(dec1) + inp_img

