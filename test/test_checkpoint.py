"""Checkpoint I/O: published ResNet-50 state dicts load strictly, every kind of bad file
gives one clear CheckpointError, our own files round-trip with their config, and
torchvision-named ImageNet weights load into the backbone."""
import pickle
from collections import OrderedDict
from pathlib import Path

import pytest
import torch
from torch import nn

from siamcar_ros.model import (CheckpointError, build_model, load_checkpoint,
                               load_imagenet_backbone, save_checkpoint)
from siamcar_ros.model.checkpoint import guess_config, read_checkpoint

SPEC = Path(__file__).parent / "data" / "siamcar_r50_state_dict.tsv"
SMALL = dict(backbone="alexnet", width_mult=0.5, neck_channels=64, head_channels=64, head_num_convs=2)


def spec_state_dict(seed=0):
    """A state dict with exactly the published names, shapes and dtypes, random values."""
    generator = torch.Generator().manual_seed(seed)
    state = OrderedDict()
    for line in SPEC.read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        key, shape, dtype = line.split("\t")
        if dtype == "int64":
            state[key] = torch.tensor(7)
        else:
            dims = [] if shape == "scalar" else [int(s) for s in shape.split("x")]
            values = torch.rand(dims, generator=generator)
            state[key] = values + 0.5 if key.endswith("running_var") else values * 0.02
    return state


@pytest.fixture(scope="module")
def published():
    return spec_state_dict()


@pytest.fixture(scope="module")
def resnet50_model():
    return build_model("resnet50")


@pytest.fixture
def write(tmp_path):
    def write_payload(payload, name="weights.pth"):
        path = tmp_path / name
        torch.save(payload, path)
        return path
    return write_payload


@pytest.mark.parametrize("wrap", ["state_dict", "model", "module_prefix", "wrapped_and_prefixed"])
def test_spec_state_dict_loads_strictly_wrapped_or_prefixed(published, resnet50_model, write, wrap):
    prefixed = {f"module.{k}": v for k, v in published.items()}
    payload = {"state_dict": {"state_dict": published, "epoch": 19},
               "model": {"model": published}, "module_prefix": prefixed,
               "wrapped_and_prefixed": {"state_dict": prefixed}}[wrap]
    model = load_checkpoint(write(payload), resnet50_model)
    torch.testing.assert_close(model.car_head.cls_logits.weight, published["car_head.cls_logits.weight"])
    torch.testing.assert_close(model.backbone.layer4[2].bn3.running_var,
                               published["backbone.layer4.2.bn3.running_var"])
    assert not model.training


def test_published_file_without_config_builds_resnet50(published, write):
    model = load_checkpoint(write(published))
    assert model.config["backbone"] == "resnet50" and model.score_size == 25
    torch.testing.assert_close(model.down.weight, published["down.weight"])


def test_missing_extra_and_misshaped_keys_are_all_named_in_one_error(published, resnet50_model, write):
    broken = dict(published)
    del broken["car_head.centerness.bias"]
    broken["car_head.scale.weight"] = torch.ones(1)
    broken["down.weight"] = torch.zeros(256, 768, 1, 1)
    with pytest.raises(CheckpointError) as error:
        load_checkpoint(write(broken), resnet50_model)
    message = str(error.value)
    assert "weights.pth" in message
    assert "1 missing keys: car_head.centerness.bias" in message
    assert "1 unexpected keys: car_head.scale.weight" in message
    assert "1 mis-shaped keys: down.weight (file 256x768x1x1, model 768x256x1x1)" in message


def test_long_key_lists_are_capped(published, resnet50_model, write):
    partial = {k: v for k, v in published.items() if not k.startswith("car_head.")}
    with pytest.raises(CheckpointError, match=r"38 missing keys: car_head\.[^;]* \.\.\. and 30 more"):
        load_checkpoint(write(partial), resnet50_model)


def test_mismatch_error_says_which_backbone_the_file_was_made_for(resnet50_model, write):
    small_file = write(build_model(**SMALL).state_dict())
    with pytest.raises(CheckpointError, match=r"made for build_model\(\*\*\{'backbone': 'alexnet', "
                                              r"'width_mult': 0.5, 'neck_channels': 64"):
        load_checkpoint(small_file, resnet50_model)


def test_guess_config_recognises_every_backbone():
    for backbone in ("resnet18", "alexnet", "mobilenetv2"):
        config = dict(backbone=backbone, width_mult=0.5, neck_channels=32, head_channels=48,
                      head_num_convs=3)
        assert guess_config(build_model(**config).state_dict()) == config


def test_config_less_small_model_file_is_rebuilt_from_its_keys(write):
    small = build_model(**SMALL)
    model = load_checkpoint(write(small.state_dict()))
    assert model.config == small.config


