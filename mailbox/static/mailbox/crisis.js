/* 心灵信箱: the crisis phrase check in the browser, before the letter is sent.
 *
 * The phrase list is the repository's mailbox/crisis_phrases.json, written into the page by the
 * server (<script type="application/json" id="mailbox-crisis-data">); the check itself, the same
 * as the server's, is crisis_check.js.
 *
 * While the writer types, a match reveals the crisis panel (#mailbox-crisis) right above the
 * text box; the letter can still be sent, and the server checks it again. Exposes
 * window.SunshineCrisis = {normalise, find} for the page and the tests. */
import { makeChecker } from "./crisis_check.js";

function loadData() {
  const node = document.getElementById("mailbox-crisis-data");
  if (!node) return null;
  try {
    return JSON.parse(node.textContent);
  } catch (e) {
    return null;
  }
}

const data = loadData();
if (data) start(data);

function start(data) {
  const checker = makeChecker(data);
  window.SunshineCrisis = checker;

  const panel = document.getElementById("mailbox-crisis");
  const field = document.getElementById("id_body");
  if (!panel || !field) return;

  let timer = null;
  function check() {
    if (checker.find(field.value).length && panel.hidden) {
      panel.hidden = false;
      // role="alert" announces it; it is shown above the text box, covering nothing.
      panel.scrollIntoView({ block: "start" });
    }
  }
  field.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(check, 250);
  });
  field.form.addEventListener("submit", check);
  check();
}
