#!/usr/bin/env python3
"""Random forest on Iris -> ONNX -> berth, checked against scikit-learn."""
from sklearn.ensemble import RandomForestClassifier

from common import train_and_serve

if __name__ == "__main__":
    raise SystemExit(train_and_serve("random_forest", RandomForestClassifier(n_estimators=200, random_state=42)))
