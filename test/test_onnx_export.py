"""ONNX export: two files per network that ONNX Runtime runs to the eager maps, with a
correlation TensorRT's parser takes (no convolution weights from inputs)."""
import numpy as np
import onnx
import onnxruntime
import pytest
import torch

from siamcar_ros.model import build_model, xcorr_depthwise
from siamcar_ros.deploy.export_onnx import main
from siamcar_ros.model.onnx_export import ExportError, export_onnx
from siamcar_ros.model.xcorr import xcorr_depthwise_slices


def test_slice_correlation_equals_the_grouped_convolution():
    generator = torch.Generator().manual_seed(0)
    search, kernel = torch.randn(2, 5, 13, 11, generator=generator), torch.randn(2, 5, 4, 3, generator=generator)
    torch.testing.assert_close(xcorr_depthwise_slices(search, kernel), xcorr_depthwise(search, kernel),
                               rtol=1e-5, atol=1e-5)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    torch.manual_seed(1)
    model = build_model("mobilenetv2", width_mult=0.25, neck_channels=16, head_channels=16,
                        head_num_convs=1, backbone_outputs=[2, 4]).eval()
    return model, export_onnx(model, tmp_path_factory.mktemp("onnx"), "tiny")


def test_exported_files_reload_and_track_like_eager(exported):
    model, files = exported
    assert files.template_difference <= 1e-4 and files.search_difference <= 1e-4
    template_session = onnxruntime.InferenceSession(str(files.template_path), providers=["CPUExecutionProvider"])
    search_session = onnxruntime.InferenceSession(str(files.search_path), providers=["CPUExecutionProvider"])
    generator = torch.Generator().manual_seed(7)
    z = torch.rand(1, 3, 127, 127, generator=generator) * 255
    x = torch.rand(1, 3, 255, 255, generator=generator) * 255
    features = template_session.run(None, {"template": z.numpy()})
    assert [i.name for i in search_session.get_inputs()] == ["search", "zf0", "zf1"]
    cls, loc, cen = search_session.run(None, {"search": x.numpy(), "zf0": features[0], "zf1": features[1]})
    with torch.no_grad():
        expected = model.track(x, model.template(z))
    for produced, name in ((cls, "cls"), (loc, "loc"), (cen, "cen")):
        reference = expected[name].numpy()
        assert np.abs(produced - reference).max() <= 1e-4 * max(np.abs(reference).max(), 1.0), name


def test_no_convolution_takes_its_weights_from_an_input(exported):
    _, files = exported
    graph = onnx.load(str(files.search_path)).graph
    constants = {i.name for i in graph.initializer} | {
        out for node in graph.node if node.op_type == "Constant" for out in node.output}
    convolutions = [node for node in graph.node if node.op_type == "Conv"]
    assert convolutions and all(node.input[1] in constants for node in convolutions)
    assert onnx.load(str(files.search_path)).opset_import[0].version == 17


def test_an_export_that_disagrees_is_an_error(tiny_model, tmp_path):
    with pytest.raises(ExportError, match="differs from eager PyTorch"):
        export_onnx(tiny_model, tmp_path, "strict", tolerance=-1.0)


def test_command_exports_the_fast_model_and_names_a_missing_file(tmp_path, capsys):
    assert main(["fast", "--output", str(tmp_path)]) == 0
    assert (tmp_path / "siamcar_fast_template.onnx").is_file()
    assert (tmp_path / "siamcar_fast_search.onnx").is_file()
    assert main([str(tmp_path / "none.pth"), "--output", str(tmp_path)]) == 2
    assert "none.pth does not exist" in capsys.readouterr().err
