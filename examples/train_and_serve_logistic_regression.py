#!/usr/bin/env python3
"""Logistic regression on Iris -> ONNX -> berth, checked against scikit-learn."""
from sklearn.linear_model import LogisticRegression

from common import train_and_serve

if __name__ == "__main__":
    raise SystemExit(train_and_serve("logistic_regression", LogisticRegression(max_iter=300)))
