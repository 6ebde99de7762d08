"""``siamcar-export-onnx``: write a model's ONNX pair (template and search networks).

    siamcar-export-onnx default --output out/onnx     # out/onnx/siamcar_default_{template,search}.onnx

The export itself is ``siamcar_ros.model.onnx_export.export_onnx``; this is its command line.
"""
from __future__ import annotations

import argparse
import logging
import sys

from siamcar_ros.model.checkpoint import CheckpointError, load_checkpoint
from siamcar_ros.model.onnx_export import ONNX_OPSET, ExportError, export_onnx
from siamcar_ros.tracking import resolve_checkpoint


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="siamcar-export-onnx", description=__doc__.split("\n\n")[0].strip("`"))
    parser.add_argument("checkpoint", help="a .pth file or a bundled model name (default, fast)")
    parser.add_argument("--output", default="out/onnx", help="folder for the two .onnx files")
    parser.add_argument("--name", default=None, help="file name stem (default: the checkpoint's)")
    parser.add_argument("--tolerance", type=float, default=1e-4,
                        help="largest relative difference from eager PyTorch allowed")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    path = resolve_checkpoint(args.checkpoint)
    try:
        if not path.is_file():
            raise FileNotFoundError(f"checkpoint file {path} does not exist")
        model = load_checkpoint(path)
        exported = export_onnx(model, args.output, args.name or path.stem, args.tolerance)
    except (CheckpointError, FileNotFoundError, ExportError) as error:
        print(f"siamcar-export-onnx: error: {error}", file=sys.stderr)
        return 2
    print(f"{exported.template_path} (max relative difference {exported.template_difference:.1e})")
    print(f"{exported.search_path} (max relative difference {exported.search_difference:.1e})")
    print(f"opset {ONNX_OPSET}; inputs raw BGR 0..255 crops, template {model.template_size}, "
          f"search {model.search_size}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
