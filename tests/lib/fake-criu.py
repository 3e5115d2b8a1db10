#!/usr/bin/python3
# A stand-in for the criu binary, for the tests of moat's CRIU errors on
# any host: libcriu runs it as `fake-criu.py swrk FD` and talks CRIU's
# RPC on FD.  It answers VERSION with $FAKE_CRIU_VERSION (default
# 3.17.1: "3.10.0" makes an old criu), fails every other request and
# ends then (as criu swrk does after a failure); each request's type is
# written, one a line, to $FAKE_CRIU_LOG if set.
import os
import socket
import sys

import pycriu.rpc_pb2 as rpc

if len(sys.argv) != 3 or sys.argv[1] != "swrk":
    sys.exit("fake-criu.py: only `swrk FD` (as libcriu runs it)")
sk = socket.socket(fileno=int(sys.argv[2]))
major, minor, sub = (int(x) for x in os.environ.get("FAKE_CRIU_VERSION", "3.17.1").split("."))
log = os.environ.get("FAKE_CRIU_LOG")
while True:
    data = sk.recv(1 << 20)
    if not data:
        break
    req = rpc.criu_req()
    req.ParseFromString(data)
    name = rpc.criu_req_type.Name(req.type)
    if log:
        with open(log, "a") as f:
            f.write(name + "\n")
    resp = rpc.criu_resp(type=req.type, success=False)
    if req.type == rpc.VERSION:
        resp.success = True
        resp.version.major_number = major
        resp.version.minor_number = minor
        resp.version.sublevel = sub
    else:
        resp.cr_errno = 22
        resp.cr_errmsg = "fake-criu.py fails every " + name
    sk.send(resp.SerializeToString())
    if not resp.success:
        break  # as criu swrk ends after a failed request
