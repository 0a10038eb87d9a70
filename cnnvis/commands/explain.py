"""`cnnvis explain IMAGE --method M`: one method (or all of them) on one image; on many
(IMAGE ..., folders, CSV files of path,target rows) with --out DIR: commands/dataset.py."""


def left_out_line(left_out):
    """What -m all left out and why, with the command that draws each."""
    from cnnvis.explain import OWN_FIGURE
    own = [name for name, why in left_out if why == OWN_FIGURE]
    parts = [f"{' and '.join(own)} (each has a figure of its own: {', '.join('-m ' + n for n in own)})"] if own else []
    parts += [f"{name} ({why}: -m {name})" for name, why in left_out if why != OWN_FIGURE]
    return "-m all left out " + "; ".join(parts)


def run(args):
    import dataclasses

    from cnnvis import scale
    from cnnvis.commands.dataset import dataset_sources, run_dataset
    from cnnvis.commands.options import images_given
    from cnnvis.commands.session import Run
    from cnnvis.errors import InputError
    from cnnvis.explain import explained
    from cnnvis.methods import by_name
    from cnnvis.methods.targets import Unit, ends_in_softmax, from_text
    given = {k: v for k, v in (("patch", args.patch), ("stride", args.stride), ("steps", args.steps),
                               ("samples", args.samples), ("epsilon", args.epsilon),
                               ("speedup", args.speedup)) if v is not None}
    takes = {"samples", "steps"} if args.method == "all" else set(by_name.METHODS[args.method].options)
    if set(given) - takes:
        raise InputError(f"{args.method} takes no option {', '.join('--' + o for o in sorted(set(given) - takes))}; "
                         f"its options are: {', '.join('--' + o for o in sorted(takes)) or 'none'}")
    uses_layer = args.method == "all" or by_name.METHODS[args.method].uses_layer
    if args.layer and not uses_layer:
        cams = ", ".join(n for n, m in by_name.METHODS.items() if m.uses_layer)
        raise InputError(f"--layer is the layer of the CAM methods ({cams}); {args.method} does not use one")
    sources = dataset_sources(args, images_given(args), args.out)
    if sources:
        def job(spec, batch_size, resize, layer):
            target = from_text(args.target)
            if isinstance(target, Unit):
                target = dataclasses.replace(target, layer=layer(target.layer, "--target"))
            return scale.ExplainJob(methods=(args.method,), target=target, layer=layer(args.layer), score=args.score,
                                    options=given, arrays=None if args.arrays == "none" else args.arrays,
                                    network=spec, batch_size=batch_size, resize=resize)
        return run_dataset(args, job, sources, args.out)
    run = Run(args, args.method, image=True)
    if args.score == "prob" and not ends_in_softmax(run.net):
        raise InputError(f"--score prob needs a network ending in a softmax; {run.net.name} ends with "
                         f"{type(run.net[run.net.output]).__name__}: use --score logit")
    r = explained(run.net, run.fit.image, args.method, run.target(args.target), run.layer(args.layer), args.score,
                  progress=False if args.quiet else None, fit=run.fit, **given)
    notes = []
    if r.note:
        from cnnvis.render.attribution import target_label
        run.say(f"target: {target_label(run.net, r.explanations[0].targets[0])}, {r.note}")
    for note in sorted({e.info["note"] for e in r.explanations if "note" in e.info}):  # e.g. where the CAMs are
        notes.append(note)
        run.say(note)
    if r.left_out:
        notes.append(left_out_line(r.left_out))
        run.warn(notes[-1])
    if r.fooled is False:
        epsilon = r.explanations[0].info.get("epsilon", by_name.FGSM_EPSILON)
        run.warn(f"not fooled at epsilon {epsilon:g}: try a larger --epsilon")
    run.save(r.figure, notes=notes)


def add_parser(sub):
    from cnnvis.commands.dataset import add_dataset_args
    from cnnvis.commands.options import (add_image_arg, add_network_args, add_output_args, add_resize_arg,
                                         nonneg_float, positive_int, speedup)
    from cnnvis.explain import METHODS
    p = sub.add_parser("explain", help="explain one image with one method, or all of them",
                       description="Explain a prediction (or a unit) of a network on one image: the map "
                       "drawn over the image as given, with a colorbar, titled with what it explains.")
    add_image_arg(p, many=True)
    p.add_argument("--method", "-m", required=True, choices=METHODS, help="the method; all: every method "
                   "that draws one map, side by side (it says which it leaves out)")
    add_network_args(p, photo_default=True)
    add_resize_arg(p)
    p.add_argument("--target", default="predicted", help="'predicted' (default; on a network without "
                   "classes: the most active channel of its last layer), a class index or name, or a unit "
                   "LAYER:CHANNEL[:I:J]")
    p.add_argument("--layer", help="the layer of the CAM methods (default: the last conv block's ReLU)")
    p.add_argument("--score", choices=("logit", "prob"), help="score a class by its logit or probability")
    p.add_argument("--patch", type=positive_int, help="occlusion: patch size in pixels")
    p.add_argument("--stride", type=positive_int, help="occlusion: stride in pixels")
    p.add_argument("--speedup", type=speedup, help="occlusion: approximate, this many times faster than "
                   "exact (adaptive drill-down: exact on a sub-grid and the highest blocks, bilinear between)")
    p.add_argument("--steps", type=positive_int, help="integrated gradients: steps")
    p.add_argument("--samples", type=positive_int, help="smoothgrad: noisy samples")
    p.add_argument("--epsilon", type=nonneg_float, help="fgsm: step in grey levels of the image (default 2)")
    add_output_args(p, folder=True)
    add_dataset_args(p).add_argument(
        "--arrays", choices=("npy", "hdf5", "none"), default="npy", help="the raw maps: arrays/NAME.METHOD.npy "
        "per image (default), one HDF5 store maps.h5 with the path, target, method and parameters as "
        "attributes, or none")
    p.set_defaults(func=run)
