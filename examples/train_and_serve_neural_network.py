#!/usr/bin/env python3
"""A small neural network (MLP) on Iris -> ONNX -> berth, checked against scikit-learn."""
from sklearn.neural_network import MLPClassifier

from common import train_and_serve

if __name__ == "__main__":
    model = MLPClassifier(hidden_layer_sizes=(32, 16), max_iter=600, random_state=42)
    raise SystemExit(train_and_serve("neural_network", model))
