"""SwinIR (Liang et al., ICCVW 2021) with JingyunLiang/SwinIR's parameter layout.

Written from the paper and the module layout of the authors' ``models/network_swinir.py``
(constructor names, defaults, parameter/buffer names and shapes), so the released checkpoints and
the conformance fixtures load with ``strict=True``::

    conv_first -> patch_embed.norm -> layers.{i} (RSTB) -> norm -> conv_after_body -> head
    RSTB:  residual_group.blocks.{j} (Swin layer) ... -> conv   (+ skip)
    Swin layer: norm1, attn.{relative_position_bias_table, relative_position_index, qkv, proj},
                norm2, mlp.{fc1, fc2}, and ``attn_mask`` on every odd (shifted) layer.

Things found in the authors' code and reproduced on purpose:

* ``attn_mask`` is a *persistent* buffer computed for ``img_size`` (the training patch size) and
  registered only on shifted layers; unshifted layers register ``None`` so the key is absent from
  the state dict. At run time the mask is recomputed whenever the feature size differs from
  ``img_size``; the buffer is only used when it matches.
* If ``img_size // patch_size`` is not larger than ``window_size``, a layer shrinks its window to the
  feature size and stops shifting, which changes the shape of ``relative_position_bias_table``.
* ``forward`` reflect-pads H and W up to a multiple of ``window_size`` (``check_image_size``) and
  crops the result back to ``H*upscale x W*upscale``. The test script additionally pads *before*
  calling the model (see ``variants.py``), so in the authors' evaluation this inner pad is a no-op.
* The RGB mean (0.4488, 0.4371, 0.4040) (zero for grey input) is subtracted and the result multiplied
  by ``img_range``; it is not in the state dict (here a non-persistent buffer so it follows ``.to()``).
* The conv+LeakyReLU before upsampling uses PyTorch's default slope 0.01; ``nearest+conv`` and the
  ``3conv`` residual blocks use 0.2.

Deliberate differences from ``network_swinir.py`` (none of them change released-model outputs):

* ``nearest+conv`` accepts ``upscale`` 2 as well as 4 (``conv_up2`` exists only for 4). The authors'
  file asserts ``upscale == 4``, yet release v0.0 ships ``..._SwinIR-M_x2_GAN.pth``/``_x2_PSNR.pth``;
  mmagic's and spandrel's ports load those with exactly this layout.
* ``use_checkpoint`` passes ``x_size`` through (the authors' call ``checkpoint(blk, x)`` omits it).
* Unknown ``upsampler``/``resi_connection`` strings raise instead of silently picking a branch;
  ``''`` and ``None`` select the denoising/JPEG head, as in the authors' code. For that head the
  output is cropped to H x W whatever ``upscale`` is (the authors crop to ``H*upscale``, which would
  leave the padding on if someone passed ``upscale=2`` with ``upsampler=''``).
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.utils.checkpoint as ckpt

UPSAMPLERS = ("pixelshuffle", "pixelshuffledirect", "nearest+conv", "", None)
RGB_MEAN = (0.4488, 0.4371, 0.4040)
MASK_VALUE = -100.0  # the authors fill cross-region attention logits with -100, not -inf


def _pair(v: int | Sequence[int]) -> tuple[int, int]:
    if isinstance(v, (tuple, list)):
        return int(v[0]), int(v[1])
    return int(v), int(v)


# ----------------------------------------------------------------------------- window helpers


def window_partition(x: torch.Tensor, ws: int) -> torch.Tensor:
    """(B, H, W, C) -> (B * H/ws * W/ws, ws, ws, C), windows in row-major order."""
    b, h, w, c = x.shape
    x = x.view(b, h // ws, ws, w // ws, ws, c).permute(0, 1, 3, 2, 4, 5)
    # contiguous, not reshape: with one window row (H == ws) reshape returns a strided view and
    # the caller's .view(-1, ws*ws, C) fails (found by the spandrel conformance test)
    return x.contiguous().view(-1, ws, ws, c)


def window_reverse(windows: torch.Tensor, ws: int, h: int, w: int) -> torch.Tensor:
    """Inverse of :func:`window_partition`: back to (B, H, W, C)."""
    c = windows.shape[-1]
    b = windows.shape[0] // ((h // ws) * (w // ws))
    x = windows.view(b, h // ws, w // ws, ws, ws, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(b, h, w, c)


def relative_position_index(ws: tuple[int, int]) -> torch.Tensor:
    """Index into the (2Wh-1)(2Ww-1) bias table for every (query, key) pair of a window."""
    coords = torch.stack(torch.meshgrid(torch.arange(ws[0]), torch.arange(ws[1]), indexing="ij")).flatten(1)
    rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0)  # N, N, 2
    return (rel[..., 0] + ws[0] - 1) * (2 * ws[1] - 1) + (rel[..., 1] + ws[1] - 1)


def shifted_window_mask(h: int, w: int, ws: int, shift: int, device=None) -> torch.Tensor:
    """Attention mask (nW, ws*ws, ws*ws) for a cyclic shift of ``shift`` on an h x w map.

    After ``torch.roll`` by ``-shift`` the map has 3x3 regions (the bottom/right ``ws`` rows/cols
    split at ``shift``); tokens may only attend within their own region. 0 = allowed, -100 = not.
    """

    def region(n: int) -> torch.Tensor:
        idx = torch.arange(n, device=device)
        return (idx >= n - ws).long() + (idx >= n - shift).long()

    label = (region(h)[:, None] * 3 + region(w)[None, :]).to(torch.float32)
    win = window_partition(label.view(1, h, w, 1), ws).view(-1, ws * ws)
    diff = win[:, None, :] - win[:, :, None]
    return torch.where(diff != 0, torch.full_like(diff, MASK_VALUE), torch.zeros_like(diff))


# ----------------------------------------------------------------------------- building blocks


class DropPath(nn.Module):
    """Stochastic depth (per sample); identity at eval time."""

    def __init__(self, p: float = 0.0) -> None:
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.p == 0.0 or not self.training:
            return x
        keep = 1.0 - self.p
        mask = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(keep)
        return x * mask / keep


class Mlp(nn.Module):
    """fc1 -> act -> drop -> fc2 -> drop (names as in the checkpoints)."""

    def __init__(self, in_features: int, hidden_features: int | None = None, out_features: int | None = None,
                 act_layer: Callable[[], nn.Module] = nn.GELU, drop: float = 0.0) -> None:
        super().__init__()
        hidden_features = hidden_features or in_features
        out_features = out_features or in_features
        self.fc1 = nn.Linear(in_features, hidden_features)
        self.act = act_layer()
        self.fc2 = nn.Linear(hidden_features, out_features)
        self.drop = nn.Dropout(drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.fc2(self.drop(self.act(self.fc1(x)))))


class WindowAttention(nn.Module):
    """Multi-head self-attention inside M x M windows with a learned relative position bias."""

    def __init__(self, dim: int, window_size: tuple[int, int], num_heads: int, qkv_bias: bool = True,
                 qk_scale: float | None = None, attn_drop: float = 0.0, proj_drop: float = 0.0) -> None:
        super().__init__()
        self.dim = dim
        self.window_size = window_size
        self.num_heads = num_heads
        self.scale = qk_scale or (dim // num_heads) ** -0.5
        n_rel = (2 * window_size[0] - 1) * (2 * window_size[1] - 1)
        self.relative_position_bias_table = nn.Parameter(torch.zeros(n_rel, num_heads))
        self.register_buffer("relative_position_index", relative_position_index(window_size))
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.attn_drop = nn.Dropout(attn_drop)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """x: (nW*B, N, C); mask: (nW, N, N) of 0/-100 or None."""
        bw, n, c = x.shape
        qkv = self.qkv(x).reshape(bw, n, 3, self.num_heads, c // self.num_heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0] * self.scale, qkv[1], qkv[2]
        attn = q @ k.transpose(-2, -1)
        bias = self.relative_position_bias_table[self.relative_position_index.view(-1)]
        # the same adds as upstream, in place on the fresh score tensor (bit-identical, two fewer
        # (nW*B, heads, N, N) temporaries per block)
        attn.add_(bias.view(n, n, -1).permute(2, 0, 1).unsqueeze(0))
        if mask is not None:
            nw = mask.shape[0]
            attn.view(bw // nw, nw, self.num_heads, n, n).add_(mask[None, :, None])
        attn = self.attn_drop(attn.softmax(dim=-1))
        return self.proj_drop(self.proj((attn @ v).transpose(1, 2).reshape(bw, n, c)))


class SwinTransformerBlock(nn.Module):
    """One Swin layer (STL): (shifted-)window attention + MLP, each pre-norm with a residual."""

    def __init__(self, dim: int, input_resolution: tuple[int, int], num_heads: int, window_size: int = 7,
                 shift_size: int = 0, mlp_ratio: float = 4.0, qkv_bias: bool = True, qk_scale: float | None = None,
                 drop: float = 0.0, attn_drop: float = 0.0, drop_path: float = 0.0,
                 act_layer: Callable[[], nn.Module] = nn.GELU, norm_layer: Callable[[int], nn.Module] = nn.LayerNorm) -> None:
        super().__init__()
        self.dim = dim
        self.input_resolution = tuple(input_resolution)
        self.num_heads = num_heads
        self.window_size = window_size
        self.shift_size = shift_size
        self.mlp_ratio = mlp_ratio
        if min(self.input_resolution) <= self.window_size:
            # the training patch fits in one window: no partition, no shift (authors' rule)
            self.shift_size = 0
            self.window_size = min(self.input_resolution)
        if not 0 <= self.shift_size < self.window_size:
            raise ValueError(f"shift_size must be in [0, window_size), got {self.shift_size} / {self.window_size}")
        self.norm1 = norm_layer(dim)
        self.attn = WindowAttention(dim, _pair(self.window_size), num_heads, qkv_bias, qk_scale, attn_drop, drop)
        self.drop_path = DropPath(drop_path) if drop_path > 0.0 else nn.Identity()
        self.norm2 = norm_layer(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), act_layer=act_layer, drop=drop)
        mask = self.calculate_mask(self.input_resolution) if self.shift_size > 0 else None
        self.register_buffer("attn_mask", mask)

    def calculate_mask(self, x_size: tuple[int, int], device=None) -> torch.Tensor:
        return shifted_window_mask(x_size[0], x_size[1], self.window_size, self.shift_size, device)

    def _mask_for(self, x_size: tuple[int, int], device) -> torch.Tensor | None:
        if self.shift_size == 0:
            return None
        if tuple(x_size) == self.input_resolution:
            return self.attn_mask
        return self.calculate_mask(x_size, device)

    def forward(self, x: torch.Tensor, x_size: tuple[int, int]) -> torch.Tensor:
        h, w = x_size
        b, _, c = x.shape
        ws, s = self.window_size, self.shift_size
        y = self.norm1(x).view(b, h, w, c)
        if s > 0:
            y = torch.roll(y, shifts=(-s, -s), dims=(1, 2))
        win = window_partition(y, ws).view(-1, ws * ws, c)
        win = self.attn(win, mask=self._mask_for((h, w), x.device))
        y = window_reverse(win.view(-1, ws, ws, c), ws, h, w)
        if s > 0:
            y = torch.roll(y, shifts=(s, s), dims=(1, 2))
        x = x + self.drop_path(y.reshape(b, h * w, c))
        return x + self.drop_path(self.mlp(self.norm2(x)))


class BasicLayer(nn.Module):
    """``depth`` Swin layers alternating regular and half-window-shifted windows."""

    def __init__(self, dim: int, input_resolution: tuple[int, int], depth: int, num_heads: int, window_size: int,
                 mlp_ratio: float = 4.0, qkv_bias: bool = True, qk_scale: float | None = None, drop: float = 0.0,
                 attn_drop: float = 0.0, drop_path: float | Sequence[float] = 0.0,
                 norm_layer: Callable[[int], nn.Module] = nn.LayerNorm, downsample=None, use_checkpoint: bool = False) -> None:
        super().__init__()
        self.dim = dim
        self.input_resolution = input_resolution
        self.depth = depth
        self.use_checkpoint = use_checkpoint
        self.blocks = nn.ModuleList(
            SwinTransformerBlock(
                dim, input_resolution, num_heads, window_size,
                shift_size=0 if i % 2 == 0 else window_size // 2,
                mlp_ratio=mlp_ratio, qkv_bias=qkv_bias, qk_scale=qk_scale, drop=drop, attn_drop=attn_drop,
                drop_path=drop_path[i] if isinstance(drop_path, (list, tuple)) else drop_path,
                norm_layer=norm_layer,
            )
            for i in range(depth)
        )
        # SwinIR never downsamples; kept for signature parity with the authors' class.
        self.downsample = downsample(input_resolution, dim=dim, norm_layer=norm_layer) if downsample else None

    def forward(self, x: torch.Tensor, x_size: tuple[int, int]) -> torch.Tensor:
        for blk in self.blocks:
            if self.use_checkpoint and self.training:
                x = ckpt.checkpoint(blk, x, x_size, use_reentrant=False)
            else:
                x = blk(x, x_size)
        return self.downsample(x) if self.downsample is not None else x


def _resi_block(dim: int, kind: str) -> nn.Module:
    """The conv closing each RSTB and the body: one 3x3, or 3x3 -> 1x1 -> 3x3 at dim/4 (SwinIR-L)."""
    if kind == "1conv":
        return nn.Conv2d(dim, dim, 3, 1, 1)
    if kind == "3conv":
        return nn.Sequential(
            nn.Conv2d(dim, dim // 4, 3, 1, 1), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(dim // 4, dim // 4, 1, 1, 0), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(dim // 4, dim, 3, 1, 1),
        )
    raise ValueError(f"resi_connection must be '1conv' or '3conv', got {kind!r}")


def _tokens(x: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) -> (B, H*W, C): the authors' PatchEmbed with patch_size 1, minus the norm."""
    return x.flatten(2).transpose(1, 2)


