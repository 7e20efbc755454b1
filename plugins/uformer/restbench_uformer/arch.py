"""Uformer (Wang et al., CVPR 2022) with ZhendongWang6/Uformer's parameter layout (``model.py``).

A U-shaped encoder/bottleneck/decoder of LeWin blocks (window self-attention with a relative
position bias, then a "locally-enhanced" feed-forward layer with a depth-wise 3x3 conv).
Decoder blocks can add a learnable per-window *modulator* (an ``nn.Embedding`` whose weight is
added to every window's tokens before attention). The output is ``x + proj(features)`` when the
network sees the 3-channel image itself (``dd_in == 3``).

Attribute names follow the authors' code, misspellings included, so their checkpoints load
strictly: ``encoderlayer_{i}``, ``dowsample_{i}`` (sic), ``conv`` (the bottleneck, a transformer
layer despite its name), ``upsample_{i}``, ``decoderlayer_{i}``, ``input_proj``, ``output_proj``.
The only persistent buffers are the attention's ``relative_position_index``.

Things found in the authors' code and reproduced on purpose:

* Window size and shifting are fixed at construction from ``img_size`` (``input_resolution``):
  a layer whose resolution is <= ``win_size`` uses one window of that resolution and no shift.
  So ``img_size`` changes the computation (and the bias-table shape) even though the network
  runs on any input size. The test scripts build with ``img_size=train_ps=128``.
* The modulator embedding always has ``win_size**2`` rows (the constructor's value, not the
  clamped one); a decoder layer whose resolution is below ``win_size`` therefore cannot use it.
* Stochastic depth: encoder rates are ``linspace(0, drop_path_rate, sum(depths[:4]))``, the
  bottleneck uses ``drop_path_rate`` for every block, and the decoder reuses the encoder list
  reversed, sliced with ``depths[5:]``. A block whose rate is 0 has an ``nn.Identity``.
* ``cross_modulator``: the official block computes ``norm_cross(x)`` and then discards it,
  attending from the un-normalised ``x`` to the embedding; the result is the same as here.
* ``token_projection='conv'``: the official code passes ``qkv_bias`` positionally into the
  separable conv's ``dilation`` slot, so the convs always have biases and dilation ``True``;
  current PyTorch rejects a bool dilation at run time, so the official conv path no longer runs.
  We build what was evidently meant: biased convs, dilation 1 (checked against a transcription
  of the official code with the dilation cast to int).
* The official modules recover H = W = sqrt(tokens), so only square inputs work there and the
  test scripts zero-pad to a square. Here every module gets (H, W) explicitly: square inputs
  compute exactly the same thing, rectangular ones (each side a multiple of 16 * win_size) work too.

Bit-identical to the authors' ``model.py`` (checked for Uformer-T/-B at img_size 128 and 256, with
and without an input mask, batch 1 and 2; ``tests/test_spandrel_conformance.py`` checks it against
spandrel's port of that code). This needs more than the same operations in the same order: PyTorch
picks a convolution's kernel, and so its summation order, from the input's *strides*. So every conv
input here has upstream's strides: LeFF's depth-wise conv (and ``ConvProjection``) gets the
channels-last view upstream's ``rearrange`` makes, ``Downsample``/``Upsample`` get contiguous NCHW
(upstream's ``.contiguous().view``), and ``OutputProj`` gets upstream's ``transpose(1, 2).view``,
which is *not* channels-last for batch 1. An earlier ``transpose(1, 2).reshape`` gave batch stride C
for batch 1, which PyTorch does not take for channels-last: the LeFF convs ran the slower NCHW
kernel with an extra copy (about 1.3x slower overall) and the output drifted by ~1e-5.
spandrel (0.4.2) runs the same code but its loader always builds ``img_size=256`` (a state dict does
not hold it), so for the released models, built at 128, its bottleneck shifts where the authors' does
not: see the conformance test.

Not supported: ``token_mlp='fastleff'`` (needs the ``torch_dwconv`` package; no checkpoint uses
it) and the unused ``eca`` option of ``LeFF`` (always ``nn.Identity`` in Uformer).
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.utils.checkpoint as cp

Size = tuple[int, int]


class DropPath(nn.Module):
    """Per-sample stochastic depth (as timm's ``DropPath``); the identity in eval mode."""

    def __init__(self, drop_prob: float = 0.0) -> None:
        super().__init__()
        self.drop_prob = drop_prob

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.drop_prob == 0.0 or not self.training:
            return x
        keep = 1.0 - self.drop_prob
        mask = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(keep)
        return x * mask / keep

    def extra_repr(self) -> str:
        return f"drop_prob={self.drop_prob:.3f}"


def to_image(tokens: torch.Tensor, size: Size) -> torch.Tensor:
    """(B, H*W, C) tokens -> (B, C, H, W) view in channels-last memory (no copy).

    The strides matter, not just the values: PyTorch picks the convolution kernel from the
    input's memory format, and kernels sum in different orders. This view has the strides of the
    authors' ``rearrange``/``transpose().view()`` (a channels-last tensor, batch stride H*W*C);
    ``transpose(1, 2).reshape(...)`` gives batch stride C when B == 1, which PyTorch does not
    recognise as channels-last, so the conv ran its NCHW kernel and drifted by ~1e-6.
    """
    b, _, c = tokens.shape
    return tokens.view(b, size[0], size[1], c).permute(0, 3, 1, 2)


def to_tokens(img: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) feature map -> (B, H*W, C) tokens."""
    return img.flatten(2).transpose(1, 2).contiguous()


def window_partition(x: torch.Tensor, win: int) -> torch.Tensor:
    """(B, H, W, C) -> (B * nW, win, win, C), windows in row-major order per image."""
    b, h, w, c = x.shape
    x = x.view(b, h // win, win, w // win, win, c)
    return x.permute(0, 1, 3, 2, 4, 5).contiguous().view(-1, win, win, c)


def window_reverse(windows: torch.Tensor, win: int, h: int, w: int) -> torch.Tensor:
    """Inverse of :func:`window_partition`: (B * nW, win, win, C) -> (B, H, W, C)."""
    b = windows.shape[0] // ((h // win) * (w // win))
    x = windows.view(b, h // win, w // win, win, win, -1)
    return x.permute(0, 1, 3, 2, 4, 5).contiguous().view(b, h, w, -1)


# ----------------------------------------------------------------------------- token projections


class LinearProjection(nn.Module):
    """q from the queries, k and v from one fused ``to_kv`` linear layer (official names)."""

    def __init__(self, dim: int, heads: int = 8, dim_head: int = 64, dropout: float = 0.0, bias: bool = True) -> None:
        super().__init__()
        inner_dim = dim_head * heads
        self.heads = heads
        self.to_q = nn.Linear(dim, inner_dim, bias=bias)
        self.to_kv = nn.Linear(dim, inner_dim * 2, bias=bias)

    def forward(self, x: torch.Tensor, attn_kv: torch.Tensor | None = None):
        b, n, c = x.shape
        # A 2-D ``attn_kv`` (e.g. an embedding table) is shared by every batch element.
        kv_src = x if attn_kv is None else attn_kv.unsqueeze(0).expand(b, -1, -1)
        n_kv = kv_src.shape[1]
        q = self.to_q(x).reshape(b, n, self.heads, c // self.heads).permute(0, 2, 1, 3)
        kv = self.to_kv(kv_src).reshape(b, n_kv, 2, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        return q, kv[0], kv[1]


class SepConv2d(nn.Module):
    """Depth-wise conv, activation, point-wise 1x1 conv (both convs with bias)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1, padding: int = 0,
                 dilation: int = 1, act_layer: Callable[[], nn.Module] | None = nn.ReLU) -> None:
        super().__init__()
        self.depthwise = nn.Conv2d(in_channels, in_channels, kernel_size, stride, padding, dilation, groups=in_channels)
        self.pointwise = nn.Conv2d(in_channels, out_channels, kernel_size=1)
        self.act_layer = act_layer() if act_layer is not None else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise(self.act_layer(self.depthwise(x)))


