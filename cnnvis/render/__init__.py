"""Pictures: overlays, mosaics, panels, GIFs and the HTML report."""
from .common import (colorize, image_grid, new_figure, normalize, overlay, resize_map, save_figure,
                     save_png, to_uint8)

__all__ = ["colorize", "image_grid", "new_figure", "normalize", "overlay", "resize_map",
           "save_figure", "save_png", "to_uint8"]