def _image(x: torch.Tensor, x_size: tuple[int, int]) -> torch.Tensor:
    """(B, H*W, C) -> (B, C, H, W): the authors' PatchUnEmbed."""
    return x.transpose(1, 2).reshape(x.shape[0], x.shape[2], x_size[0], x_size[1])


class RSTB(nn.Module):
    """Residual Swin Transformer Block: Swin layers, a conv, and a skip over both."""

    def __init__(self, dim: int, input_resolution: tuple[int, int], depth: int, num_heads: int, window_size: int,
                 mlp_ratio: float = 4.0, qkv_bias: bool = True, qk_scale: float | None = None, drop: float = 0.0,
                 attn_drop: float = 0.0, drop_path: float | Sequence[float] = 0.0,
                 norm_layer: Callable[[int], nn.Module] = nn.LayerNorm, downsample=None, use_checkpoint: bool = False,
                 img_size: int | tuple[int, int] = 224, patch_size: int = 4, resi_connection: str = "1conv") -> None:
        super().__init__()
        self.dim = dim
        self.input_resolution = input_resolution
        self.residual_group = BasicLayer(dim, input_resolution, depth, num_heads, window_size, mlp_ratio, qkv_bias,
                                         qk_scale, drop, attn_drop, drop_path, norm_layer, downsample, use_checkpoint)
        self.conv = _resi_block(dim, resi_connection)

    def forward(self, x: torch.Tensor, x_size: tuple[int, int]) -> torch.Tensor:
        return _tokens(self.conv(_image(self.residual_group(x, x_size), x_size))) + x


