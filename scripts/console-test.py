#!/usr/bin/env python3
"""Drives the web console in headless Chromium (Selenium + Debian's chromium-driver) against a
live `lmserve serve` of the bundled models, and checks it against the REST API:

- the server runs with API keys: the page's first request gets 401, the console asks for the key,
  and with it entered every request carries it (the rest of the run passes only so);
- the page loads with no errors in the browser's console (but that expected 401), and every form
  control has a label;
- the Status panel lists the models of GET /v1/models;
- a perplexity run colours as many tokens as the API scores, each with the API's logprob, and
  shows the API's total perplexity; two models side by side likewise; hover and ← → show a
  token's detail;
- a streamed completion's text grows piece by piece and ends equal to the API's text for the
  same seed; hovering a piece shows its alternatives;
- after a short `lmserve bench` run the charts have data;
- the request log's filters narrow the rows to what GET /admin/requests returns, and paging
  shows the next rows.

Waits are Selenium's explicit waits on conditions; their timeout (HANG_GUARD) only stops a hung
run. Screenshots go to .build/console-test/ (not committed).

Usage: scripts/console-test.py [--bin PATH] [--shots DIR]   (LMSERVE_BIN also names the binary)
"""
import argparse
import json
import math
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

ROOT = pathlib.Path(__file__).resolve().parent.parent
HANG_GUARD = 120  # seconds: only a stuck run waits this long

PPL_TEXT = (
    "In the beginning God created the heaven and the earth.\n"
    "And the earth was without form, and void; and darkness was upon the face of the deep.\n"
    "The quick brown fox jumps over the lazy dog.\n"
)


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


