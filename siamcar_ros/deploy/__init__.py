"""Deployment tools above the tracking core: building TensorRT engines from the exported ONNX
pair (``siamcar-build-engines``). The core (``model``, ``tracking``) never imports this."""
