// 心灵信箱: the crisis phrase check itself, no DOM: the page's script (crisis.js) and node's
// test runner (tests/js/crisis_check.test.js, on the server's own examples) import it.
// Normalised exactly as the server's mailbox/crisis.py does: NFKC (full-width to half-width),
// lower case, separators between characters removed, listed traditional characters to
// simplified, exclusions cut out.
const SEPARATORS = /[\s\u200b-\u200d\u2060\ufeff·•・*_~\-—.…]+/g;
const CUT = "|";

export function makeChecker(data) {
  const traditional = data.traditional || {};

  function normalise(text) {
    let out = String(text || "");
    if (out.normalize) out = out.normalize("NFKC");
    out = out.toLowerCase().replace(SEPARATORS, "");
    const chars = Array.from(out);
    for (let i = 0; i < chars.length; i += 1) {
      if (Object.prototype.hasOwnProperty.call(traditional, chars[i])) {
        chars[i] = traditional[chars[i]];
      }
    }
    return chars.join("");
  }

  function find(text) {
    let cleaned = normalise(text);
    (data.exclusions || []).forEach(function (exclusion) {
      cleaned = cleaned.split(exclusion).join(CUT);
    });
    const found = [];
    Object.keys(data.phrases || {}).forEach(function (category) {
      data.phrases[category].forEach(function (phrase) {
        if (cleaned.indexOf(phrase) !== -1) found.push({ category: category, phrase: phrase });
      });
    });
    return found;
  }

  return { normalise: normalise, find: find };
}