class PatchEmbedNorm(nn.Module):
    """Token view of the feature map, optionally layer-normed (the authors' ``patch_embed``)."""

    def __init__(self, embed_dim: int, norm_layer: Callable[[int], nn.Module] | None) -> None:
        super().__init__()
        self.norm = norm_layer(embed_dim) if norm_layer is not None else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = _tokens(x)
        return self.norm(x) if self.norm is not None else x


class Upsample(nn.Sequential):
    """conv + PixelShuffle(2) per factor of 2, or one conv + PixelShuffle(3)."""

    def __init__(self, scale: int, num_feat: int) -> None:
        layers: list[nn.Module] = []
        if scale & (scale - 1) == 0:
            for _ in range(int(math.log2(scale))):
                layers += [nn.Conv2d(num_feat, 4 * num_feat, 3, 1, 1), nn.PixelShuffle(2)]
        elif scale == 3:
            layers += [nn.Conv2d(num_feat, 9 * num_feat, 3, 1, 1), nn.PixelShuffle(3)]
        else:
            raise ValueError(f"scale {scale} is not supported; supported scales: 2^n and 3")
        super().__init__(*layers)


class UpsampleOneStep(nn.Sequential):
    """One conv straight to ``scale**2 * out_ch`` channels + PixelShuffle (lightweight SR)."""

    def __init__(self, scale: int, num_feat: int, num_out_ch: int, input_resolution=None) -> None:
        self.num_feat = num_feat
        self.input_resolution = input_resolution
        super().__init__(nn.Conv2d(num_feat, scale * scale * num_out_ch, 3, 1, 1), nn.PixelShuffle(scale))


