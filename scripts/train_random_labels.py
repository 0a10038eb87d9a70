"""Train the bundled architecture on Fashion-MNIST with permuted labels: the model of the
data-randomization test (Adebayo et al., "Sanity Checks for Saliency Maps", NeurIPS 2018).

    python scripts/train_random_labels.py [--train-size 2000] [--epochs 31] [--out RUN_DIR]

Adebayo et al. permute the training labels and train the same architecture until it fits
them: a model that can only have memorised its training set. An explanation method whose
maps of that model look like the maps of the real one is not explaining what the model
learnt. The labels of a seeded subset of the training images are permuted (a permutation of
the label array, so every class keeps its count), the network is small_vgg with the bundled
model's settings (widths 32, 64; two convs per block; fc 256; dropout 0.4; He init, seed 0),
trained by cnnvis (Adam, constant lr, batch 128, no augmentation: memorising wants the same
images every epoch). Writes RUN_DIR/checkpoints (history.json/.csv, epoch_NNN.h5),
RUN_DIR/test.csv (the final model on the real test labels, and on the permuted training
labels it was fit to) and the final weights to --weights (default the file the tests and
`cnnvis evaluate` use, cnnvis/data/fashion_mnist_vgg_random_labels.h5). The run is
recorded in docs/training-log.md.
"""
import argparse
import os

import numpy as np

import cnnvis  # noqa: F401  (first: cnnvis's CPU setup)
from cnnvis.datasets import Dataset, fashion_mnist
from cnnvis.io import write_text
from cnnvis.models import small_vgg
from cnnvis.training import Adam, evaluate, train
from cnnvis.weights import save

WEIGHTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cnnvis", "data",
                       "fashion_mnist_vgg_random_labels.h5")


def permuted(data, size, seed):
    """(a seeded subset of ``size`` images of ``data`` whose labels are a permutation of theirs,
    the share of them that kept their true label)."""
    rng = np.random.default_rng(seed)
    index = np.sort(rng.choice(len(data), size, replace=False))
    labels = rng.permutation(data.labels[index])
    kept = float((labels == data.labels[index]).mean())
    return Dataset(data.images[index], labels, data.class_names, "fashion-mnist-permuted-labels"), kept


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--train-size", type=int, default=2000, help="training images (default 2000)")
    p.add_argument("--epochs", type=int, default=31, help="(default 31: the shipped run)")
    p.add_argument("--lr", type=float, default=1e-3, help="Adam's learning rate (default 1e-3)")
    p.add_argument("--seed", type=int, default=0, help="subset, permutation, weights, order, dropout")
    p.add_argument("--out", default="cnnvis-random-labels", help="run folder (checkpoints, test.csv)")
    p.add_argument("--weights", default=WEIGHTS, help="where the final weights go")
    args = p.parse_args()
    data, kept = permuted(fashion_mnist("train"), args.train_size, args.seed)
    test = fashion_mnist("test")
    net = small_vgg(widths=(32, 64), convs_per_block=2, input_shape=(1, 28, 28), classes=10, hidden=(256,),
                    dropout=0.4, seed=args.seed, class_names=data.class_names)
    print(f"{len(data)} training images, {kept:.1%} of them keep their true label after the permutation")

    def report(row):
        print(f"epoch {row['epoch']:3d}  train loss {row['train_loss']:.4f} acc {row['train_acc']:.4f}  "
              f"({row['seconds']:.1f} s)", flush=True)

    train(net, data, None, args.epochs, 128, Adam(args.lr), "constant", seed=args.seed,
          checkpoint_dir=os.path.join(args.out, "checkpoints"), progress=False, on_epoch=report)
    fit, real = evaluate(net, data), evaluate(net, test)
    write_text(os.path.join(args.out, "test.csv"),
               "data,loss,accuracy\n"
               f"training images with the permuted labels,{fit[0]:.6f},{fit[1]:.6f}\n"
               f"test images with the true labels,{real[0]:.6f},{real[1]:.6f}\n")
    print(f"permuted training labels: loss {fit[0]:.4f}, accuracy {fit[1]:.4f}; "
          f"true test labels: loss {real[0]:.4f}, accuracy {real[1]:.4f}")
    net.name = "fashion_mnist_vgg_random_labels"
    save(net, args.weights)
    print(f"wrote {args.weights} ({os.path.getsize(args.weights) // 1024} KB)")


if __name__ == "__main__":
    main()
