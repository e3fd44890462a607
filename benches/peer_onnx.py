#!/usr/bin/env python3
"""ONNX Runtime peer for `pix2paint bench`.

Builds the pix2pix U-Net from a pix2paint weights file (safetensors: the tensors plus the
generator config in the header), runs it on ONNX Runtime's CPU provider with the same input,
and prints one JSON line: the median time and the relative difference from pix2paint's output.
Normalisation uses the image's own statistics, as pix2paint does at inference; with a batch of
one that is exactly ONNX InstanceNormalization. Dropout is off.

With --int8, the same graph after ONNX Runtime's dynamic quantisation (weights to 8 bits once,
activations to 8 bits per call: Conv becomes ConvInteger; ConvTranspose has no integer kernel
there and stays fp32): the peer row for pix2paint's reduced-precision path.

Installs its own packages (onnx, onnxruntime, numpy) into ~/.cache/pix2paint-bench-venv.
"""
import argparse
import json
import os
import struct
import time
from pathlib import Path


def ensure_packages():
    from peer_venv import ensure

    ensure("pix2paint-bench-venv", ["numpy", "onnx", "onnxruntime"], ["numpy", "onnx", "onnxruntime"], __file__)


def read_safetensors(path):
    import numpy as np

    data = Path(path).read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    meta = header.pop("__metadata__", {})
    body = data[8 + n :]
    dtypes = {"F32": np.float32, "F16": np.float16, "U8": np.uint8}
    tensors = {}
    for name, info in header.items():
        a, b = info["data_offsets"]
        arr = np.frombuffer(body[a:b], dtype=dtypes[info["dtype"]]).reshape(info["shape"])
        tensors[name] = arr.astype(np.float32) if arr.dtype != np.uint8 else arr
    return meta, tensors


def build_graph(config, t):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits = [], []
    counter = [0]

    def name(prefix):
        counter[0] += 1
        return f"{prefix}_{counter[0]}"

    def const(key):
        inits.append(numpy_helper.from_array(t[key], key))
        return key

    def node(op, inputs, **attrs):
        out = name(op)
        nodes.append(helper.make_node(op, inputs, [out], **attrs))
        return out

    depth = 8
    eps = float(config.get("norm_epsilon", 1e-5))
    h = "input"
    skips = []
    for i in range(depth):
        p = f"generator.down.{i}"
        if i > 0:
            h = node("LeakyRelu", [h], alpha=0.2)
        ins = [h, const(f"{p}.conv.weight")]
        if f"{p}.conv.bias" in t:
            ins.append(const(f"{p}.conv.bias"))
        h = node("Conv", ins, kernel_shape=[4, 4], strides=[2, 2], pads=[1, 1, 1, 1])
        if f"{p}.norm.gamma" in t:
            h = node("InstanceNormalization", [h, const(f"{p}.norm.gamma"), const(f"{p}.norm.beta")], epsilon=eps)
        skips.append(h)
    skips.pop()
    for j in range(depth):
        p = f"generator.up.{j}"
        if j > 0:
            h = node("Concat", [h, skips.pop()], axis=1)
        h = node("Relu", [h])
        ins = [h, const(f"{p}.conv.weight")]
        if f"{p}.conv.bias" in t:
            ins.append(const(f"{p}.conv.bias"))
        h = node("ConvTranspose", ins, kernel_shape=[4, 4], strides=[2, 2], pads=[1, 1, 1, 1])
        if f"{p}.norm.gamma" in t:
            h = node("InstanceNormalization", [h, const(f"{p}.norm.gamma"), const(f"{p}.norm.beta")], epsilon=eps)
        else:
            h = node("Tanh", [h])
    nodes.append(helper.make_node("Identity", [h], ["output"]))
    cin, cout = config.get("in_channels", 3), config.get("out_channels", 3)
    graph = helper.make_graph(
        nodes,
        "pix2pix_unet",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, cin, 256, 256])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, cout, 256, 256])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--input", required=True)
    ap.add_argument("--reference", required=True)
    ap.add_argument("--iters", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--int8", action="store_true", help="ONNX Runtime's dynamic int8 quantisation")
    args = ap.parse_args()
    ensure_packages()
    import numpy as np
    import onnxruntime as ort

    meta, tensors = read_safetensors(args.model)
    config = json.loads(meta["generator_config"])
    model = build_graph(config, tensors)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = args.threads
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    serialized = model.SerializeToString()
    if args.int8:
        import logging
        import tempfile
        from onnxruntime.quantization import QuantType, quantize_dynamic

        # Its advice to pre-process the graph is about shape inference, which this one has.
        logging.getLogger().setLevel(logging.ERROR)

        with tempfile.TemporaryDirectory() as tmp:
            fp32_path, int8_path = os.path.join(tmp, "fp32.onnx"), os.path.join(tmp, "int8.onnx")
            with open(fp32_path, "wb") as f:
                f.write(serialized)
            quantize_dynamic(fp32_path, int8_path, weight_type=QuantType.QUInt8)
            with open(int8_path, "rb") as f:
                serialized = f.read()
    sess = ort.InferenceSession(serialized, opts, providers=["CPUExecutionProvider"])
    x = np.fromfile(args.input, dtype=np.float32).reshape(1, config.get("in_channels", 3), 256, 256)
    ref = np.fromfile(args.reference, dtype=np.float32)
    for _ in range(args.warmup):
        sess.run(["output"], {"input": x})
    times = []
    for _ in range(args.iters):
        t0 = time.perf_counter()
        (y,) = sess.run(["output"], {"input": x})
        times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    y = y.reshape(-1)
    rel = float(np.linalg.norm(y - ref) / max(np.linalg.norm(ref), 1e-30))
    mse = float(np.mean(((y - ref) / 2.0) ** 2))
    psnr = 10.0 * np.log10(1.0 / max(mse, 1e-20))
    print(json.dumps({"median_ms": times[len(times) // 2], "rel_diff": rel, "psnr_db": psnr, "onnxruntime": ort.__version__}))


if __name__ == "__main__":
    main()