class ConvProjection(nn.Module):
    """q, k, v from separable 3x3 convs over the (square) window (``token_projection='conv'``)."""

    def __init__(self, dim: int, heads: int = 8, dim_head: int = 64, kernel_size: int = 3, q_stride: int = 1,
                 k_stride: int = 1, v_stride: int = 1, dropout: float = 0.0, last_stage: bool = False,
                 bias: bool = True) -> None:
        super().__init__()
        inner_dim = dim_head * heads
        self.heads = heads
        pad = (kernel_size - q_stride) // 2
        # The official code hands ``bias`` to SepConv2d's dilation slot (True == 1); see module doc.
        self.to_q = SepConv2d(dim, inner_dim, kernel_size, q_stride, pad)
        self.to_k = SepConv2d(dim, inner_dim, kernel_size, k_stride, pad)
        self.to_v = SepConv2d(dim, inner_dim, kernel_size, v_stride, pad)

    def forward(self, x: torch.Tensor, attn_kv: torch.Tensor | None = None):
        b, n, _ = x.shape
        side = math.isqrt(n)
        kv_src = x if attn_kv is None else attn_kv

        def heads(t: torch.Tensor) -> torch.Tensor:  # (b, h*d, l, w) -> (b, h, l*w, d)
            return t.reshape(b, self.heads, -1, n).transpose(2, 3)

        q = heads(self.to_q(to_image(x, (side, side))))
        k = heads(self.to_k(to_image(kv_src, (side, side))))
        v = heads(self.to_v(to_image(kv_src, (side, side))))
        return q, k, v


