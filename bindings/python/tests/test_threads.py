"""Several Python threads using one client at once."""

import threading

from support import TIMEOUT, b64, join

THREADS = 8
EMITS = 100


def test_emits_and_calls_from_several_threads(server, client):
    s = client().of()
    join(s)
    replies = {}
    start = threading.Barrier(THREADS)

    def work(t):
        start.wait()
        for i in range(EMITS):
            if i % 10 == 0:
                s.emit("n", t, i, bytes([t, i]))
            else:
                s.emit("n", t, i)
        replies[t] = s.call("ack", t, bytes([t]), timeout=TIMEOUT)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(THREADS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(TIMEOUT)
    assert replies == {t: [t, bytes([t])] for t in range(THREADS)}
    received = [r["args"] for r in server.events("n", count=THREADS * EMITS)]
    assert len(received) == THREADS * EMITS
    for t in range(THREADS):
        mine = [args for args in received if args[0] == t]
        assert [args[1] for args in mine] == list(range(EMITS)), "each thread's emits in order"
        assert [args[2:] for args in mine] == [
            [b64(bytes([t, i]))] if i % 10 == 0 else [] for i in range(EMITS)]
