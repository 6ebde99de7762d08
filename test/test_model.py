"""The SiamCAR network: published ResNet-50 layout stage by stage, the other backbones,
the neck crop, depth-wise correlation, the CAR head and the model's call shapes."""
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from siamcar_ros.model import BACKBONES, build_model, xcorr_depthwise
from siamcar_ros.model.head import CARHead, group_norm_groups
from siamcar_ros.model.neck import AdjustLayer

SPEC = Path(__file__).parent / "data" / "siamcar_r50_state_dict.tsv"
SMALL = dict(backbone="alexnet", width_mult=0.5, neck_channels=64, head_channels=64, head_num_convs=2)


def read_spec():
    rows = [line.rstrip("\n").split("\t") for line in SPEC.read_text().splitlines()
            if line and not line.startswith("#")]
    return {key: (shape, dtype) for key, shape, dtype in rows}


def shape_text(tensor):
    return "x".join(str(s) for s in tensor.shape) or "scalar"


def crops(batch=1, seed=0):
    generator = torch.Generator().manual_seed(seed)
    template = torch.rand(batch, 3, 127, 127, generator=generator) * 255
    search = torch.rand(batch, 3, 255, 255, generator=generator) * 255
    return template, search


@pytest.fixture(scope="module")
def resnet50_model():
    torch.manual_seed(0)
    return build_model("resnet50").eval()


@pytest.fixture(scope="module")
def resnet50_stages(resnet50_model):
    """Every intermediate output of one template/search pair (computed once)."""
    template, search = crops()
    model = resnet50_model
    with torch.no_grad():
        stages = {"template_backbone": model.backbone(template),
                  "search_backbone": model.backbone(search)}
        stages["template_neck"] = model.neck(stages["template_backbone"])
        stages["search_neck"] = model.neck(stages["search_backbone"])
        stages["responses"] = [xcorr_depthwise(x, z) for x, z in
                               zip(stages["search_neck"], stages["template_neck"])]
        stages["down"] = model.down(torch.cat(stages["responses"], 1))
        stages["track"] = model.track(search, model.template(template))
    return stages


def test_resnet50_state_dict_has_exactly_the_published_names_shapes_and_dtypes(resnet50_model):
    spec = read_spec()
    ours = resnet50_model.state_dict()
    assert sorted(ours) == sorted(spec)
    for key, (shape, dtype) in spec.items():
        assert shape_text(ours[key]) == shape, key
        assert str(ours[key].dtype) == f"torch.{dtype}", key


def conv_geometry(conv):
    return conv.kernel_size[0], conv.stride[0], conv.padding[0], conv.dilation[0]


def test_resnet50_convolutions_use_the_published_padding_stride_and_dilation(resnet50_model):
    net = resnet50_model.backbone
    # (kernel, stride, padding, dilation)
    assert conv_geometry(net.conv1) == (7, 2, 0, 1)
    assert (net.maxpool.kernel_size, net.maxpool.stride, net.maxpool.padding) == (3, 2, 1)
    assert conv_geometry(net.layer1[0].conv2) == (3, 1, 1, 1)
    assert conv_geometry(net.layer1[0].downsample[0]) == (1, 1, 0, 1)
    assert conv_geometry(net.layer2[0].conv2) == (3, 2, 0, 1)
    assert conv_geometry(net.layer2[0].downsample[0]) == (3, 2, 0, 1)
    assert conv_geometry(net.layer2[1].conv2) == (3, 1, 1, 1)
    assert conv_geometry(net.layer3[0].conv2) == (3, 1, 1, 1)
    assert conv_geometry(net.layer3[0].downsample[0]) == (3, 1, 1, 1)
    assert all(conv_geometry(block.conv2) == (3, 1, 2, 2) for block in net.layer3[1:])
    assert conv_geometry(net.layer4[0].conv2) == (3, 1, 2, 2)
    assert conv_geometry(net.layer4[0].downsample[0]) == (3, 1, 2, 2)
    assert all(conv_geometry(block.conv2) == (3, 1, 4, 4) for block in net.layer4[1:])


def test_resnet50_backbone_gives_layer2_3_4_at_15x15_for_template_and_31x31_for_search(resnet50_stages):
    for name, side in (("template_backbone", 15), ("search_backbone", 31)):
        shapes = [tuple(f.shape) for f in resnet50_stages[name]]
        assert shapes == [(1, 512, side, side), (1, 1024, side, side), (1, 2048, side, side)]


def test_resnet50_neck_crops_template_to_7x7_and_keeps_search_31x31(resnet50_stages):
    assert [tuple(f.shape) for f in resnet50_stages["template_neck"]] == [(1, 256, 7, 7)] * 3
    assert [tuple(f.shape) for f in resnet50_stages["search_neck"]] == [(1, 256, 31, 31)] * 3