def make_projection(kind: str, dim: int, num_heads: int, bias: bool) -> nn.Module:
    if kind == "linear":
        return LinearProjection(dim, num_heads, dim // num_heads, bias=bias)
    if kind == "conv":
        return ConvProjection(dim, num_heads, dim // num_heads, bias=bias)
    raise ValueError(f"token_projection must be 'linear' or 'conv', got {kind!r}")


# ----------------------------------------------------------------------------- attention


def relative_position_index(win: tuple[int, int]) -> torch.Tensor:
    """Index into the (2Wh-1)(2Ww-1) bias table for every (query, key) pair of a window."""
    coords = torch.stack(torch.meshgrid(torch.arange(win[0]), torch.arange(win[1]), indexing="ij")).flatten(1)
    rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0)
    rel[:, :, 0] += win[0] - 1
    rel[:, :, 1] += win[1] - 1
    return rel[:, :, 0] * (2 * win[1] - 1) + rel[:, :, 1]


class WindowAttention(nn.Module):
    """Multi-head self-attention inside one window, plus a learned relative position bias."""

    def __init__(self, dim: int, win_size: tuple[int, int], num_heads: int, token_projection: str = "linear",
                 qkv_bias: bool = True, qk_scale: float | None = None, attn_drop: float = 0.0,
                 proj_drop: float = 0.0) -> None:
        super().__init__()
        self.dim = dim
        self.win_size = win_size
        self.num_heads = num_heads
        self.scale = qk_scale or (dim // num_heads) ** -0.5
        n_rel = (2 * win_size[0] - 1) * (2 * win_size[1] - 1)
        self.relative_position_bias_table = nn.Parameter(torch.zeros(n_rel, num_heads))
        self.register_buffer("relative_position_index", relative_position_index(win_size))
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)
        self.qkv = make_projection(token_projection, dim, num_heads, qkv_bias)
        self.token_projection = token_projection
        self.attn_drop = nn.Dropout(attn_drop)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)
        self.softmax = nn.Softmax(dim=-1)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """``x``: (B*nW, N, C) window tokens; ``mask``: (nW, N, N) additive (0 or -100)."""
        b, n, c = x.shape
        q, k, v = self.qkv(x)
        attn = (q * self.scale) @ k.transpose(-2, -1)
        # The bias is made contiguous (as upstream) so the big add below runs vectorised; the adds
        # are in place on the fresh logits: the same additions in the same order, no new tensors.
        bias = self.relative_position_bias_table[self.relative_position_index.view(-1)]
        attn.add_(bias.view(n, n, -1).permute(2, 0, 1).contiguous().unsqueeze(0))
        if mask is not None:
            nw = mask.shape[0]
            attn.view(b // nw, nw, self.num_heads, n, n).add_(mask.unsqueeze(1).unsqueeze(0))
        attn = self.attn_drop(self.softmax(attn))
        x = (attn @ v).transpose(1, 2).reshape(b, n, c)
        return self.proj_drop(self.proj(x))

    def extra_repr(self) -> str:
        return f"dim={self.dim}, win_size={self.win_size}, num_heads={self.num_heads}"


class Attention(nn.Module):
    """Global multi-head attention without position bias (the ``cross_modulator`` branch)."""

    def __init__(self, dim: int, num_heads: int, token_projection: str = "linear", qkv_bias: bool = True,
                 qk_scale: float | None = None, attn_drop: float = 0.0, proj_drop: float = 0.0) -> None:
        super().__init__()
        self.dim = dim
        self.num_heads = num_heads
        self.scale = qk_scale or (dim // num_heads) ** -0.5
        self.qkv = LinearProjection(dim, num_heads, dim // num_heads, bias=qkv_bias)  # always linear upstream
        self.token_projection = token_projection
        self.attn_drop = nn.Dropout(attn_drop)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)
        self.softmax = nn.Softmax(dim=-1)

    def forward(self, x: torch.Tensor, attn_kv: torch.Tensor | None = None) -> torch.Tensor:
        b, n, c = x.shape
        q, k, v = self.qkv(x, attn_kv)
        attn = self.attn_drop(self.softmax((q * self.scale) @ k.transpose(-2, -1)))
        x = (attn @ v).transpose(1, 2).reshape(b, n, c)
        return self.proj_drop(self.proj(x))


# ----------------------------------------------------------------------------- feed-forward


class Mlp(nn.Module):
    """Plain two-layer MLP (``token_mlp='ffn'`` or ``'mlp'``)."""

    def __init__(self, in_features: int, hidden_features: int | None = None, out_features: int | None = None,
                 act_layer: Callable[[], nn.Module] = nn.GELU, drop: float = 0.0) -> None:
        super().__init__()
        hidden_features = hidden_features or in_features
        self.fc1 = nn.Linear(in_features, hidden_features)
        self.act = act_layer()
        self.fc2 = nn.Linear(hidden_features, out_features or in_features)
        self.drop = nn.Dropout(drop)

    def forward(self, x: torch.Tensor, size: Size | None = None) -> torch.Tensor:
        return self.drop(self.fc2(self.drop(self.act(self.fc1(x)))))


class LeFF(nn.Module):
    """Locally-enhanced FFN: linear, GELU, depth-wise 3x3 conv over the image, GELU, linear."""

    def __init__(self, dim: int = 32, hidden_dim: int = 128, act_layer: Callable[[], nn.Module] = nn.GELU,
                 drop: float = 0.0) -> None:
        super().__init__()
        self.linear1 = nn.Sequential(nn.Linear(dim, hidden_dim), act_layer())
        self.dwconv = nn.Sequential(
            nn.Conv2d(hidden_dim, hidden_dim, groups=hidden_dim, kernel_size=3, stride=1, padding=1), act_layer()
        )
        self.linear2 = nn.Sequential(nn.Linear(hidden_dim, dim))
        self.dim = dim
        self.hidden_dim = hidden_dim

    def forward(self, x: torch.Tensor, size: Size) -> torch.Tensor:
        x = self.dwconv(to_image(self.linear1(x), size))
        return self.linear2(to_tokens(x))


# ----------------------------------------------------------------------------- resampling / projection


class Downsample(nn.Module):
    """4x4 stride-2 conv: halves H and W (the authors' ``dowsample`` argument)."""

    def __init__(self, in_channel: int, out_channel: int) -> None:
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(in_channel, out_channel, kernel_size=4, stride=2, padding=1))
        self.in_channel = in_channel
        self.out_channel = out_channel

    def forward(self, x: torch.Tensor, size: Size) -> torch.Tensor:
        # contiguous NCHW, as upstream's ``transpose(1, 2).contiguous().view(...)``: same conv kernel
        return to_tokens(self.conv(to_image(x, size).contiguous()))


class Upsample(nn.Module):
    """2x2 stride-2 transposed conv: doubles H and W."""

    def __init__(self, in_channel: int, out_channel: int) -> None:
        super().__init__()
        self.deconv = nn.Sequential(nn.ConvTranspose2d(in_channel, out_channel, kernel_size=2, stride=2))
        self.in_channel = in_channel
        self.out_channel = out_channel

    def forward(self, x: torch.Tensor, size: Size) -> torch.Tensor:
        return to_tokens(self.deconv(to_image(x, size).contiguous()))  # NCHW, as upstream


class InputProj(nn.Module):
    """3x3 conv + LeakyReLU from the image to tokens (the kernel is 3x3 whatever ``kernel_size`` says, as upstream)."""

    def __init__(self, in_channel: int = 3, out_channel: int = 64, kernel_size: int = 3, stride: int = 1,
                 act_layer: Callable[..., nn.Module] = nn.LeakyReLU) -> None:
        super().__init__()
        self.proj = nn.Sequential(
            nn.Conv2d(in_channel, out_channel, kernel_size=3, stride=stride, padding=kernel_size // 2),
            act_layer(inplace=True),
        )
        self.in_channel = in_channel
        self.out_channel = out_channel

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return to_tokens(self.proj(x))


class OutputProj(nn.Module):
    """3x3 conv from tokens back to an image."""

    def __init__(self, in_channel: int = 64, out_channel: int = 3, kernel_size: int = 3, stride: int = 1) -> None:
        super().__init__()
        self.proj = nn.Sequential(
            nn.Conv2d(in_channel, out_channel, kernel_size=3, stride=stride, padding=kernel_size // 2)
        )
        self.in_channel = in_channel
        self.out_channel = out_channel

    def forward(self, x: torch.Tensor, size: Size) -> torch.Tensor:
        # Upstream's exact ``transpose(1, 2).view(B, C, H, W)``: for B == 1 its strides are not
        # channels-last, so the conv runs its NCHW kernel (for B > 1 the channels-last one); keeping
        # the same strides keeps the same kernel and the same bits in both cases.
        b, _, c = x.shape
        return self.proj(x.transpose(1, 2).view(b, c, size[0], size[1]))


# ----------------------------------------------------------------------------- LeWin block / layer


def shift_attention_mask(h: int, w: int, win: int, shift: int, like: torch.Tensor) -> torch.Tensor:
    """(nW, N, N) additive mask stopping shifted windows from mixing regions that wrapped around."""
    regions = torch.zeros((1, h, w, 1), dtype=like.dtype, device=like.device)
    cuts = (slice(0, -win), slice(-win, -shift), slice(-shift, None))
    for i, hs in enumerate(cuts):
        for j, ws in enumerate(cuts):
            regions[:, hs, ws, :] = i * 3 + j
    ids = window_partition(regions, win).view(-1, win * win)
    diff = ids.unsqueeze(1) - ids.unsqueeze(2)
    return diff.masked_fill(diff != 0, -100.0).masked_fill(diff == 0, 0.0)


def input_attention_mask(mask: torch.Tensor, size: Size, win: int) -> torch.Tensor:
    """(B*nW, N, N) mask from an input mask (1 = padding), as in ``test_in_any_resolution.py``.

    Upstream semantics, kept as is: -100 where *both* query and key are padding, 0 elsewhere.
    """
    m = F.interpolate(mask, size=size).permute(0, 2, 3, 1)
    m = window_partition(m, win).view(-1, win * win)
    pair = m.unsqueeze(2) * m.unsqueeze(1)
    return pair.masked_fill(pair != 0, -100.0).masked_fill(pair == 0, 0.0)


class LeWinTransformerBlock(nn.Module):
    """(Shifted) window attention with optional modulator, then LeFF/MLP; both pre-norm residual."""

    def __init__(self, dim: int, input_resolution: tuple[int, int], num_heads: int, win_size: int = 8,
                 shift_size: int = 0, mlp_ratio: float = 4.0, qkv_bias: bool = True, qk_scale: float | None = None,
                 drop: float = 0.0, attn_drop: float = 0.0, drop_path: float = 0.0,
                 act_layer: Callable[[], nn.Module] = nn.GELU, norm_layer: Callable[[int], nn.Module] = nn.LayerNorm,
                 token_projection: str = "linear", token_mlp: str = "leff", modulator: bool = False,
                 cross_modulator: bool = False) -> None:
        super().__init__()
        self.dim = dim
        self.input_resolution = input_resolution
        self.num_heads = num_heads
        self.win_size = win_size
        self.shift_size = shift_size
        self.mlp_ratio = mlp_ratio
        self.token_mlp = token_mlp
        if min(input_resolution) <= win_size:  # the whole map is one window: nothing to shift
            self.shift_size = 0
            self.win_size = min(input_resolution)
        if not 0 <= self.shift_size < self.win_size:
            raise ValueError(f"shift_size must be in [0, win_size), got {self.shift_size} for win_size {self.win_size}")

        # Sized by the constructor's win_size, not the clamped one (as upstream).
        self.modulator = nn.Embedding(win_size * win_size, dim) if modulator else None
        if cross_modulator:
            self.cross_modulator = nn.Embedding(win_size * win_size, dim)
            self.cross_attn = Attention(dim, num_heads, qkv_bias=qkv_bias, qk_scale=qk_scale, attn_drop=attn_drop,
                                        proj_drop=drop, token_projection=token_projection)
            self.norm_cross = norm_layer(dim)  # present in checkpoints; its output is unused upstream
        else:
            self.cross_modulator = None

        self.norm1 = norm_layer(dim)
        self.attn = WindowAttention(dim, (self.win_size, self.win_size), num_heads, token_projection=token_projection,
                                    qkv_bias=qkv_bias, qk_scale=qk_scale, attn_drop=attn_drop, proj_drop=drop)
        self.drop_path = DropPath(drop_path) if drop_path > 0.0 else nn.Identity()
        self.norm2 = norm_layer(dim)
        hidden = int(dim * mlp_ratio)
        if token_mlp in ("ffn", "mlp"):
            self.mlp = Mlp(dim, hidden, act_layer=act_layer, drop=drop)
        elif token_mlp == "leff":
            self.mlp = LeFF(dim, hidden, act_layer=act_layer, drop=drop)
        else:
            raise ValueError(f"token_mlp must be 'leff', 'ffn' or 'mlp', got {token_mlp!r} ('fastleff' is not supported)")

    def extra_repr(self) -> str:
        return (f"dim={self.dim}, input_resolution={self.input_resolution}, num_heads={self.num_heads}, "
                f"win_size={self.win_size}, shift_size={self.shift_size}, mlp_ratio={self.mlp_ratio}")

    def forward(self, x: torch.Tensor, size: Size, mask: torch.Tensor | None = None,
                shift_mask: torch.Tensor | None = None) -> torch.Tensor:
        """``shift_mask``: this block's :func:`shift_attention_mask`, if the caller already has it
        (the blocks of one layer share it; upstream rebuilds it in every block)."""
        h, w = size
        b, _, c = x.shape
        win, shift = self.win_size, self.shift_size
        if h % win or w % win:
            raise ValueError(f"feature map {h}x{w} is not a multiple of the window size {win}")

        attn_mask = None if mask is None else input_attention_mask(mask, size, win)
        if shift > 0:
            if shift_mask is None:
                shift_mask = shift_attention_mask(h, w, win, shift, x)
            attn_mask = shift_mask if attn_mask is None else attn_mask + shift_mask

        if self.cross_modulator is not None:
            x = x + self.cross_attn(x, self.cross_modulator.weight)

        shortcut = x
        x = self.norm1(x).view(b, h, w, c)
        if shift > 0:
            x = torch.roll(x, shifts=(-shift, -shift), dims=(1, 2))
        windows = window_partition(x, win).view(-1, win * win, c)
        if self.modulator is not None:
            windows = windows + self.modulator.weight
        windows = self.attn(windows, mask=attn_mask).view(-1, win, win, c)
        x = window_reverse(windows, win, h, w)
        if shift > 0:
            x = torch.roll(x, shifts=(shift, shift), dims=(1, 2))
        # Residual adds in place on the fresh branch outputs (a + b == b + a exactly): two fewer
        # full-size tensors per block.
        x = self.drop_path(x.reshape(b, h * w, c)).add_(shortcut)
        return self.drop_path(self.mlp(self.norm2(x), size)).add_(x)


class BasicUformerLayer(nn.Module):
    """``depth`` LeWin blocks at one scale; odd blocks shift by win_size // 2 when ``shift_flag``."""

    def __init__(self, dim: int, output_dim: int, input_resolution: tuple[int, int], depth: int, num_heads: int,
                 win_size: int, mlp_ratio: float = 4.0, qkv_bias: bool = True, qk_scale: float | None = None,
                 drop: float = 0.0, attn_drop: float = 0.0, drop_path: float | Sequence[float] = 0.0,
                 norm_layer: Callable[[int], nn.Module] = nn.LayerNorm, use_checkpoint: bool = False,
                 token_projection: str = "linear", token_mlp: str = "ffn", shift_flag: bool = True,
                 modulator: bool = False, cross_modulator: bool = False) -> None:
        super().__init__()
        self.dim = dim
        self.input_resolution = input_resolution
        self.depth = depth
        self.use_checkpoint = use_checkpoint
        self.blocks = nn.ModuleList(
            LeWinTransformerBlock(
                dim=dim, input_resolution=input_resolution, num_heads=num_heads, win_size=win_size,
                shift_size=win_size // 2 if (shift_flag and i % 2 == 1) else 0,
                mlp_ratio=mlp_ratio, qkv_bias=qkv_bias, qk_scale=qk_scale, drop=drop, attn_drop=attn_drop,
                drop_path=drop_path[i] if isinstance(drop_path, (list, tuple)) else drop_path,
                norm_layer=norm_layer, token_projection=token_projection, token_mlp=token_mlp,
                modulator=modulator, cross_modulator=cross_modulator,
            )
            for i in range(depth)
        )

    def extra_repr(self) -> str:
        return f"dim={self.dim}, input_resolution={self.input_resolution}, depth={self.depth}"

    def forward(self, x: torch.Tensor, size: Size, mask: torch.Tensor | None = None) -> torch.Tensor:
        shifted = [blk for blk in self.blocks if blk.shift_size > 0]  # all share win, shift and size
        shift_mask = None
        if shifted and size[0] % shifted[0].win_size == 0 and size[1] % shifted[0].win_size == 0:
            shift_mask = shift_attention_mask(size[0], size[1], shifted[0].win_size, shifted[0].shift_size, x)
        for blk in self.blocks:
            blk_mask = shift_mask if blk.shift_size > 0 else None
            if self.use_checkpoint and self.training:
                x = cp.checkpoint(blk, x, size, mask, blk_mask, use_reentrant=False)
            else:
                x = blk(x, size, mask, blk_mask)
        return x


# ----------------------------------------------------------------------------- the network


def drop_path_schedule(depths: Sequence[int], drop_path_rate: float) -> tuple[list[list[float]], list[float], list[list[float]]]:
    """Per-block stochastic-depth rates (encoder layers, bottleneck, decoder layers), as upstream."""
    n_enc = len(depths) // 2
    # On the CPU explicitly, so that building under ``torch.device('meta')`` works.
    enc = torch.linspace(0, drop_path_rate, sum(depths[:n_enc]), device="cpu").tolist()
    dec = enc[::-1]
    enc_layers = [enc[sum(depths[:i]):sum(depths[: i + 1])] for i in range(4)]
    dec_layers = [dec[sum(depths[5 : 5 + j]):sum(depths[5 : 6 + j])] for j in range(4)]
    return enc_layers, [drop_path_rate] * depths[4], dec_layers


class Uformer(nn.Module):
    """Uformer with the authors' constructor (``model.py``); see the module docstring.

    ``forward(x, mask=None)``: ``x`` is (B, dd_in, H, W) in [0, 1] with H and W multiples of
    ``16 * win_size``; ``mask`` (B, 1, H, W), 1 on padding, is the optional input mask of the
    authors' ``test_in_any_resolution.py`` (their release test scripts do not pass one).
    Custom ``dowsample``/``upsample`` classes take ``(in_channel, out_channel)`` like upstream, but
    their ``forward`` receives ``(tokens, (H, W))`` here instead of inferring a square.
    """

    def __init__(self, img_size: int = 256, in_chans: int = 3, dd_in: int = 3, embed_dim: int = 32,
                 depths: Sequence[int] = (2, 2, 2, 2, 2, 2, 2, 2, 2), num_heads: Sequence[int] = (1, 2, 4, 8, 16, 16, 8, 4, 2),
                 win_size: int = 8, mlp_ratio: float = 4.0, qkv_bias: bool = True, qk_scale: float | None = None,
                 drop_rate: float = 0.0, attn_drop_rate: float = 0.0, drop_path_rate: float = 0.1,
                 norm_layer: Callable[[int], nn.Module] = nn.LayerNorm, patch_norm: bool = True,
                 use_checkpoint: bool = False, token_projection: str = "linear", token_mlp: str = "leff",
                 dowsample: Callable[[int, int], nn.Module] = Downsample,
                 upsample: Callable[[int, int], nn.Module] = Upsample, shift_flag: bool = True,
                 modulator: bool = False, cross_modulator: bool = False, **kwargs) -> None:
        super().__init__()
        depths, num_heads = list(depths), list(num_heads)
        if len(depths) != 9 or len(num_heads) != 9:
            raise ValueError("depths and num_heads need 9 entries: 4 encoder layers, bottleneck, 4 decoder layers")
        self.num_enc_layers = len(depths) // 2
        self.num_dec_layers = len(depths) // 2
        self.embed_dim = embed_dim
        self.patch_norm = patch_norm
        self.mlp_ratio = mlp_ratio
        self.token_projection = token_projection
        self.mlp = token_mlp
        self.win_size = win_size
        self.reso = img_size
        self.pos_drop = nn.Dropout(p=drop_rate)
        self.dd_in = dd_in

        enc_dpr, conv_dpr, dec_dpr = drop_path_schedule(depths, drop_path_rate)

        def layer(dim: int, res: int, i: int, dpr: list[float], decoder: bool) -> BasicUformerLayer:
            return BasicUformerLayer(
                dim=dim, output_dim=dim, input_resolution=(res, res), depth=depths[i], num_heads=num_heads[i],
                win_size=win_size, mlp_ratio=mlp_ratio, qkv_bias=qkv_bias, qk_scale=qk_scale, drop=drop_rate,
                attn_drop=attn_drop_rate, drop_path=dpr, norm_layer=norm_layer, use_checkpoint=use_checkpoint,
                token_projection=token_projection, token_mlp=token_mlp, shift_flag=shift_flag,
                modulator=modulator and decoder, cross_modulator=cross_modulator and decoder,
            )

        e = embed_dim
        self.input_proj = InputProj(in_channel=dd_in, out_channel=e, kernel_size=3, stride=1, act_layer=nn.LeakyReLU)
        self.output_proj = OutputProj(in_channel=2 * e, out_channel=in_chans, kernel_size=3, stride=1)
        for i in range(4):  # encoder: width e*2^i at img_size/2^i, then halve
            self.add_module(f"encoderlayer_{i}", layer(e * 2**i, img_size // 2**i, i, enc_dpr[i], False))
            self.add_module(f"dowsample_{i}", dowsample(e * 2**i, e * 2 ** (i + 1)))
        self.conv = layer(e * 16, img_size // 16, 4, conv_dpr, False)
        for j in range(4):  # decoder: upsample to e*2^(3-j), concat the skip, width e*2^(4-j)
            up_in = e * 16 if j == 0 else e * 2 ** (5 - j)
            self.add_module(f"upsample_{j}", upsample(up_in, e * 2 ** (3 - j)))
            self.add_module(f"decoderlayer_{j}", layer(e * 2 ** (4 - j), img_size // 2 ** (3 - j), 5 + j, dec_dpr[j], True))

        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(m: nn.Module) -> None:
        if isinstance(m, nn.Linear):
            nn.init.trunc_normal_(m.weight, std=0.02)
            if m.bias is not None:
                nn.init.constant_(m.bias, 0)
        elif isinstance(m, nn.LayerNorm):
            nn.init.constant_(m.bias, 0)
            nn.init.constant_(m.weight, 1.0)

    def extra_repr(self) -> str:
        return f"embed_dim={self.embed_dim}, token_projection={self.token_projection}, token_mlp={self.mlp}, win_size={self.win_size}"

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        size = (x.shape[-2], x.shape[-1])
        y = self.pos_drop(self.input_proj(x))
        skips = []
        for i in range(4):
            y = getattr(self, f"encoderlayer_{i}")(y, size, mask)
            skips.append(y)
            y = getattr(self, f"dowsample_{i}")(y, size)
            size = (size[0] // 2, size[1] // 2)
        y = self.conv(y, size, mask)
        for j in range(4):
            y = getattr(self, f"upsample_{j}")(y, size)
            size = (size[0] * 2, size[1] * 2)
            y = getattr(self, f"decoderlayer_{j}")(torch.cat([y, skips[3 - j]], -1), size, mask)
        y = self.output_proj(y, size)
        return x + y if self.dd_in == 3 else y
