"""The SiamCAR network: backbones by name, neck, depth-wise correlation, CAR head, checkpoints."""
from .backbones import BACKBONES, build_backbone
from .builder import build_model
from .checkpoint import (CheckpointError, load_checkpoint, load_imagenet_backbone,
                         save_checkpoint)
from .head import CARHead
from .neck import Neck
from .siamcar import SiamCARModel
from .xcorr import xcorr_depthwise

__all__ = ["BACKBONES", "CARHead", "CheckpointError", "Neck", "SiamCARModel", "build_backbone",
           "build_model", "load_checkpoint", "load_imagenet_backbone", "save_checkpoint",
           "xcorr_depthwise"]
