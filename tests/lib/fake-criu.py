#!/usr/bin/python3
# A stand-in for the criu binary, for the tests of moat's CRIU errors on
# any host: moat runs it as `fake-criu.py swrk FD` and talks CRIU's RPC
# on FD.  It answers VERSION with $FAKE_CRIU_VERSION (default 3.17.1:
# "3.10.0" makes an old criu), FEATURE_CHECK with lazy pages available
# unless $FAKE_CRIU_LAZY is 0, fails every other request and ends then
# (as criu swrk does after a failure).  A DUMP with lazy_pages first
# notifies "status-ready", as criu does once its page server listens.
# Each request's type is written, one a line, to $FAKE_CRIU_LOG if set;
# its type and options, in protobuf's text form on one line, to
# $FAKE_CRIU_OPTS if set.
import os
import socket
import sys

from google.protobuf import text_format
import pycriu.rpc_pb2 as rpc

if len(sys.argv) != 3 or sys.argv[1] != "swrk":
    sys.exit("fake-criu.py: only `swrk FD` (as moat runs it)")
sk = socket.socket(fileno=int(sys.argv[2]))
major, minor, sub = (int(x) for x in os.environ.get("FAKE_CRIU_VERSION", "3.17.1").split("."))
log = os.environ.get("FAKE_CRIU_LOG")
opts_log = os.environ.get("FAKE_CRIU_OPTS")


def notify(script):
    """A notification, and the client's answer to it: True if done."""
    sk.send(rpc.criu_resp(type=rpc.NOTIFY, success=True,
                          notify=rpc.criu_notify(script=script)).SerializeToString())
    ack = rpc.criu_req()
    ack.ParseFromString(sk.recv(1 << 20))
    return ack.type == rpc.NOTIFY and ack.notify_success


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
    if opts_log:
        with open(opts_log, "a") as f:
            f.write(name + " " + text_format.MessageToString(req.opts, as_one_line=True) + "\n")
    resp = rpc.criu_resp(type=req.type, success=False)
    if req.type == rpc.VERSION:
        resp.success = True
        resp.version.major_number = major
        resp.version.minor_number = minor
        resp.version.sublevel = sub
    elif req.type == rpc.FEATURE_CHECK:
        resp.success = True
        resp.features.lazy_pages = os.environ.get("FAKE_CRIU_LAZY", "1") != "0"
    else:
        done = True
        if req.type == rpc.DUMP and req.opts.lazy_pages:
            done = notify("status-ready")
        resp.cr_errno = 22
        resp.cr_errmsg = "fake-criu.py fails every " + name + ("" if done else
                                                              " (and a notification failed)")
    sk.send(resp.SerializeToString())
    if not resp.success:
        break  # as criu swrk ends after a failed request