def test_resnet50_correlation_response_is_25x25_and_down_maps_768_to_256(resnet50_stages, resnet50_model):
    assert [tuple(r.shape) for r in resnet50_stages["responses"]] == [(1, 256, 25, 25)] * 3
    assert tuple(resnet50_stages["down"].shape) == (1, 256, 25, 25)
    assert isinstance(resnet50_model.down, nn.ConvTranspose2d)
    assert tuple(resnet50_model.down.weight.shape) == (768, 256, 1, 1)


def test_resnet50_track_returns_cls_loc_cen_with_positive_loc(resnet50_stages):
    outputs = resnet50_stages["track"]
    assert {k: tuple(v.shape) for k, v in outputs.items()} == {
        "cls": (1, 2, 25, 25), "loc": (1, 4, 25, 25), "cen": (1, 1, 25, 25)}
    assert all(v.dtype == torch.float32 and torch.isfinite(v).all() for v in outputs.values())
    assert (outputs["loc"] > 0).all()


def test_resnet50_attributes_describe_the_score_grid(resnet50_model):
    model = resnet50_model
    assert (model.template_size, model.search_size, model.score_size, model.stride) == (127, 255, 25, 8)
    assert model.score_offset == 31
    assert model.config["backbone"] == "resnet50"


def test_batched_forward_equals_per_sample_template_then_track(resnet50_model):
    templates, searches = crops(batch=2, seed=3)
    with torch.no_grad():
        batched = resnet50_model(templates, searches)
        for i in range(2):
            single = resnet50_model.track(searches[i:i + 1],
                                          resnet50_model.template(templates[i:i + 1]))
            for key in ("cls", "loc", "cen"):
                torch.testing.assert_close(batched[key][i:i + 1], single[key], rtol=1e-4, atol=1e-4)


def test_template_crop_keeps_centre_7x7_indices_4_to_10():
    layer = AdjustLayer(1, 1).eval()
    nn.init.ones_(layer.downsample[0].weight)  # identity conv and identity BN in eval
    template_map = torch.arange(15 * 15, dtype=torch.float32).view(1, 1, 15, 15)
    search_map = torch.arange(31 * 31, dtype=torch.float32).view(1, 1, 31, 31)
    with torch.no_grad():
        torch.testing.assert_close(layer(template_map), template_map[:, :, 4:11, 4:11], rtol=1e-4, atol=0)
        torch.testing.assert_close(layer(search_map), search_map, rtol=1e-4, atol=0)


def test_xcorr_depthwise_matches_per_sample_per_channel_correlation():
    generator = torch.Generator().manual_seed(1)
    search = torch.randn(2, 3, 9, 9, generator=generator)
    kernel = torch.randn(2, 3, 4, 4, generator=generator)
    response = xcorr_depthwise(search, kernel)
    assert tuple(response.shape) == (2, 3, 6, 6)
    for b in range(2):
        for c in range(3):
            expected = F.conv2d(search[b:b + 1, c:c + 1], kernel[b:b + 1, c:c + 1])[0, 0]
            torch.testing.assert_close(response[b, c], expected)


def test_xcorr_depthwise_rejects_mismatched_batch_or_channels():
    with pytest.raises(ValueError, match="same B and C"):
        xcorr_depthwise(torch.zeros(1, 4, 9, 9), torch.zeros(1, 3, 4, 4))


def test_head_towers_follow_published_layout_and_groupnorm_groups_adapt_to_width():
    head = CARHead(256, num_convs=4)
    assert [type(m).__name__ for m in head.cls_tower[:3]] == ["Conv2d", "GroupNorm", "ReLU"]
    assert len(head.bbox_tower) == 12 and head.cls_tower[1].num_groups == 32
    assert (group_norm_groups(64), group_norm_groups(96), group_norm_groups(24)) == (8, 12, 3)
    narrow = CARHead(96, num_convs=2)
    assert narrow.cls_tower[1].num_groups == 12 and len(narrow.cls_tower) == 6


@pytest.mark.parametrize("backbone, score_size", [("resnet18", 25), ("alexnet", 17), ("mobilenetv2", 25)])
def test_other_backbones_give_their_documented_score_size(backbone, score_size):
    model = build_model(backbone, neck_channels=32, head_channels=32, head_num_convs=1).eval()
    template, search = crops()
    with torch.no_grad():
        outputs = model(template, search)
    assert model.score_size == score_size and model.stride == 8
    assert tuple(outputs["cls"].shape) == (1, 2, score_size, score_size)
    assert tuple(outputs["loc"].shape) == (1, 4, score_size, score_size)
    assert tuple(outputs["cen"].shape) == (1, 1, score_size, score_size)


@pytest.mark.parametrize("backbone", sorted(set(BACKBONES) - {"resnet50"}))
def test_backbone_feature_size_matches_the_maps_it_returns(backbone):
    network = build_model(backbone, width_mult=0.25).backbone.eval()
    with torch.no_grad():
        for size in (127, 255):
            maps = network(torch.zeros(1, 3, size, size))
            assert [m.shape[1] for m in maps] == network.out_channels
            assert all(m.shape[-1] == network.feature_size(size) for m in maps)


