"""A real headless Chromium (Debian's `chromium` package) driven over the DevTools protocol.

`render(path, screenshot)` opens a local HTML file, waits for the load event, collects every console
error, uncaught exception and failed load the page reports, saves a PNG screenshot of the whole page
and returns what it collected. No mocks: it is the browser a reader would use.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ARTIFACT_DIR = Path(__file__).resolve().parents[1] / ".ci" / "artifacts"  # kept by CI, printed by the test


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        raise RuntimeError("chromium is not installed: `apt-get install -y chromium` (.ci/run does this)")
    return found


@dataclass
class PageReport:
    errors: list[str] = field(default_factory=list)
    title: str = ""
    width: int = 0
    height: int = 0


def render(page: Path, screenshot: Path, width: int = 1200, timeout: float = 90.0) -> PageReport:
    from websockets.sync.client import connect

    profile = Path(tempfile.mkdtemp(prefix="chromium-"))
    proc = subprocess.Popen(
        [chromium(), "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--remote-debugging-port=0",
         f"--user-data-dir={profile}", f"--window-size={width},900", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while not (port_file.exists() and port_file.read_text().count("\n") >= 1):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("chromium did not start its DevTools endpoint")
            time.sleep(0.1)
        port = port_file.read_text().splitlines()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=timeout) as answer:
            targets = json.loads(answer.read().decode())
        ws_url = next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")
        report = PageReport()
        with connect(ws_url, max_size=None, open_timeout=timeout) as ws:
            counter = iter(range(1, 10**6))

            def call(method: str, **params) -> dict:
                ident = next(counter)
                ws.send(json.dumps({"id": ident, "method": method, "params": params}))
                while True:
                    message = json.loads(ws.recv(timeout=max(deadline - time.monotonic(), 1)))
                    if message.get("id") == ident:
                        if "error" in message:
                            raise RuntimeError(f"{method}: {message['error']}")
                        return message.get("result", {})
                    collect(message)

            def collect(message: dict) -> None:
                method, params = message.get("method"), message.get("params", {})
                if method == "Runtime.exceptionThrown":
                    report.errors.append(f"exception: {params['exceptionDetails'].get('text')}")
                elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                    report.errors.append("console." + params["type"] + ": " + " ".join(
                        str(a.get("value", a.get("description", ""))) for a in params.get("args", [])))
                elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                    report.errors.append(f"log: {params['entry'].get('text')} {params['entry'].get('url', '')}")
                elif method == "Network.loadingFailed":
                    report.errors.append(f"load failed: {params.get('errorText')}")
                elif method == "Page.loadEventFired":
                    loaded.append(True)

            loaded: list[bool] = []
            for domain in ("Page", "Runtime", "Log", "Network"):
                call(f"{domain}.enable")
            call("Page.navigate", url=page.resolve().as_uri())
            while not loaded:
                collect(json.loads(ws.recv(timeout=max(deadline - time.monotonic(), 1))))
            time.sleep(0.3)  # late console messages
            metrics = call("Page.getLayoutMetrics")["cssContentSize"]
            report.width, report.height = int(metrics["width"]), int(metrics["height"])
            report.title = call("Runtime.evaluate", expression="document.title")["result"].get("value", "")
            shot = call("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                        clip={"x": 0, "y": 0, "width": report.width, "height": report.height, "scale": 1})
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            screenshot.write_bytes(base64.b64decode(shot["data"]))
        return report
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(profile, ignore_errors=True)
