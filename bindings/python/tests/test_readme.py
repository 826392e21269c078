"""The README's examples, run as they are written (with the test server's URL)."""

import re
from pathlib import Path

from support import b64

README = Path(__file__).resolve().parents[1] / "README.md"


def run_example(index, server):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert len(blocks) == 2
    exec(blocks[index].replace("http://localhost:3000", server.url), {})


def test_readme_example(server, capsys):
    run_example(0, server)

    hello = server.expect(lambda r: r.get("event") == "hello" and r["ns"] == "/admin")
    assert hello["args"] == ["world", b64(b"\x00\x01")]
    assert server.expect(lambda r: r["type"] == "ask_reply")["args"] == ["42"]
    assert server.expect(lambda r: r["type"] == "connect")["auth"] == {"token": "secret"}
    # Printed by handlers on the dispatch thread and by the main thread: in any order.
    out = sorted(capsys.readouterr().out.splitlines())
    assert len(out) == 3
    assert out[0] == "[{'n': 1}]"
    assert out[1].startswith("joined /admin as ")
    assert out[2].startswith("welcome {'ns': '/admin', 'sid': ")


def test_readme_event_loop_example(server, capsys):
    run_example(1, server)
    assert server.expect(lambda r: r["type"] == "connect")["auth"] == {"token": "fresh"}
    assert capsys.readouterr().out == "echo hi\n"