def test_alexnet_features_move_one_cell_when_the_input_moves_by_the_stride():
    network = build_model("alexnet", width_mult=0.25).backbone.eval()
    image = torch.rand(1, 3, 127, 255) * 255
    with torch.no_grad():
        features = network(image[..., 8:])[0]
        shifted = network(image[..., :-8])[0]
    torch.testing.assert_close(features[..., :-1], shifted[..., 1:])


def test_small_fast_config_builds_and_rebuilds_from_its_config():
    model = build_model(**SMALL)
    assert model.config == {**SMALL, "width_mult": 0.5}
    rebuilt = build_model(**model.config)
    assert {k: v.shape for k, v in rebuilt.state_dict().items()} == \
        {k: v.shape for k, v in model.state_dict().items()}
    assert model.score_size == 17 and model.score_offset == 63


def test_shortened_mobilenet_returns_the_chosen_stages_and_rebuilds_from_its_config():
    model = build_model("mobilenetv2", neck_channels=16, head_channels=16, head_num_convs=1,
                        backbone_outputs=[4, 2])
    assert model.config["backbone_outputs"] == [4, 2]
    assert model.backbone.out_channels == [32, 96] and len(model.backbone.features) == 14
    assert model.score_size == 25
    with torch.no_grad():
        maps = model.backbone(torch.zeros(1, 3, 255, 255))
    assert [tuple(m.shape[1:]) for m in maps] == [(32, 31, 31), (96, 31, 31)]
    rebuilt = build_model(**model.config)
    assert {k: v.shape for k, v in rebuilt.state_dict().items()} == \
        {k: v.shape for k, v in model.state_dict().items()}


@pytest.mark.parametrize("kwargs, message", [
    (dict(backbone="mobilenetv2", backbone_outputs=[1, 4]), r"outputs must be distinct stage indices in 2\.\.6"),
    (dict(backbone="mobilenetv2", backbone_outputs=[]), "outputs must be distinct stage indices"),
    (dict(backbone="resnet18", backbone_outputs=[2]), "backbone 'resnet18' has fixed outputs"),
    (dict(backbone="vgg16"), "unknown backbone 'vgg16'; choose one of"),
    (dict(backbone="resnet50", width_mult=0.5), "width_mult must be 1.0"),
    (dict(backbone="alexnet", width_mult=0), "width_mult must be > 0"),
    (dict(backbone="alexnet", head_channels=0), "head_channels must be a positive integer"),
    (dict(backbone="alexnet", neck_channels=2.5), "neck_channels must be a positive integer"),
])
def test_build_model_rejects_bad_arguments_naming_them(kwargs, message):
    with pytest.raises(ValueError, match=message):
        build_model(**kwargs)


def test_search_batch_shares_one_template_as_a_value():
    model = build_model(**SMALL).eval()
    generator = torch.Generator().manual_seed(2)
    template = model.template(torch.rand(1, 3, 127, 127, generator=generator) * 255)
    searches = torch.rand(3, 3, 255, 255, generator=generator) * 255
    with torch.no_grad():
        batched = model.track(searches, template)
        for i in range(3):
            single = model.track(searches[i:i + 1], template)
            torch.testing.assert_close(batched["cls"][i:i + 1], single["cls"], rtol=1e-4, atol=1e-4)


def test_track_without_template_features_and_bad_inputs_fail_clearly():
    model = build_model(**SMALL).eval()
    with pytest.raises(ValueError, match="expected template features from template"):
        model.track(torch.zeros(1, 3, 255, 255), None)
    with pytest.raises(ValueError, match="B x 3 x H x W"):
        model.template(torch.zeros(3, 127, 127))
    with pytest.raises(ValueError, match="template batch 2 != search batch 1"):
        model(torch.zeros(2, 3, 127, 127), torch.zeros(1, 3, 255, 255))


@pytest.mark.parametrize("backbone", ["alexnet", "mobilenetv2"])
def test_channels_last_fast_path_gives_the_same_maps_as_plain_layout(backbone):
    network = build_model(backbone, width_mult=0.25).backbone.eval()
    image = torch.rand(1, 3, 127, 127) * 255
    with torch.no_grad():
        fast = network(image)
        plain, x = [], image
        for index, layer in enumerate(network.features if backbone == "mobilenetv2" else
                                      [network.layer1, network.layer2, network.layer3,
                                       network.layer4, network.layer5]):
            x = layer(x)
            if backbone == "alexnet" or index in network.return_indices:
                plain.append(x)
        plain = plain[-1:] if backbone == "alexnet" else plain
    assert fast[0].is_contiguous(memory_format=torch.channels_last)
    for f, p in zip(fast, plain):
        assert p.is_contiguous()
        torch.testing.assert_close(f, p, rtol=1e-4, atol=1e-3)
