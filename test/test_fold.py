"""BatchNorm folding: the folded copy computes the same maps with no BatchNorm left after a
convolution, and the model it was made from is left as it was."""
import torch
from torch import nn

from siamcar_ros.model import build_model
from siamcar_ros.model.fold import fold_batchnorm
from siamcar_ros.model.nanocar import NanoCARModel


def _randomise_batchnorm(model: nn.Module, seed: int = 0) -> None:
    generator = torch.Generator().manual_seed(seed)
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            size = module.num_features
            module.running_mean.copy_(torch.randn(size, generator=generator))
            module.running_var.copy_(torch.rand(size, generator=generator) + 0.5)
            module.weight.data.copy_(torch.randn(size, generator=generator))
            module.bias.data.copy_(torch.randn(size, generator=generator))


def _batchnorms(model: nn.Module) -> int:
    return sum(isinstance(m, nn.BatchNorm2d) for m in model.modules())


def test_folded_nanocar_gives_the_same_maps_without_its_batchnorms():
    torch.manual_seed(0)
    model = NanoCARModel().eval()
    _randomise_batchnorm(model)
    before = _batchnorms(model)
    folded, count = fold_batchnorm(model)
    assert count == before == 63 and _batchnorms(folded) == 0
    assert _batchnorms(model) == before        # the original keeps its layers
    generator = torch.Generator().manual_seed(1)
    template = torch.rand(1, 3, 127, 127, generator=generator) * 255
    search = torch.rand(1, 3, 255, 255, generator=generator) * 255
    with torch.no_grad():
        expected = model.track(search, model.template(template))
        produced = folded.track(search, folded.template(template))
    for name in ("cls", "loc", "cen"):
        scale = float(expected[name].abs().max())
        assert float((produced[name] - expected[name]).abs().max()) <= 1e-4 * scale, name


def test_folding_keeps_a_batchnorm_that_follows_no_convolution_and_the_model_attributes():
    model = build_model(backbone="alexnet").eval()
    model.recommended_tracker_params = {"penalty_k": 0.1}
    folded, count = fold_batchnorm(model)
    assert count > 0 and folded.recommended_tracker_params == {"penalty_k": 0.1}
    lone = nn.Sequential(nn.ReLU(), nn.BatchNorm2d(4)).eval()
    kept, none = fold_batchnorm(lone)
    assert none == 0 and isinstance(kept[1], nn.BatchNorm2d)
