#!/usr/bin/python3
"""Python baseline for `npm run bench:score`: the same job as the exported app, written the way
a Python data team would: confluent-kafka (librdkafka) consumer and producer, json, and a numpy
forward pass with the weights read from the exported model files (model.json + weight shards,
pipeline.json for features, scaler and threshold). Same semantics: one result per record (or
anomalies only), outputs flushed before offsets are committed.

Prints one JSON line: {"records": N, "seconds": S, "produced": P, ...}. With --until-signal the
process is one member of a consumer group of several (as the app runs one instance per core): it
prints {"assigned": epoch seconds} when it first gets partitions, works until SIGTERM, then
prints its totals; the caller times the group by its committed offsets.
"""
import argparse
import json
import os
import signal
import sys
import time

import numpy as np
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

ACTIVATIONS = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0),
    "relu6": lambda x: np.clip(x, 0, 6),
    "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))),
    "selu": lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(np.minimum(x, 0))),
    "tanh": np.tanh,
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "softplus": lambda x: np.logaddexp(0, x),
    "swish": lambda x: x / (1 + np.exp(-x)),
}


def load_model(model_dir):
    with open(os.path.join(model_dir, "model.json")) as f:
        mj = json.load(f)
    weights = {}
    for group in mj["weightsManifest"]:
        data = b"".join(open(os.path.join(model_dir, p), "rb").read() for p in group["paths"])
        at = 0
        for w in group["weights"]:
            if w.get("dtype", "float32") != "float32":
                raise SystemExit("only float32 weights are supported")
            n = int(np.prod(w["shape"])) if w["shape"] else 1
            weights[w["name"]] = np.frombuffer(data, dtype="<f4", count=n, offset=at).reshape(w["shape"])
            at += 4 * n
    layers = []
    topology = mj["modelTopology"]
    config = topology.get("model_config", topology)["config"]
    for layer in config["layers"]:
        cls, cfg = layer["class_name"], layer["config"]
        if cls in ("InputLayer", "Dropout", "GaussianNoise", "ActivityRegularization"):
            continue  # identity at inference
        if cls != "Dense":
            raise SystemExit(f"layer {cls} is not supported by this baseline")
        name = cfg["name"]
        kernel = next(v for k, v in weights.items() if k.startswith(name + "/") and k.endswith("kernel"))
        bias = next((v for k, v in weights.items() if k.startswith(name + "/") and k.endswith("bias")), None)
        layers.append((kernel, bias, ACTIVATIONS[cfg.get("activation", "linear")]))
    return layers


def forward(layers, x):
    for kernel, bias, act in layers:
        x = x @ kernel
        if bias is not None:
            x = x + bias
        x = act(x)
    return x


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--brokers", required=True)
    ap.add_argument("--input", required=True)
    ap.add_argument("--output", required=True)
    ap.add_argument("--group", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--records", type=int, required=True)
    ap.add_argument("--mode", choices=["all", "anomalies"], default="all")
    ap.add_argument("--batch", type=int, default=4096)
    ap.add_argument("--top", type=int, default=3)
    ap.add_argument("--until-signal", action="store_true", help="one member of a group: run until SIGTERM")
    args = ap.parse_args()
    stopping = []
    if args.until_signal:
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))

    with open(os.path.join(args.model, "pipeline.json")) as f:
        spec = json.load(f)
    if spec.get("windows"):
        raise SystemExit("windowed features are not implemented in this baseline")
    features = spec["features"]
    fills = {i["name"]: i["fill"] for i in spec["inputs"]}
    key_field = spec.get("key")
    offset = np.array(spec["scaler"]["offset"], dtype=np.float64)
    scale = np.array(spec["scaler"]["scale"], dtype=np.float64)
    threshold = spec["threshold"]["value"]
    layers = load_model(args.model)
    nf = len(features)

    consumer = Consumer({
        "bootstrap.servers": args.brokers, "group.id": args.group, "auto.offset.reset": "earliest",
        "enable.auto.commit": False, "fetch.max.bytes": 32 * 1024 * 1024, "max.partition.fetch.bytes": 4 * 1024 * 1024,
    })
    producer = Producer({"bootstrap.servers": args.brokers, "linger.ms": 5, "batch.num.messages": 10000,
                         "queue.buffering.max.messages": 1000000, "queue.buffering.max.kbytes": 1048576, "acks": "all"})
    started = []
    def on_assign(c, partitions):
        if not started:
            started.append(time.time())
            if args.until_signal:
                print(json.dumps({"assigned": started[0]}), flush=True)

    def on_revoke(c, partitions):
        for tp in partitions:
            positions.pop(tp.partition, None)

    consumer.subscribe([args.input], on_assign=on_assign, on_revoke=on_revoke)

    done = produced = 0
    positions = {}
    while not stopping if args.until_signal else done < args.records:
        msgs = consumer.consume(num_messages=args.batch, timeout=1.0)
        if not msgs:
            continue
        rows, good = [], []
        for m in msgs:
            if m.error():
                continue
            done += 1
            positions[m.partition()] = m.offset() + 1
            try:
                rec = json.loads(m.value())
            except Exception:
                continue  # a real app would dead-letter it; the benchmark input has none
            if not isinstance(rec, dict) or (key_field and rec.get(key_field) is None):
                continue
            row = []
            for name in features:
                v = rec.get(name)
                row.append(v if isinstance(v, (int, float)) else fills.get(name, 0.0))
            rows.append(row)
            good.append(m)
        if rows:
            x = ((np.array(rows, dtype=np.float64) - offset) / scale).astype(np.float32)
            y = forward(layers, x)
            err = (x - y) ** 2
            scores = err.mean(axis=1)
            top = np.argsort(-err, axis=1)[:, : args.top]
            for i, m in enumerate(good):
                anomaly = bool(scores[i] > threshold)
                if args.mode == "anomalies" and not anomaly:
                    continue
                key = m.key()
                result = {
                    "key": key.decode() if key is not None else None,
                    "source": {"topic": m.topic(), "partition": m.partition(), "offset": m.offset(), "timestamp": m.timestamp()[1]},
                    "score": float(scores[i]), "threshold": threshold, "anomaly": anomaly,
                    "top": [{"feature": features[f], "error": float(err[i, f])} for f in top[i]],
                }
                while True:
                    try:
                        producer.produce(args.output, json.dumps(result), key, timestamp=m.timestamp()[1])
                        break
                    except BufferError:
                        producer.poll(0.01)
                produced += 1
            producer.poll(0)
        # At-least-once, as the app: outputs acknowledged before the offsets are committed.
        producer.flush()
        if positions:
            try:
                consumer.commit(offsets=[TopicPartition(args.input, p, o) for p, o in positions.items()], asynchronous=False)
            except KafkaException as err:  # a rebalance under way: the next owner re-reads (at-least-once)
                print(json.dumps({"commit_failed": str(err)}), file=sys.stderr, flush=True)
    seconds = time.time() - started[0]
    consumer.close()
    cpu = time.process_time()  # every thread of the process, librdkafka's included
    print(json.dumps({"records": done, "seconds": seconds, "produced": produced, "cpu_seconds": cpu, "confluent_kafka": __import__("confluent_kafka").version()[0], "librdkafka": __import__("confluent_kafka").libversion()[0]}))


if __name__ == "__main__":
    sys.exit(main())
