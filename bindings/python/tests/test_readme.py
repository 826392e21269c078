"""The README's example, run as it is written (with the test server's URL)."""

import re
from pathlib import Path

from support import b64

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_example(server, capsys):
    (code,) = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    exec(code.replace("http://localhost:3000", server.url), {})

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
