"""The bundled Fashion-MNIST model's accuracy on the 10,000 test images, overall and per class
(README states the overall figure; tests/test_training_bundled.py checks it).

    python benchmarks/accuracy.py           # Debian's dataset-fashion-mnist, or the download cache
    python benchmarks/accuracy.py --quick   # the first 1000 test images (checks the script)
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the first 1000 test images")
    args = parser.parse_args()
    import cnnvis
    cnnvis.cpu_setup()
    import numpy as np

    from cnnvis.datasets.fashion_mnist import fashion_mnist
    from cnnvis.models import bundled_model
    print(f"command: python {' '.join(sys.argv)}")
    net, data = bundled_model(), fashion_mnist("test")
    n = 1000 if args.quick else len(data)
    images, labels = data.images[:n], data.labels[:n]
    predicted = np.concatenate([net.predict(net.preprocess(images[k:k + 500]), batch_size=500).argmax(axis=1)
                                for k in range(0, n, 500)])
    right = predicted == labels
    print(f"bundled model ({net.name}, cnnvis {cnnvis.__version__}) on {n} Fashion-MNIST test images: "
          f"accuracy {right.mean():.4f} ({right.sum()} right)\n")
    print("| class | images | accuracy |\n|---|---|---|")
    for k, name in enumerate(data.class_names):
        mine = labels == k
        print(f"| {name} | {mine.sum()} | {right[mine].mean():.3f} |")


if __name__ == "__main__":
    main()