@pytest.mark.parametrize("payload, message", [
    ([1, 2, 3], "holds a list, not a state dict"),
    (torch.zeros(3), "holds a Tensor, not a state dict"),
    ({"state_dict": {"conv.weight": torch.zeros(1), "note": "text"}}, "non-tensor entries note"),
    ({}, "not a state dict: no entries"),
])
def test_files_that_are_not_state_dicts_fail_naming_the_file(write, payload, message):
    path = write(payload)
    with pytest.raises(CheckpointError, match=message) as error:
        load_checkpoint(path, build_model(**SMALL))
    assert str(path) in str(error.value)


def test_truncated_file_fails_clearly(tmp_path):
    path = tmp_path / "truncated.pth"
    save_checkpoint(path, build_model(**SMALL))
    path.write_bytes(path.read_bytes()[:5000])
    with pytest.raises(CheckpointError, match="truncated, corrupt or not a PyTorch file") as error:
        load_checkpoint(path)
    assert str(path) in str(error.value)


def test_missing_file_and_directory_fail_naming_the_path(tmp_path):
    with pytest.raises(CheckpointError, match=r"nope\.pth does not exist"):
        load_checkpoint(tmp_path / "nope.pth")
    with pytest.raises(CheckpointError, match="is a directory, not a file"):
        load_checkpoint(tmp_path)


def test_a_text_file_is_called_not_a_pytorch_file(tmp_path):
    path = tmp_path / "notes.pth"
    path.write_text("these are notes, not weights")
    with pytest.raises(CheckpointError, match=r"is not a PyTorch file \(it starts with b'thes'\)"):
        load_checkpoint(path)


class _RunsCodeWhenUnpickled:
    marker: Path = Path("unused")

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_checkpoint_that_would_run_code_is_refused_and_nothing_runs(tmp_path):
    _RunsCodeWhenUnpickled.marker = tmp_path / "code_ran"
    path = tmp_path / "evil.pth"
    torch.save({"state_dict": {"x": torch.zeros(1)}, "hook": _RunsCodeWhenUnpickled()}, path,
               pickle_module=pickle)
    with pytest.raises(CheckpointError, match="refusing to load it") as error:
        load_checkpoint(path)
    assert not _RunsCodeWhenUnpickled.marker.exists()
    assert "weights_only=False" not in str(error.value) and "safe_globals" not in str(error.value)


def test_own_checkpoint_round_trips_weights_config_and_extra(tmp_path):
    torch.manual_seed(5)
    model = build_model(**SMALL).eval()
    path = save_checkpoint(tmp_path / "sub" / "small.pth", model, extra={"epoch": 4, "loss": 0.25})
    contents = read_checkpoint(path)
    assert contents.config == model.config and contents.extra == {"epoch": 4, "loss": 0.25}
    loaded = load_checkpoint(path)
    template, search = torch.rand(1, 3, 127, 127) * 255, torch.rand(1, 3, 255, 255) * 255
    with torch.no_grad():
        expected, actual = model(template, search), loaded(template, search)
    for key in ("cls", "loc", "cen"):
        torch.testing.assert_close(actual[key], expected[key], rtol=0, atol=0)
    assert not (tmp_path / "sub" / "small.pth.partial").exists()


def test_save_checkpoint_rejects_reserved_extra_keys(tmp_path):
    with pytest.raises(ValueError, match="reserved keys"):
        save_checkpoint(tmp_path / "x.pth", build_model(**SMALL), extra={"config": {}})


def test_cuda_device_without_gpu_falls_back_to_cpu(tmp_path, caplog):
    path = save_checkpoint(tmp_path / "small.pth", build_model(**SMALL))
    if torch.cuda.is_available():
        pytest.skip("a GPU is present; the fallback path is not taken")
    model = load_checkpoint(path, device="cuda")
    assert next(model.parameters()).device.type == "cpu"
    assert "not available" in caplog.text


def test_auto_device_loads_and_a_bad_device_name_is_rejected(tmp_path):
    path = save_checkpoint(tmp_path / "small.pth", build_model(**SMALL))
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert next(load_checkpoint(path, device="auto").parameters()).device.type == expected
    with pytest.raises(ValueError, match="unknown device 'gpu0'; allowed: \"auto\", \"cpu\", \"cuda\" or \"cuda:N\""):
        load_checkpoint(path, device="gpu0")


# --- ImageNet weights in torchvision's naming -------------------------------------------

class TorchvisionBottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.downsample = downsample


class TorchvisionBasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample


class TorchvisionResNet(nn.Module):
    """The ImageNet classifier layout of torchvision.models.resnet (parameters only)."""

    def __init__(self, block, layers):
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        for index, (planes, blocks) in enumerate(zip((64, 128, 256, 512), layers)):
            stride = 1 if index == 0 else 2
            setattr(self, f"layer{index + 1}", self._make_layer(block, planes, blocks, stride))
        self.fc = nn.Linear(512 * block.expansion, 1000)

    def _make_layer(self, block, planes, blocks, stride):
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(nn.Conv2d(self.inplanes, planes * block.expansion, 1, stride,
                                                 bias=False), nn.BatchNorm2d(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * block.expansion
        layers += [block(self.inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)


def conv_bn_relu6(cin, cout, kernel, stride=1, groups=1):
    return nn.Sequential(nn.Conv2d(cin, cout, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU6())


class TorchvisionInvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expansion):
        super().__init__()
        hidden = cin * expansion
        layers = [conv_bn_relu6(cin, hidden, 1)] if expansion != 1 else []
        layers += [conv_bn_relu6(hidden, hidden, 3, stride, groups=hidden),
                   nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout)]
        self.conv = nn.Sequential(*layers)


class TorchvisionMobileNetV2(nn.Module):
    """The ImageNet classifier layout of torchvision.models.mobilenet_v2 (parameters only)."""

    def __init__(self):
        super().__init__()
        features, cin = [conv_bn_relu6(3, 32, 3, 2)], 32
        for t, c, n, s in ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                           (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)):
            for i in range(n):
                features.append(TorchvisionInvertedResidual(cin, c, s if i == 0 else 1, t))
                cin = c
        features.append(conv_bn_relu6(320, 1280, 1))
        self.features = nn.Sequential(*features)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, 1000))


def randomised(module, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return {k: (torch.rand(v.shape, generator=generator) if v.is_floating_point() else v)
            for k, v in module.state_dict().items()}


def test_torchvision_resnet50_weights_load_into_the_backbone(tmp_path):
    imagenet = randomised(TorchvisionResNet(TorchvisionBottleneck, [3, 4, 6, 3]))
    path = tmp_path / "resnet50-imagenet.pth"
    torch.save(imagenet, path)
    model = build_model("resnet50")
    report = load_imagenet_backbone(model, path)
    backbone = model.backbone.state_dict()
    assert sorted(report["dropped"]) == ["fc.bias", "fc.weight"]
    assert sorted(report["adapted"]) == [f"layer{i}.0.downsample.0.weight" for i in (2, 3, 4)]
    assert len(report["loaded"]) + len(report["adapted"]) == len(backbone)
    torch.testing.assert_close(backbone["conv1.weight"], imagenet["conv1.weight"])
    torch.testing.assert_close(backbone["layer3.5.bn3.running_mean"], imagenet["layer3.5.bn3.running_mean"])
    widened = backbone["layer2.0.downsample.0.weight"]
    torch.testing.assert_close(widened[:, :, 1, 1], imagenet["layer2.0.downsample.0.weight"][:, :, 0, 0])
    assert widened.abs().sum() == widened[:, :, 1, 1].abs().sum()


def test_torchvision_resnet18_weights_without_batch_counters_load(tmp_path):
    imagenet = {k: v for k, v in randomised(TorchvisionResNet(TorchvisionBasicBlock, [2, 2, 2, 2])).items()
                if not k.endswith("num_batches_tracked")}
    path = tmp_path / "resnet18.pth"
    torch.save({"state_dict": imagenet}, path)
    model = build_model("resnet18")
    load_imagenet_backbone(model, path)
    torch.testing.assert_close(model.backbone.layer4[1].conv2.weight, imagenet["layer4.1.conv2.weight"])


def test_torchvision_mobilenetv2_weights_load_dropping_the_classifier(tmp_path):
    imagenet = randomised(TorchvisionMobileNetV2())
    path = tmp_path / "mobilenetv2.pth"
    torch.save(imagenet, path)
    model = build_model("mobilenetv2")
    report = load_imagenet_backbone(model, path)
    assert not report["adapted"]
    assert all(k.startswith(("features.18.", "classifier.")) for k in report["dropped"])
    torch.testing.assert_close(model.backbone.features[17].conv[2].weight, imagenet["features.17.conv.2.weight"])


def test_imagenet_weights_for_another_backbone_fail_listing_the_keys(tmp_path):
    path = tmp_path / "resnet18.pth"
    torch.save(randomised(TorchvisionResNet(TorchvisionBasicBlock, [2, 2, 2, 2])), path)
    with pytest.raises(CheckpointError, match=r"do not fit the resnet50 backbone: \d+ missing keys: "
                                              r"layer1.0.conv3.weight.*mis-shaped keys: layer1.0.conv1.weight "
                                              r"\(file 64x64x3x3, backbone 64x64x1x1\)"):
        load_imagenet_backbone(build_model("resnet50"), path)
