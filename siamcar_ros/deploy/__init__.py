"""Deployment tools above the tracking core: tracking a video, image folder or camera from the
command line (``siamcar-track``, ``track``), exporting the network to ONNX
(``siamcar-export-onnx``) and building TensorRT engines from the exported pair
(``siamcar-build-engines``). The core (``model``, ``tracking``) never imports this."""