class Server:
    """`lmserve serve --config deploy/lmserve.yaml` on a free port with a fresh request log."""

    def __init__(self, binary):
        self.dir = tempfile.mkdtemp(prefix="lmserve-console-")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        keys = os.path.join(self.dir, "keys.json")
        self.key = subprocess.run(
            [binary, "keys", "add", "console", "--scopes", "infer,admin,metrics", "--keys-file", keys],
            check=True, capture_output=True, text=True, timeout=HANG_GUARD).stdout.strip()
        self.auth = {"Authorization": "Bearer " + self.key}
        self.log = open(os.path.join(self.dir, "server.log"), "wb")
        self.process = subprocess.Popen(
            [binary, "serve", "--config", str(ROOT / "deploy/lmserve.yaml"), "--port", str(self.port),
             "--db", os.path.join(self.dir, "requests.db"), "--keys-file", keys, "--log-level", "warning"],
            stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self):
        # Polls /ready while the server lives; the cap is a hang guard (models load slowly on a
        # busy machine).
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            check(self.process.poll() is None, "the server exited before it was ready:\n" + self.output())
            try:
                with urllib.request.urlopen(self.url + "/ready", timeout=5) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError):
                pass
            time.sleep(0.2)
        raise Failure("the server did not become ready:\n" + self.output())

    def get(self, path):
        with urllib.request.urlopen(urllib.request.Request(self.url + path, headers=self.auth), timeout=HANG_GUARD) as r:
            return json.loads(r.read())

    def post(self, path, body):
        request = urllib.request.Request(
            self.url + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json", **self.auth})
        try:
            with urllib.request.urlopen(request, timeout=HANG_GUARD) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def output(self):
        self.log.flush()
        return pathlib.Path(self.dir, "server.log").read_text(errors="replace")[-4000:]

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def browser():
    for program in ["chromium", "chromedriver"]:
        check(shutil.which(program), f"{program} is missing: scripts/setup.sh --tests installs chromium and chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1440,1000", "--force-device-scale-factor=1", "--lang=en-US"]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = webdriver.ChromeService(executable_path=shutil.which("chromedriver"))
    return webdriver.Chrome(options=options, service=service)


class ConsoleTest:
    def __init__(self, driver, server, shots):
        self.driver = driver
        self.server = server
        self.shots = shots
        self.wait = WebDriverWait(driver, HANG_GUARD)

    # Helpers

    def testid(self, name):
        return self.driver.find_elements(By.CSS_SELECTOR, f'[data-testid="{name}"]')

    def one(self, name):
        elements = self.testid(name)
        check(len(elements) == 1, f"expected one data-testid={name}, found {len(elements)}")
        return elements[0]

    def until(self, condition, what):
        try:
            return self.wait.until(lambda _: condition())
        except Exception as error:
            raise Failure(f"timed out waiting for {what}: {error.__class__.__name__}") from None

    def choose(self, testid, value):
        """Selects the option whose value (its value attribute, or else its text) is `value`."""
        select = Select(self.one(testid))
        for index, option in enumerate(select.options):
            if option.get_attribute("value") == value:
                return select.select_by_index(index)
        raise Failure(f"{testid} has no option {value!r}")

    def show(self, panel):
        self.driver.find_element(By.ID, "tab-" + panel).click()
        self.until(lambda: self.driver.find_element(By.ID, "panel-" + panel).is_displayed(), f"the {panel} panel")

    def shot(self, name):
        path = self.shots / f"{name}.png"
        self.driver.save_screenshot(str(path))
        print(f"  screenshot {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")

    def errors(self):
        # The one 401 before the key was entered is expected (and checked in page_and_models).
        return [e for e in self.driver.get_log("browser") if e["level"] == "SEVERE"
                and not (self.unauthorized_allowed and "401 (Unauthorized)" in e["message"])]

    unauthorized_allowed = True

    # The checks

    def page_and_models(self):
        self.driver.get(self.server.url + "/")
        # No key yet: the API answers 401 and the console asks for one.
        dialog = self.driver.find_element(By.ID, "key-dialog")
        self.until(dialog.is_displayed, "the key dialog after the first 401")
        check("API key" in self.driver.find_element(By.ID, "key-reason").text, "the dialog does not say what the server asked")
        self.driver.find_element(By.ID, "key-input").send_keys(self.server.key)
        self.driver.find_element(By.CSS_SELECTOR, '#key-form button[value="save"]').click()
        self.until(lambda: not dialog.is_displayed(), "the key dialog to close")
        check(self.driver.find_element(By.ID, "key-open").text == "API key: set", "the header does not show the key as set")
        self.driver.get_log("browser")  # drops the expected 401s; later ones count as errors
        self.unauthorized_allowed = False
        api = [m["id"] for m in self.server.get("/v1/models")["data"]]
        check(api, "the server lists no model")
        self.until(lambda: len(self.testid("model-row")) == len(api), "one model-row per model")
        rows = self.testid("model-row")
        check([r.get_attribute("data-model") for r in rows] == api, "model rows differ from /v1/models")
        for row, name in zip(rows, api):
            check(name in row.text, f"model row does not show {name!r}: {row.text!r}")
        for select in ["ppl-model", "cmp-model"]:
            options = [o.get_attribute("value") for o in Select(self.one(select)).options]
            check(options == api, f"{select} offers {options}, the API lists {api}")
        unlabelled = self.driver.execute_script("""
            return [...document.querySelectorAll("input, select, textarea")].filter((c) =>
                !(c.labels && c.labels.length) && !c.getAttribute("aria-label")).map((c) => c.id || c.outerHTML);
        """)
        check(not unlabelled, f"form controls without a label: {unlabelled}")
        # Tabs by keyboard (WAI-ARIA): → from Status selects Perplexity.
        self.driver.find_element(By.ID, "tab-status").send_keys(Keys.ARROW_RIGHT)
        self.until(lambda: self.driver.find_element(By.ID, "panel-perplexity").is_displayed(), "→ to move between tabs")
        check(self.driver.switch_to.active_element.get_attribute("id") == "tab-perplexity", "→ did not move the focus")
        print(f"ok key asked for after a 401 and sent; page loads, {len(api)} models as in /v1/models, "
              "every control labelled, tabs by keyboard")
        return api

    def run_perplexity(self, model, compare=""):
        self.show("perplexity")
        text = self.one("ppl-text")
        text.clear()
        text.send_keys(PPL_TEXT)
        Select(self.one("ppl-model")).select_by_value(model)
        Select(self.one("ppl-model-b")).select_by_value(compare)
        before = self.driver.find_elements(By.CSS_SELECTOR, "#ppl-results .ppl-pane")
        self.one("ppl-submit").click()
        # The results are replaced in one step when every request has answered.
        self.until(lambda: self.testid("ppl-total") and (not before or not self.is_attached(before[0])),
                   "the perplexity results")

    def detail_pairs(self, panel):
        """The term → value pairs of a detail panel's definition list."""
        return self.driver.execute_script("""
            const pairs = {};
            for (const dt of document.querySelectorAll("#" + arguments[0] + " dt")) pairs[dt.textContent] = dt.nextElementSibling.textContent;
            return pairs;
        """, panel)

    def is_attached(self, element):
        try:
            return self.driver.execute_script("return arguments[0].isConnected", element)
        except StaleElementReferenceException:
            return False

    def check_pane(self, token_id, total_id, model):
        status, api = self.server.post("/v1/perplexity", {"model": model, "text": PPL_TEXT, "per_token": True})
        check(status == 200, f"POST /v1/perplexity {model}: {status} {api}")
        expected = [t for r in api["results"] for t in r["per_token"]]
        check(len(expected) == api["total"]["tokens"], "the API's per_token list and its total disagree")
        tokens = self.testid(token_id)
        check(len(tokens) == len(expected), f"{model}: {len(tokens)} coloured tokens, the API scored {len(expected)}")
        check(any(t["token"] == "</s>" for t in expected), "no </s> in the API's tokens")
        for shown, want in zip(tokens, expected):
            check(shown.text == want["token"], f"{model}: token {shown.text!r}, the API has {want['token']!r}")
            check(float(shown.get_attribute("data-logprob")) == want["logprob"],
                  f"{model}: {want['token']!r} logprob {shown.get_attribute('data-logprob')} != {want['logprob']}")
            check(shown.value_of_css_property("background-color") not in ("", "rgba(0, 0, 0, 0)"),
                  f"{model}: token {want['token']!r} is not coloured")
        total = self.one(total_id)
        shown_total = float(total.get_attribute("data-value"))
        check(math.isclose(shown_total, api["total"]["perplexity"], rel_tol=1e-12),
              f"{model}: total perplexity {shown_total} != the API's {api['total']['perplexity']}")
        return tokens, expected

    def perplexity(self, models):
        first = models[0]
        self.run_perplexity(first)
        tokens, expected = self.check_pane("ppl-token", "ppl-total", first)
        # Hover shows a token's detail; → moves the focus (and the detail) to the next token.
        ActionChains(self.driver).move_to_element(tokens[2]).perform()
        detail = self.driver.find_element(By.ID, "ppl-detail")
        self.until(lambda: expected[2]["token"] in detail.text and "logprob" in detail.text, "the hovered token's detail")
        tokens[0].click()
        tokens[0].send_keys(Keys.ARROW_RIGHT)
        self.until(lambda: self.driver.switch_to.active_element == tokens[1], "→ to move to the next token")
        self.until(lambda: self.detail_pairs("ppl-detail").get("token") == expected[1]["token"], "the focused token's detail")
        pairs = self.detail_pairs("ppl-detail")
        check({"logprob (ln)", "n-gram length", "OOV"} <= pairs.keys(), f"the detail lacks a field: {pairs}")
        check(pairs["OOV"] == ("yes" if expected[1]["oov"] else "no"), f"OOV shown as {pairs['OOV']}")
        if "ngram_length" in expected[1]:
            check(pairs["n-gram length"] == str(expected[1]["ngram_length"]), f"n-gram length shown as {pairs['n-gram length']}")
        print(f"ok perplexity: {len(tokens)} tokens with the API's logprobs, total {self.one('ppl-total').text}")
        if len(models) > 1:
            second = models[1]
            self.run_perplexity(first, second)
            self.check_pane("ppl-token", "ppl-total", first)
            self.check_pane("ppl-token-b", "ppl-total-b", second)
            self.shot("perplexity")
            print(f"ok perplexity side by side: {first} and {second}")

    def completion(self, model):
        self.show("completions")
        body = {"model": model, "prompt": "And God said", "max_tokens": 40, "seed": 3, "logprobs": 5}
        prompt = self.one("cmp-prompt")
        prompt.clear()
        prompt.send_keys(body["prompt"])
        Select(self.one("cmp-model")).select_by_value(model)
        for field, value in [("cmp-max-tokens", body["max_tokens"]), ("cmp-seed", body["seed"]), ("cmp-logprobs", body["logprobs"])]:
            element = self.driver.find_element(By.ID, field)
            element.clear()
            element.send_keys(str(value))
        check(self.driver.find_element(By.ID, "cmp-stream").is_selected(), "streaming is not the default")
        # Records the output's text after every change, in order, as the page builds it.
        self.driver.execute_script("""
            const node = arguments[0];
            window.cmpTexts = [];
            new MutationObserver((records) => {
                let text = node.textContent;
                const seen = [];
                for (let i = records.length - 1; i >= 0; i--) {
                    seen.unshift(text);
                    for (const added of records[i].addedNodes) text = text.slice(0, text.length - added.textContent.length);
                }
                window.cmpTexts.push(...seen);
            }).observe(node, { childList: true });
        """, self.one("cmp-output"))
        self.one("cmp-submit").click()
        output = self.one("cmp-output")
        self.until(lambda: output.get_attribute("data-state") in ("done", "failed"), "the completion to finish")
        check(output.get_attribute("data-state") == "done", self.driver.find_element(By.ID, "cmp-status").text)
        status, api = self.server.post("/v1/completions", body)
        check(status == 200, f"POST /v1/completions: {status} {api}")
        want = api["choices"][0]["text"]
        texts = []
        for text in self.driver.execute_script("return window.cmpTexts"):
            if text and (not texts or texts[-1] != text):
                texts.append(text)
        check(output.get_attribute("textContent") == want,
              f"streamed text {output.get_attribute('textContent')!r} != the API's {want!r}")
        check(len(texts) >= 2, f"the text did not grow piece by piece: {texts}")
        check(all(a != b and b.startswith(a) for a, b in zip(texts, texts[1:])), f"the text did not only grow: {texts}")
        check(texts[-1] == want, "the last text differs from the API's")
        pieces = self.driver.find_elements(By.CSS_SELECTOR, "#cmp-output .ctok")
        ActionChains(self.driver).move_to_element(pieces[0]).perform()
        detail = self.driver.find_element(By.ID, "cmp-detail")
        self.until(lambda: "Alternatives" in detail.text, "a piece's alternatives on hover")
        alternatives = detail.find_elements(By.CSS_SELECTOR, "table.alternatives tbody tr")
        check(1 <= len(alternatives) <= body["logprobs"], f"{len(alternatives)} alternatives for logprobs {body['logprobs']}")
        self.shot("completions")
        print(f"ok completion streamed in {len(texts)} steps, equal to the API's text for seed {body['seed']}")

    def charts(self, binary, model):
        bench = subprocess.run(
            [binary, "bench", "--url", self.server.url, "--model", model, "--concurrency", "4", "--duration", "2", "--json"],
            check=True, capture_output=True, text=True, timeout=HANG_GUARD,
            env={**os.environ, "LMSERVE_API_KEY": self.server.key})
        report = json.loads(bench.stdout.strip().splitlines()[-1])
        check(report["requests"] > 0, f"lmserve bench made no request: {report}")
        self.show("status")

        def figure(chart, key):
            return float(self.one(chart).get_attribute("data-" + key) or 0)

        # The bench's requests appear once their seconds are complete (the next poll after that):
        # the requests chart then holds at least as many as the bench made.
        self.until(lambda: figure("chart-requests", "sum") >= report["requests"],
                   f"the requests chart to count the bench's {report['requests']} requests")
        for chart in ["chart-latency", "chart-tokens", "chart-batch"]:
            self.until(lambda: figure(chart, "points") > 0, f"{chart} to have data")
        legend = self.one("chart-queue").text
        check(model in legend, f"the queue chart has no series for {model}: {legend!r}")
        self.until(lambda: self.driver.find_element(By.ID, "tile-tokens").text not in ("", "–"), "the tokens/s tile")
        self.shot("status")
        print(f"ok charts have data after lmserve bench ({report['requests']} requests): " + ", ".join(
            f"{c} {figure(c, 'points'):.0f} points" for c in ["chart-requests", "chart-latency", "chart-tokens", "chart-batch"]))

    def request_log(self, model):
        status, _ = self.server.post("/v1/perplexity", {"model": "no-such-model", "text": "a"})
        check(status == 404, f"an unknown model answered {status}")

        def api_rows(**query):
            return self.server.get("/admin/requests?" + urllib.parse.urlencode({"limit": 51, **query}))

        # The log's writer runs behind the requests: wait until it holds the 404.
        self.until(lambda: api_rows(status="4xx"), "the request log to hold the 404")
        self.show("requests")
        page_size = int(Select(self.driver.find_element(By.ID, "log-page-size")).first_selected_option.text)

        def shown():
            # One script call: the rows may be replaced between two WebDriver calls.
            return self.driver.execute_script(
                'return [...document.querySelectorAll(\'[data-testid="log-row"]\')].map((r) => r.dataset.requestId)')

        self.until(lambda: len(shown()) == page_size, "a full first page of the log")
        first_page = shown()
        for select, value, query in [
            ("log-route", "/v1/completions", {"route": "/v1/completions"}),
            ("log-status", "4xx", {"route": "/v1/completions", "status": "4xx"}),
        ]:
            self.choose(select, value)
            want = [r["request_id"] for r in api_rows(**query)]
            self.until(lambda: shown() == want, f"the rows filtered by {query} ({len(want)} from the API)")
            print(f"ok log filter {query}: {len(shown())} rows")
        check(not shown(), "completions with a 4xx: none expected")
        self.choose("log-route", "")
        want = [r["request_id"] for r in api_rows(status="4xx")]
        self.until(lambda: shown() == want, "the 4xx rows")
        check(len(want) >= 1 and len(want) < len(first_page), "the 4xx filter did not narrow the log")
        self.choose("log-status", "")
        self.choose("log-model", model)
        self.choose("log-since", "5m")
        want = [r["request_id"] for r in api_rows(model=model, since="5m")][:page_size]
        check(len(want) == page_size, f"only {len(want)} rows of {model}: the bench should have left more")
        self.until(lambda: shown() == want, f"the rows of {model} in the last 5 minutes")
        # Paging: "Older" shows the rows after the first page, as the API's offset does.
        older = self.driver.find_element(By.ID, "log-older")
        check(older.is_enabled(), "no older page after a full page")
        current = shown()
        older.click()
        self.until(lambda: shown() and shown()[0] not in current, "the next page")
        page = shown()
        api_page = [r["request_id"] for r in self.server.get(
            "/admin/requests?" + urllib.parse.urlencode({"model": model, "since": "5m", "limit": page_size, "offset": page_size}))]
        check(page == api_page, f"page 2 differs from the API's rows at offset {page_size}")
        check(not set(page) & set(current), "pages 1 and 2 overlap")
        # By keyboard: Enter on a focused row shows its detail.
        self.testid("log-row")[0].send_keys(Keys.ENTER)
        detail = self.driver.find_element(By.ID, "log-detail")
        self.until(lambda: self.detail_pairs("log-detail").get("request_id") == page[0], "a row's detail")
        self.shot("requests")
        print(f"ok log paging: page 2 starts where the API's offset {page_size} does; a row's detail shows")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bin", default=os.environ.get("LMSERVE_BIN", str(ROOT / ".build/release/lmserve")))
    parser.add_argument("--shots", default=str(ROOT / ".build/console-test"))
    args = parser.parse_args()
    shots = pathlib.Path(args.shots)
    shots.mkdir(parents=True, exist_ok=True)
    (shots / "failure.png").unlink(missing_ok=True)
    server = Server(args.bin)
    driver = None
    try:
        server.wait_ready()
        driver = browser()
        test = ConsoleTest(driver, server, shots)
        models = test.page_and_models()
        test.perplexity(models)
        test.completion(models[0])
        test.charts(args.bin, models[0])
        test.request_log(models[0])
        errors = test.errors()
        check(not errors, "errors in the browser's console:\n" + "\n".join(e["message"] for e in errors))
        print("ok no errors in the browser's console")
    except Failure as failure:
        if driver is not None:
            try:
                driver.save_screenshot(str(shots / "failure.png"))
                for entry in driver.get_log("browser"):
                    print("  browser:", entry["level"], entry["message"], file=sys.stderr)
            except Exception:
                pass
        print(f"console-test: FAILED: {failure}", file=sys.stderr)
        print(server.output(), file=sys.stderr)
        return 1
    finally:
        if driver is not None:
            driver.quit()
        server.stop()
    print("console-test: all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