class SwinIR(nn.Module):
    """SwinIR with the authors' constructor (names and defaults of ``network_swinir.SwinIR``).

    ``upsampler``: 'pixelshuffle' (classical SR), 'pixelshuffledirect' (lightweight SR),
    'nearest+conv' (real-world SR, x2/x4), '' or None (denoising / JPEG: output = input + residual).
    ``img_size`` is the *training* patch size; it only fixes the stored ``attn_mask`` buffers.
    """

    def __init__(self, img_size: int | tuple[int, int] = 64, patch_size: int = 1, in_chans: int = 3,
                 embed_dim: int = 96, depths: Sequence[int] = (6, 6, 6, 6), num_heads: Sequence[int] = (6, 6, 6, 6),
                 window_size: int = 7, mlp_ratio: float = 4.0, qkv_bias: bool = True, qk_scale: float | None = None,
                 drop_rate: float = 0.0, attn_drop_rate: float = 0.0, drop_path_rate: float = 0.1,
                 norm_layer: Callable[[int], nn.Module] = nn.LayerNorm, ape: bool = False, patch_norm: bool = True,
                 use_checkpoint: bool = False, upscale: int = 2, img_range: float = 1.0, upsampler: str | None = "",
                 resi_connection: str = "1conv", **kwargs) -> None:
        super().__init__()
        if upsampler not in UPSAMPLERS:
            raise ValueError(f"upsampler must be one of {UPSAMPLERS}, got {upsampler!r}")
        if len(depths) != len(num_heads):
            raise ValueError(f"depths and num_heads differ in length: {list(depths)} vs {list(num_heads)}")
        num_feat = 64
        self.img_range = img_range
        self.upscale = upscale
        self.upsampler = upsampler or ""
        self.window_size = window_size
        self.in_chans = in_chans
        mean = torch.tensor(RGB_MEAN).view(1, 3, 1, 1) if in_chans == 3 else torch.zeros(1, 1, 1, 1)
        self.register_buffer("mean", mean, persistent=False)

        # 1. shallow features
        self.conv_first = nn.Conv2d(in_chans, embed_dim, 3, 1, 1)

        # 2. deep features
        self.num_layers = len(depths)
        self.embed_dim = self.num_features = embed_dim
        self.ape = ape
        self.patch_norm = patch_norm
        self.mlp_ratio = mlp_ratio
        size = _pair(img_size)
        self.patches_resolution = res = (size[0] // patch_size, size[1] // patch_size)
        self.patch_embed = PatchEmbedNorm(embed_dim, norm_layer if patch_norm else None)
        if ape:
            self.absolute_pos_embed = nn.Parameter(torch.zeros(1, res[0] * res[1], embed_dim))
            nn.init.trunc_normal_(self.absolute_pos_embed, std=0.02)
        self.pos_drop = nn.Dropout(drop_rate)
        n = sum(depths)  # stochastic depth grows linearly from 0 to drop_path_rate (as torch.linspace)
        dpr = [drop_path_rate * i / (n - 1) if n > 1 else 0.0 for i in range(n)]
        self.layers = nn.ModuleList()
        for i, (depth, heads) in enumerate(zip(depths, num_heads)):
            start = sum(depths[:i])
            self.layers.append(RSTB(
                embed_dim, res, depth, heads, window_size, mlp_ratio, qkv_bias, qk_scale, drop_rate,
                attn_drop_rate, dpr[start:start + depth], norm_layer, None, use_checkpoint,
                img_size, patch_size, resi_connection,
            ))
        self.norm = norm_layer(embed_dim)
        self.conv_after_body = _resi_block(embed_dim, resi_connection)

        # 3. reconstruction head
        if self.upsampler == "pixelshuffle":
            self.conv_before_upsample = nn.Sequential(nn.Conv2d(embed_dim, num_feat, 3, 1, 1), nn.LeakyReLU(inplace=True))
            self.upsample = Upsample(upscale, num_feat)
            self.conv_last = nn.Conv2d(num_feat, in_chans, 3, 1, 1)
        elif self.upsampler == "pixelshuffledirect":
            self.upsample = UpsampleOneStep(upscale, embed_dim, in_chans, res)
        elif self.upsampler == "nearest+conv":
            if upscale not in (2, 4):
                raise ValueError(f"'nearest+conv' supports upscale 2 or 4, got {upscale}")
            self.conv_before_upsample = nn.Sequential(nn.Conv2d(embed_dim, num_feat, 3, 1, 1), nn.LeakyReLU(inplace=True))
            self.conv_up1 = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
            if upscale == 4:
                self.conv_up2 = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
            self.conv_hr = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
            self.conv_last = nn.Conv2d(num_feat, in_chans, 3, 1, 1)
            self.lrelu = nn.LeakyReLU(negative_slope=0.2, inplace=True)
        else:
            self.conv_last = nn.Conv2d(embed_dim, in_chans, 3, 1, 1)

        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(m: nn.Module) -> None:
        if isinstance(m, nn.Linear):
            nn.init.trunc_normal_(m.weight, std=0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.LayerNorm):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)

    @property
    def scale(self) -> int:
        """Output/input size ratio (1 for the denoising/JPEG head whatever ``upscale`` says)."""
        return self.upscale if self.upsampler else 1

    def check_image_size(self, x: torch.Tensor) -> torch.Tensor:
        """Reflect-pad bottom/right to a multiple of ``window_size`` (authors' in-model padding)."""
        h, w = x.shape[-2:]
        ph, pw = (-h) % self.window_size, (-w) % self.window_size
        return F.pad(x, (0, pw, 0, ph), mode="reflect") if ph or pw else x

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x_size = (x.shape[2], x.shape[3])
        x = self.patch_embed(x)
        if self.ape:
            x = x + self.absolute_pos_embed
        x = self.pos_drop(x)
        for layer in self.layers:
            x = layer(x, x_size)
        return _image(self.norm(x), x_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        x = self.check_image_size(x)
        mean = self.mean.to(x.dtype)
        x = (x - mean) * self.img_range
        if self.upsampler == "":
            first = self.conv_first(x)
            x = x + self.conv_last(self.conv_after_body(self.forward_features(first)) + first)
        else:
            x = self.conv_first(x)
            x = self.conv_after_body(self.forward_features(x)) + x
            if self.upsampler == "pixelshuffle":
                x = self.conv_last(self.upsample(self.conv_before_upsample(x)))
            elif self.upsampler == "pixelshuffledirect":
                x = self.upsample(x)
            else:  # nearest+conv
                x = self.conv_before_upsample(x)
                x = self.lrelu(self.conv_up1(F.interpolate(x, scale_factor=2, mode="nearest")))
                if self.upscale == 4:
                    x = self.lrelu(self.conv_up2(F.interpolate(x, scale_factor=2, mode="nearest")))
                x = self.conv_last(self.lrelu(self.conv_hr(x)))
        x = x / self.img_range + mean
        return x[..., : h * self.scale, : w * self.scale]
