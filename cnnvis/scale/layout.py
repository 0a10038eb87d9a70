"""Where a run writes, inside its output folder OUT (every path in a manifest or a record is
relative to OUT, so that the folder can be moved):

    OUT/manifest.json                   the run: inputs, outputs, versions, parameters, shards
    OUT/pictures/NAME.METHOD.png        one picture per image and method
    OUT/arrays/NAME.METHOD.npy          the raw maps, one file per image and method (arrays='npy')
    OUT/maps.h5                         or all of them in one HDF5 store (arrays='hdf5')
    OUT/shards/00007.json               shard 7's completion record, written after its outputs
    OUT/shards/00007.npz, 00007.h5      shard 7's part of what the run reduces at the end
    OUT/predictions.csv, top_patches.png, embedding.png, ...   the run's reduced outputs

NAME is the image's name (inputs.py: its path below the inputs' common folder, without the
extension), so pictures/cats/tabby.gradcam.png comes from photos/cats/tabby.jpg.
Every file is written through cnnvis.io.atomic_path: it appears whole or not at all.
"""
import os
from dataclasses import dataclass

MANIFEST = "manifest.json"
SHARDS = "shards"


@dataclass(frozen=True)
class Layout:
    out_dir: str

    def path(self, relative):
        """The absolute path of a path relative to OUT."""
        return os.path.join(self.out_dir, *relative.split("/"))

    def picture(self, name, method, ext=".png"):
        return f"pictures/{name}.{method}{ext}"

    def array(self, name, method):
        return f"arrays/{name}.{method}.npy"

    def record(self, shard):
        return f"{SHARDS}/{shard:05d}.json"

    def part(self, shard, ext):
        return f"{SHARDS}/{shard:05d}{ext}"
