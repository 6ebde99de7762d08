"""The Siamese network: backbone -> neck -> depth-wise correlation per layer -> ``down`` -> CAR head."""
from __future__ import annotations

import torch
from torch import nn

from .head import CARHead
from .neck import Neck
from .xcorr import xcorr_depthwise

TEMPLATE_SIZE = 127
SEARCH_SIZE = 255


class SiameseNetwork(nn.Module):
    """What every tracking network offers the tracker, training and export: ``template``,
    ``search_features``, ``track_features``, ``track``, ``forward``, and the geometry
    ``template_size``, ``search_size``, ``stride``, ``score_size``, ``score_offset``.
    Subclasses set ``stride`` and ``score_size`` and give ``_maps`` (crop -> feature maps) and
    ``_head`` (search and template maps -> ``cls``, ``loc``, ``cen``)."""

    template_size = TEMPLATE_SIZE
    search_size = SEARCH_SIZE
    stride: int
    score_size: int

    @property
    def score_offset(self) -> float:
        """Search-crop pixel of cell (0, 0) (31 for ResNet-50, 63 for AlexNet, 15 for nanocar)."""
        return (self.search_size - 1) / 2 - self.stride * (self.score_size - 1) / 2

    def _maps(self, image: torch.Tensor) -> list[torch.Tensor]:
        raise NotImplementedError

    def _head(self, search_features: list[torch.Tensor], template_features: list[torch.Tensor],
              correlate=xcorr_depthwise) -> dict[str, torch.Tensor]:
        raise NotImplementedError

    def _features(self, image: torch.Tensor) -> list[torch.Tensor]:
        if image.dim() != 4 or image.size(1) != 3:
            raise ValueError(f"expected a B x 3 x H x W image tensor, got shape {tuple(image.shape)}")
        return self._maps(image)

    def template(self, z: torch.Tensor) -> list[torch.Tensor]:
        """The template features of a B x 3 x 127 x 127 crop (one tensor per neck output)."""
        return self._features(z)

    def track(self, x: torch.Tensor, template: list[torch.Tensor]) -> dict[str, torch.Tensor]:
        """Head outputs for search crops against template features (from ``template``); a batch
        of B search crops takes a template batch of B or of 1 (shared)."""
        return self.track_features(self._features(x), template)

    def search_features(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Backbone + neck features of a search crop (what an accelerated extractor replaces)."""
        return self._features(x)

    def track_features(self, search_features: list[torch.Tensor],
                       template: list[torch.Tensor]) -> dict[str, torch.Tensor]:
        """Head outputs for already computed search features against template features."""
        search_features = list(search_features)
        if template is None or len(template) != len(search_features):
            raise ValueError(f"expected template features from template(): one tensor per neck "
                             f"output ({len(search_features)}), got "
                             f"{'None' if template is None else len(template)}")
        batch = search_features[0].size(0)
        if template[0].size(0) == 1 and batch > 1:
            template = [z.expand(batch, *z.shape[1:]) for z in template]
        return self._head(search_features, list(template))

    def forward(self, template: torch.Tensor, search: torch.Tensor) -> dict[str, torch.Tensor]:
        """Batched template/search pairs (training)."""
        if template.size(0) != search.size(0):
            raise ValueError(f"template batch {template.size(0)} != search batch {search.size(0)}")
        return self._head(self._features(search), self._features(template))


class SiamCARModel(SiameseNetwork):
    """SiamCAR network. Inputs are float32 B x 3 x H x W crops with raw 0..255 BGR values.

    Tracking: ``features = template(z)`` once per target, then ``track(x, features)`` per
    frame; the template features are a value the caller keeps (several targets, or a re-detection
    batch, share one network). Training: ``forward(template, search)`` on batches. The heads
    return the dict
    ``cls`` (B x 2 x S x S logits), ``loc`` (B x 4 x S x S, l, t, r, b in search-crop pixels,
    already exp'ed), ``cen`` (B x 1 x S x S logits), S = ``score_size``.

    Cell (i, j) of the maps sits at search-crop pixel
    ``(score_offset + stride * j, score_offset + stride * i)``.
    """

    def __init__(self, backbone: nn.Module, neck: Neck, head: CARHead, config: dict):
        super().__init__()
        self.backbone = backbone
        self.neck = neck
        self.car_head = head
        num_maps = len(backbone.out_channels)
        head_channels = head.cls_logits.in_channels
        # a 1x1 transposed conv: the published weights store it as in x out x 1 x 1
        self.down = nn.ConvTranspose2d(num_maps * neck.out_channels, head_channels, 1, 1)
        self.stride = backbone.stride
        template_features = neck.output_size(backbone.feature_size(self.template_size))
        self.score_size = backbone.feature_size(self.search_size) - template_features + 1
        self.config = dict(config)

    def _maps(self, image: torch.Tensor) -> list[torch.Tensor]:
        return self.neck(self.backbone(image))

    def _head(self, search_features: list[torch.Tensor], template_features: list[torch.Tensor],
              correlate=xcorr_depthwise) -> dict[str, torch.Tensor]:
        """Correlation per neck output, ``down``, the CAR head. ``correlate`` may be another
        form of the depth-wise correlation (the ONNX export's, made of slices)."""
        responses = [correlate(x, z) for x, z in zip(search_features, template_features)]
        cls, loc, cen = self.car_head(self.down(torch.cat(responses, dim=1)))
        # plain NCHW maps whatever layout the backbone ran in, so callers may .view() them
        return {"cls": cls.contiguous(), "loc": loc.contiguous(), "cen": cen.contiguous()}
