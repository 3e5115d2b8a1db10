#!/usr/bin/python3
# A service manager's notify socket, for the tests: binds SOCKET (a unix
# datagram socket any user may send to) and appends each message it gets
# to LOG, one line each, its newlines shown as |.
#
#   notify-manager.py SOCKET LOG
import os
import socket
import sys

sock_path, log = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sock_path)
os.chmod(sock_path, 0o666)
with open(log, "a", buffering=1) as out:
    while True:
        out.write(s.recv(4096).decode().replace("\n", "|") + "\n")
