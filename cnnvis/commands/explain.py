"""`cnnvis explain IMAGE --method M --out FILE.png`: one method on one image."""
import sys


def run(args):
    from cnnvis.commands.options import image_input, network, parse_target
    from cnnvis.explain import explain
    from cnnvis.render.common import save_figure
    net = network(args)
    image, _ = image_input(net, args.image)
    options = {k: v for k, v in (("patch", args.patch), ("stride", args.stride), ("steps", args.steps),
                                 ("samples", args.samples), ("epsilon", args.epsilon)) if v is not None}
    fig = explain(net, image, args.method, parse_target(args.target), args.layer, args.score,
                  progress=False if args.quiet else None, **options)
    save_figure(fig, args.out, dpi=120)
    if not args.quiet:
        print(f"wrote {args.out}", file=sys.stderr)


def add_parser(sub):
    from cnnvis.commands.options import add_network_args, nonneg_float, output_file, positive_int
    from cnnvis.explain import METHODS
    p = sub.add_parser("explain", help="explain one image with one method (a PNG)",
                       description="Explain a prediction (or a unit) of a network on one image.")
    p.add_argument("image", help="an image file, 'cat' or 'dog' (bundled photos) or 'sample:K' "
                   "(the K-th bundled Fashion-MNIST sample, K = 0..99)")
    p.add_argument("--method", "-m", required=True, choices=METHODS)
    p.add_argument("--out", "-o", required=True, type=output_file("picture"),
                   help="the picture to write (PNG, SVG, PDF)")
    add_network_args(p)
    p.add_argument("--target", default="predicted", help="'predicted' (default), a class index or "
                   "name, or a unit LAYER:CHANNEL[:I:J]")
    p.add_argument("--layer", help="the layer of the CAM methods (default: the last conv block's ReLU)")
    p.add_argument("--score", choices=("logit", "prob"), help="score a class by its logit or probability")
    p.add_argument("--patch", type=positive_int, help="occlusion: patch size in pixels")
    p.add_argument("--stride", type=positive_int, help="occlusion: stride in pixels")
    p.add_argument("--steps", type=positive_int, help="integrated gradients: steps")
    p.add_argument("--samples", type=positive_int, help="smoothgrad: noisy samples")
    p.add_argument("--epsilon", type=nonneg_float, help="fgsm: step in grey levels of the image")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bars or messages")
    p.set_defaults(func=run)
