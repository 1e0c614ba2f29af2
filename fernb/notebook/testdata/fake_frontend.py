#!/usr/bin/env python3
"""A fake JupyterLab front-end for fernb's widget test (TestWidgetsFakeFrontEnd).

It starts the GoNB kernel with jupyter_client, runs the cells given as JSON on
stdin (a list of {"source": ..., "actions": [...]}) and, while a cell runs,
answers GoNB's widget protocol the way the browser's gonb_comm does: it opens
the "gonb_comm" comm when GoNB publishes its WebSocket script, answers
heartbeats, and sends each widget's first value when its script arrives. Then
it plays the cell's actions in order, each waiting for an HTML output (or
update) that contains `wait` before sending `value` to the `n`-th widget
created by the cell (0-based, in creation order).

It prints one JSON object: per cell, the HTML/Markdown outputs seen (updates
included, in order) and whether the cell finished with status ok.
"""
import json
import os
import re
import sys
import tempfile
import time
import uuid

from jupyter_client.manager import KernelManager

TIMEOUT = float(sys.argv[1]) if len(sys.argv) > 1 else 300

SYNCED = re.compile(r'newSyncedVariable\("([^"]+)"')
KERNEL_ID = re.compile(r'_kernel_id: "([0-9a-f-]+)"')


def main():
    cells = json.load(sys.stdin)
    # GoNB reads the kernel id (which gonb_comm's comm_open must name) from
    # the connection file's name, as Jupyter Server writes it.
    conn = os.path.join(tempfile.mkdtemp(prefix="fake-frontend-"), f"kernel-{uuid.uuid4()}.json")
    km = KernelManager(kernel_name="gonb", connection_file=conn)
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=120)
    comm_id = None
    result = []
    try:
        for cell in cells:
            msg_id = kc.execute(cell["source"])
            actions = list(cell.get("actions", []))
            widgets = []  # addresses, in creation order
            seen = []     # html / markdown outputs, in order
            status = None
            deadline = time.time() + TIMEOUT

            def send(address, value):
                kc.shell_channel.send(kc.session.msg("comm_msg", {"comm_id": comm_id, "data": {"address": address, "value": value}}))

            while status is None and time.time() < deadline:
                try:
                    m = kc.get_iopub_msg(timeout=1)
                except Exception:
                    continue
                t, c = m["msg_type"], m["content"]
                if t in ("display_data", "update_display_data"):
                    h = c.get("data", {}).get("text/html", "") or c.get("data", {}).get("text/markdown", "")
                    if h:
                        seen.append(h)
                    k = KERNEL_ID.search(h)
                    if k and "gonb_comm" in h:
                        comm_id = str(uuid.uuid4())
                        kc.shell_channel.send(kc.session.msg("comm_open", {"comm_id": comm_id, "target_name": "gonb_comm",
                                                                            "kernel_id": k.group(1), "data": {}}))
                    for addr in SYNCED.findall(h):
                        if addr not in widgets:
                            widgets.append(addr)
                            send(addr, 0)  # the widget's first value: what makes its Done return
                    if actions and actions[0]["wait"] in h:
                        a = actions.pop(0)
                        send(widgets[a["n"]], a["value"])
                elif t == "comm_msg":
                    addr = c.get("data", {}).get("address")
                    if addr == "#heartbeat/ping":
                        send("#heartbeat/pong", True)
                elif t == "status" and c.get("execution_state") == "idle" and m["parent_header"].get("msg_id") == msg_id:
                    while status is None:
                        r = kc.get_shell_msg(timeout=30)
                        if r["parent_header"].get("msg_id") == msg_id:
                            status = r["content"]["status"]
            result.append({"status": status or "timeout", "outputs": seen, "actions_left": len(actions)})
            if status != "ok":
                break
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
