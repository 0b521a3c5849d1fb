/* 心灵信箱: the crisis phrase check in the browser, before the letter is sent.
 *
 * The phrase list is the repository's mailbox/crisis_phrases.json, written into the page by the
 * server (<script type="application/json" id="mailbox-crisis-data">), and normalised exactly as
 * sunshine_mailbox/crisis.py does: NFKC (full-width to half-width), lower case, separators
 * between characters removed, listed traditional characters to simplified, exclusions cut out.
 *
 * While the writer types, a match reveals the crisis panel (#mailbox-crisis) right above the
 * text box; the letter can still be sent, and the server checks it again. Exposes
 * window.SunshineCrisis = {normalise, find} for the page and the tests. */
(function () {
  "use strict";

  var SEPARATORS = /[\s\u200b-\u200d\u2060\ufeff·•・*_~\-—.…]+/g;
  var CUT = "|";

  function loadData() {
    var node = document.getElementById("mailbox-crisis-data");
    if (!node) return null;
    try { return JSON.parse(node.textContent); } catch (e) { return null; }
  }

  function makeChecker(data) {
    var traditional = data.traditional || {};

    function normalise(text) {
      var out = String(text || "");
      if (out.normalize) out = out.normalize("NFKC");
      out = out.toLowerCase().replace(SEPARATORS, "");
      var chars = Array.from(out);
      for (var i = 0; i < chars.length; i += 1) {
        if (Object.prototype.hasOwnProperty.call(traditional, chars[i])) {
          chars[i] = traditional[chars[i]];
        }
      }
      return chars.join("");
    }

    function find(text) {
      var cleaned = normalise(text);
      (data.exclusions || []).forEach(function (exclusion) {
        cleaned = cleaned.split(exclusion).join(CUT);
      });
      var found = [];
      Object.keys(data.phrases || {}).forEach(function (category) {
        data.phrases[category].forEach(function (phrase) {
          if (cleaned.indexOf(phrase) !== -1) found.push({ category: category, phrase: phrase });
        });
      });
      return found;
    }

    return { normalise: normalise, find: find };
  }

  var data = loadData();
  if (!data) return;
  var checker = makeChecker(data);
  window.SunshineCrisis = checker;

  var panel = document.getElementById("mailbox-crisis");
  var field = document.getElementById("id_body");
  if (!panel || !field) return;

  var timer = null;
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
}());
