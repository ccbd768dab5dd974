"""Drives a real Jupyter kernel for the kernel tests: JSON commands on stdin, JSON replies on stdout.

Commands: {"op": "execute", "code": ..., "timeout": s} -> outputs, the execute_reply content
(plus `input_counts`: the execution counts of execute_input messages) and its status;
"submit" (execute without waiting) then "collect"; "complete"; "inspect"; "interrupt";
"restart"; "shutdown". Run with /usr/bin/python3 (Debian's jupyter_client).
"""
import json
import os
import select
import sys
import time

from jupyter_client.manager import KernelManager



def send(obj):
    """One JSON line on stdout. The kernel (node) inherits this socket and makes it non-blocking,
    so a multi-megabyte reply (a chart carries plotly.js) is written with an EAGAIN-aware loop."""
    data = (json.dumps(obj) + '\n').encode()
    fd = sys.stdout.fileno()
    while data:
        try:
            n = os.write(fd, data)
            data = data[n:]
        except BlockingIOError:
            select.select([], [fd], [], 1.0)


kernel_name = sys.argv[1] if len(sys.argv) > 1 else 'kafkalab'
km = KernelManager(kernel_name=kernel_name)
km.start_kernel(cwd=sys.argv[2] if len(sys.argv) > 2 else None)
kc = km.client()
kc.start_channels()
kc.wait_for_ready(timeout=60)


def collect(msg_id, timeout):
    outputs = []
    inputs = []
    deadline = time.time() + timeout
    while True:
        remaining = deadline - time.time()
        if remaining <= 0:
            return outputs, {'status': 'timeout'}
        try:
            msg = kc.get_iopub_msg(timeout=remaining)
        except Exception:
            return outputs, {'status': 'timeout'}
        if msg['parent_header'].get('msg_id') != msg_id:
            continue
        t = msg['msg_type']
        c = msg['content']
        if t == 'status' and c['execution_state'] == 'idle':
            break
        if t == 'execute_input':
            inputs.append(c.get('execution_count'))
        if t in ('stream', 'display_data', 'update_display_data', 'execute_result', 'error'):
            outputs.append({'type': t, **c})
    reply = kc.get_shell_msg(timeout=30)
    while reply['parent_header'].get('msg_id') != msg_id:
        reply = kc.get_shell_msg(timeout=30)
    return outputs, {**reply['content'], 'input_counts': inputs}


def reply_for(msg_id):
    while True:
        r = kc.get_shell_msg(timeout=60)
        if r['parent_header'].get('msg_id') == msg_id:
            return r['content']


pending = {}
for line in sys.stdin:
    cmd = json.loads(line)
    op = cmd['op']
    out = {}
    try:
        if op == 'execute':
            msg_id = kc.execute(cmd['code'])
            outputs, reply = collect(msg_id, cmd.get('timeout', 60))
            out = {'outputs': outputs, 'reply': reply, 'status': reply['status']}
        elif op == 'submit':
            out = {'msg_id': kc.execute(cmd['code'])}
        elif op == 'collect':
            outputs, reply = collect(cmd['msg_id'], cmd.get('timeout', 60))
            out = {'outputs': outputs, 'reply': reply, 'status': reply['status']}
        elif op == 'complete':
            out = reply_for(kc.complete(cmd['code'], cmd.get('cursor')))
        elif op == 'inspect':
            out = reply_for(kc.inspect(cmd['code'], cmd.get('cursor')))
        elif op == 'interrupt':
            km.interrupt_kernel()
            out = {'ok': True}
        elif op == 'restart':
            km.restart_kernel(now=False)
            kc.wait_for_ready(timeout=60)
            out = {'ok': True}
        elif op == 'alive':
            out = {'alive': km.is_alive()}
        elif op == 'shutdown':
            kc.stop_channels()
            km.shutdown_kernel(now=False)
            out = {'ok': True}
    except Exception as e:  # report, keep the session for the test to decide
        out = {'exception': repr(e)}
    send(out)
    if op == 'shutdown':
        break
