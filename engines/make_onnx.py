#!/usr/bin/python3
"""Builds a small ONNX model with Debian's python3-onnx (no download, fixed seed).

    engines/make_onnx.py OUT.onnx

y = Relu(x @ W1 + b1) @ W2 + b2 with x: float32 [4, 64], W1: [64, 256], W2: [256, 16]; opset 13,
IR version 8 (what onnx 1.12 writes and ONNX Runtime 1.30 reads). The same bytes on every run.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SEED = 20240611
N, D_IN, D_HID, D_OUT = 4, 64, 256, 16


def main():
    out_path = sys.argv[1]
    rng = np.random.default_rng(SEED)
    w1 = (rng.standard_normal((D_IN, D_HID)) / np.sqrt(D_IN)).astype(np.float32)
    b1 = (rng.standard_normal(D_HID) * 0.1).astype(np.float32)
    w2 = (rng.standard_normal((D_HID, D_OUT)) / np.sqrt(D_HID)).astype(np.float32)
    b2 = (rng.standard_normal(D_OUT) * 0.1).astype(np.float32)
    nodes = [
        helper.make_node("MatMul", ["x", "W1"], ["h0"]),
        helper.make_node("Add", ["h0", "b1"], ["h1"]),
        helper.make_node("Relu", ["h1"], ["h2"]),
        helper.make_node("MatMul", ["h2", "W2"], ["y0"]),
        helper.make_node("Add", ["y0", "b2"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes, "ward_tiny_mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [N, D_IN])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [N, D_OUT])],
        initializer=[numpy_helper.from_array(a, name) for name, a in
                     (("W1", w1), ("b1", b1), ("W2", w2), ("b2", b2))])
    model = helper.make_model(graph, producer_name="ward", producer_version="0.1.0",
                              opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    tmp = out_path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(model.SerializeToString())
    os.replace(tmp, out_path)
    print("%s: MatMul+Add+Relu+MatMul+Add, x [%d, %d] -> y [%d, %d], opset 13" %
          (out_path, N, D_IN, N, D_OUT))


if __name__ == "__main__":
    main()
