"""What every command does with the common options, one way: which network (and why), which
image and what was done to it, which target, where the picture goes.

    run = Run(args, "predict", image=True)   # the network, the image fitted to it, notes said
    run.net, run.fit, run.x                  # the network; cnnvis.fit.Fit; its input (1, C, H, W)
    run.save(fig)                            # the notes in the figure's footer, --dpi, the path on stdout

Notes (the model chosen, the transform of the image) go to stderr unless --quiet; warnings
about the result (random weights, a default model that is not installed) always do. stdout
holds only results: the paths written, and the tables of predict, summary, verify.
"""
import os
import re
import sys

from cnnvis.commands.options import PHOTO_MODEL, RANDOM, image_spec, network, parse_target, read_image
from cnnvis.errors import InputError
from cnnvis.io import check_output


def describe(args, net):
    """The network in a few words, for the footer of a figure."""
    if args.weights:
        return f"{net.name} from {os.path.basename(args.weights)}"
    model = args.model or "bundled"
    if model in RANDOM:
        return f"{model} with random weights"
    return {"bundled": "the bundled Fashion-MNIST model", "efficientnet-lite0": "EfficientNet-Lite0 (ImageNet weights)",
            "hed": "VGG16's conv layers (HED weights)"}[model]


def stem(spec):
    """The name of an image for an output file: 'cat', 'sample13', 'photo' for /x/photo.jpg."""
    name = spec.replace("sample:", "sample") if spec.startswith("sample:") else os.path.splitext(os.path.basename(spec))[0]
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name) or "image"


def default_out(what, spec=None, ext=".png"):
    """The one rule for a default output: IMAGE-WHAT.png for a command given an image (WHAT:
    the method of explain, else the command), WHAT.png without one; in the current folder."""
    return (f"{stem(spec)}-{what}" if spec else what) + ext


def default_model(spec, original, say, warn):
    """The model for an image when no --model is given: the bundled one for its samples and
    grey 28x28 images, EfficientNet-Lite0 (ImageNet) for a photo where it is installed (for a
    dataset: for its first image); say and warn: the note and the warning's printers."""
    import importlib
    P = importlib.import_module("cnnvis.pretrained")  # the module (cnnvis.pretrained is also a function)
    if spec is None or spec.startswith("sample:") or (original.ndim == 2 and original.shape == (28, 28)):
        return "bundled"
    if P.weights_path(PHOTO_MODEL, required=False):
        say(f"model: {PHOTO_MODEL} (ImageNet classes), the default for a photo; --model to choose another")
        return PHOTO_MODEL
    warn(f"{PHOTO_MODEL}, the default model for photos, is not installed ({P.PRETRAINED[PHOTO_MODEL][2]}): "
         "using the bundled Fashion-MNIST model (28x28 grey clothes) instead")
    return "bundled"


def random_weights_warning(args):
    """The warning that --model has random weights, or None."""
    if (args.model or "bundled") in RANDOM and not args.weights:
        return (f"{args.model} has random weights (no trained ones come with cnnvis): what it predicts and the "
                "maps show the architecture, not anything learned; give --weights FILE for trained ones")
    return None


