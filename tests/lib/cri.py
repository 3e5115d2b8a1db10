#!/usr/bin/python3
"""A small client of the Kubernetes CRI (runtime.v1), as the kubelet calls it.

  cri.py -a SOCKET METHOD [REQUEST_JSON]
      one call of RuntimeService or ImageService (RunPodSandbox,
      CreateContainer, ExecSync, ContainerStats, ...); the request is JSON
      with the .proto's field names (or {} when none is given), the
      response is printed as JSON with the same names
  cri.py -a SOCKET exec-loop CONTAINER N TIMEOUT CMD...
      N ExecSync calls in a row, as the kubelet's exec probes make them;
      prints {"ok": N, "failed": [...], "ms": {"mean", "median", "p95", "max"}}
  cri.py -a SOCKET stream exec|attach CONTAINER INPUT [CMD...]
      Exec (with a tty, stdin) or Attach through containerd's streaming
      server over a websocket (the v4.channel.k8s.io protocol): sends a
      resize to 100x30, then INPUT, and prints what came back on stdout and
      the status the server sent on its error channel, as JSON

The messages come from api_pb2.py in $CRI_PROTO_DIR (made by cri-proto.sh).
"""
import json
import os
import statistics
import sys
import time

import grpc
from google.protobuf import json_format

sys.path.insert(0, os.environ["CRI_PROTO_DIR"])
import api_pb2  # noqa: E402

SERVICES = ("RuntimeService", "ImageService")
TIMEOUT = float(os.environ.get("CRI_TIMEOUT", "120"))


def method(channel, name):
    """The callable of the unary method NAME, and its request class."""
    for svc in SERVICES:
        desc = api_pb2.DESCRIPTOR.services_by_name[svc].methods_by_name.get(name)
        if desc is None:
            continue
        req = getattr(api_pb2, desc.input_type.name)
        resp = getattr(api_pb2, desc.output_type.name)
        call = channel.unary_unary("/runtime.v1.%s/%s" % (svc, name),
                                   request_serializer=req.SerializeToString,
                                   response_deserializer=resp.FromString)
        return call, req
    sys.exit("cri.py: no CRI method %s" % name)


def to_json(msg):
    return json_format.MessageToJson(msg, preserving_proto_field_name=True,
                                     including_default_value_fields=True,
                                     indent=None)


def call(channel, name, request):
    fn, req = method(channel, name)
    msg = json_format.ParseDict(request, req())
    return fn(msg, timeout=TIMEOUT)


def exec_loop(channel, cid, n, timeout, cmd):
    fn, req = method(channel, "ExecSync")
    times, failed = [], []
    for i in range(n):
        t0 = time.monotonic()
        try:
            r = fn(req(container_id=cid, cmd=cmd, timeout=timeout), timeout=TIMEOUT)
            if r.exit_code != 0:
                failed.append({"n": i, "exit_code": r.exit_code,
                               "stderr": r.stderr.decode(errors="replace")})
        except grpc.RpcError as e:
            failed.append({"n": i, "error": e.details()})
        times.append((time.monotonic() - t0) * 1000)
    times.sort()
    ms = {"mean": statistics.mean(times), "median": statistics.median(times),
          "p95": times[int(len(times) * 0.95) - 1], "max": times[-1]}
    print(json.dumps({"ok": n - len(failed), "failed": failed,
                      "ms": {k: round(v, 2) for k, v in ms.items()}}))


def stream(channel, kind, cid, data, cmd):
    import websocket  # python3-websocket
    if kind == "exec":
        r = call(channel, "Exec", {"container_id": cid, "cmd": cmd, "tty": True,
                                   "stdin": True, "stdout": True})
    else:
        r = call(channel, "Attach", {"container_id": cid, "tty": True,
                                     "stdin": True, "stdout": True})
    url = r.url.replace("http://", "ws://", 1)
    ws = websocket.create_connection(url, subprotocols=["v4.channel.k8s.io"],
                                     timeout=30)
    # channel 4: the terminal's size; 0: stdin
    ws.send_binary(b"\x04" + json.dumps({"Width": 100, "Height": 30}).encode())
    ws.send_binary(b"\x00" + data.encode())
    out, status = b"", None
    deadline = time.monotonic() + 30
    want = os.environ.get("CRI_STREAM_UNTIL", "").encode()
    while time.monotonic() < deadline:
        try:
            frame = ws.recv()
        except websocket.WebSocketConnectionClosedException:
            break
        except websocket.WebSocketTimeoutException:
            break
        if isinstance(frame, str):
            frame = frame.encode()
        if not frame:
            continue
        if frame[0] == 1:
            out += frame[1:]
            # an attach never ends by itself: stop when the output has it
            if want and want in out:
                break
        elif frame[0] == 3 and len(frame) > 1:
            status = json.loads(frame[1:])
    ws.close()
    print(json.dumps({"stdout": out.decode(errors="replace"), "status": status}))


def main(argv):
    if len(argv) < 3 or argv[0] != "-a":
        sys.exit(__doc__)
    channel = grpc.insecure_channel("unix://" + argv[1])
    name, args = argv[2], argv[3:]
    try:
        if name == "exec-loop":
            exec_loop(channel, args[0], int(args[1]), int(args[2]), args[3:])
        elif name == "stream":
            stream(channel, args[0], args[1], args[2], args[3:])
        else:
            request = json.loads(args[0]) if args else {}
            print(to_json(call(channel, name, request)))
    except json_format.ParseError as e:
        print("cri.py: %s: a bad request: %s" % (name, e), file=sys.stderr)
        return 2
    except grpc.RpcError as e:
        print("cri.py: %s: %s: %s" % (name, e.code().name, e.details()),
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