class Run:
    """A command's network, image and output. image: the command takes an image (IMAGE or
    --image, fitted to the network by --resize); what: the name in the default output."""

    def __init__(self, args, what, image=False, out=True):
        self.args = args
        self.quiet = getattr(args, "quiet", False)
        self.notes = []  # for the figure's footer
        self.spec = image_spec(args) if image else None
        original = read_image(self.spec) if self.spec else None
        if image and args.model is None and not args.weights:
            args.model = self._default_model(original)
        self.net = network(args)
        self.notes.append(describe(args, self.net))
        if random_weights_warning(args):
            self.warn(random_weights_warning(args))
        self.fit = self.x = None
        if image:
            from cnnvis.fit import fit_for
            if original is None:
                self.spec = "sample:0" if self.net.input_shape[0] == 1 else "cat"
                original = read_image(self.spec)
            self.fit = fit_for(self.net, original, getattr(args, "resize", "auto"))
            self.x = self.net.preprocess(self.fit.image)
            if self.fit.changed:
                self.notes.append(f"input {self.fit.note}")
                self.say(f"input: {self.fit.note}")
        self.out = None
        if out:
            self.out = args.out or check_output(default_out(what, self.spec), "picture")

    def _default_model(self, original):
        return default_model(self.spec, original, self.say, self.warn)

    # ---- messages -------------------------------------------------------------------------------
    def say(self, message):
        """A note on stderr, unless --quiet."""
        if not self.quiet:
            print(message, file=sys.stderr)

    def warn(self, message):
        """A warning about the result on stderr, --quiet or not."""
        print(message, file=sys.stderr)

    # ---- targets ----------------------------------------------------------------------------------
    def probe(self):
        """The input to propose units on: the image, or mid-grey at the network's size."""
        import numpy as np
        if self.x is not None:
            return self.x
        c, h, w = self.net.input_shape
        return self.net.preprocess(np.full((h, w) if c == 1 else (h, w, 3), 128, np.uint8))

    def has_classes(self):
        from cnnvis.methods.targets import has_classes
        return has_classes(self.net)

    def default_unit(self):
        """The most active channel of the last layer on the image (or mid-grey)."""
        from cnnvis.methods.targets import most_active_channel
        return most_active_channel(self.net, self.probe())

    def no_classes(self, why):
        """The message that the network has no classes, proposing the most active unit."""
        unit = self.default_unit()
        shape = tuple(self.net.output_shapes(self.probe().shape[1:])[unit.layer])
        return (f"{why}, but {self.net.name} has no classes: its last layer {unit.layer} outputs a feature map "
                f"{shape}, not class scores. Give a unit LAYER:CHANNEL[:I:J], e.g. --target "
                f"{unit.layer}:{unit.channel} (its most active channel on "
                f"{'this image' if self.x is not None else 'a grey image'})")

    def layer(self, name, option="--layer"):
        """The node the layer name given to ``option`` selects: methods.targets.layer_node, asked
        here only, for every option that names a layer. Where that is another node (Keras weights:
        a conv's name means its activation), a note says which, and the titles name that node."""
        from cnnvis.methods.targets import PRE, layer_node
        if name is None:
            return None
        node = layer_node(self.net, name)
        if node != name:
            what = ("the convolution itself" if name.endswith(PRE) else
                    f"as in Keras, a conv's name means its activation; {name}{PRE} for the convolution itself")
            self.notes.append(f"{option} {name}: node {node}")
            self.say(f"{option} {name}: node {node} ({what})")
        return node

    def target(self, text):
        """--target parsed, a unit's layer through layer(); a class (an index or a name) on a
        network without classes is an error proposing a unit. 'predicted' is left to the command
        (a default unit, or an error)."""
        import dataclasses

        from cnnvis.methods.targets import Unit
        target = parse_target(text)
        if isinstance(target, Unit):
            return dataclasses.replace(target, layer=self.layer(target.layer, "--target"))
        if not isinstance(target, Unit) and target != "predicted" and not self.has_classes():
            kind = "an index" if isinstance(target, int) else "a name"
            raise InputError(self.no_classes(f"--target {text} is {kind} of a class"))
        return target

    # ---- output ------------------------------------------------------------------------------------
    def save(self, fig, path=None, notes=()):
        """Write fig (the footer of notes added) to --out (or path), at --dpi; print the path."""
        from cnnvis.render.common import add_footer, save_figure
        add_footer(fig, self.notes + list(notes))
        written = save_figure(fig, path or self.out, dpi=getattr(self.args, "dpi", None))
        print(written)
        return written


class FittedImages:
    """Images fitted one by one, as they are read, to one size (cnnvis.fit.fit_image): an
    iterable with a length, for the dataset commands (top-patches, embed). items: the images
    (an array (N, H, W[, C])) or their paths."""

    def __init__(self, items, size, resize, grey, fill):
        self.items, self.size, self.resize, self.grey, self.fill = items, tuple(size), resize, grey, fill

    def __len__(self):
        return len(self.items)

    def __iter__(self):
        from cnnvis.fit import fit_image
        from cnnvis.images import load_image
        for item in self.items:
            image = load_image(item, mode=None) if isinstance(item, str) else item
            yield fit_image(image, self.size, self.resize, self.grey, self.fill).image


def dataset_images(run, source, size=None, limit=None):
    """FittedImages of --source ('bundled', a folder of images, a list of image paths or a
    Dataset; its first ``limit`` images) for run.net, at ``size`` (H, W) (default the network's
    input size), fitted by --resize (auto: crop, as a set of images needs one size); the note
    of what was done said and put in the figure's footer."""
    import numpy as np

    from cnnvis.datasets import bundled_samples
    from cnnvis.datasets.stream import image_names
    from cnnvis.fit import WORDS, zero_colour
    net = run.net
    if size and not net.takes_size(size):
        h, w = net.input_shape[1:]
        raise InputError(f"{net.name} takes only {w}x{h} images (a dense layer fixes the size): drop --size, "
                         f"or give --size {h} {w}")
    size = tuple(size or net.input_shape[1:])
    resize = getattr(run.args, "resize", "auto")
    resize = "crop" if resize == "auto" else resize
    if resize in ("whole", "none"):
        raise InputError(f"--resize {resize} keeps each image's own size, and a set of images needs one: "
                         "give crop, pad or stretch (and --size H W for a network that takes any size)")
    if isinstance(source, str) and source == "bundled":
        source = bundled_samples()
    if isinstance(source, (str, list)):
        items = [os.path.join(source, f) for f in image_names(source)] if isinstance(source, str) else source
        if not items:
            raise InputError(f"no images in folder {source}; give a folder of image files (PNG, JPEG, ...)")
        items, changed = items[:limit], True
    else:
        items = np.asarray(source.images)[:limit]
        changed = items.shape[1:3] != size or (items.ndim == 3) != (net.input_shape[0] == 1)
    grey = net.input_shape[0] == 1
    if changed:
        note = f"images fitted to {size[1]}x{size[0]} ({WORDS[resize]}{', in grey' if grey else ''})"
        run.notes.append(note)
        run.say(f"input: {note}")
    return FittedImages(items, size, resize, grey, zero_colour(net.preprocessing))
