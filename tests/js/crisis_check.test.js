// 心灵信箱's crisis check in the browser (mailbox/static/mailbox/crisis_check.js) agrees with the
// server's (mailbox/crisis.py) on the server's own examples: tests/mailbox/test_crisis.py's
// true and false positives, read from that file, with the real phrase list.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";

import { makeChecker } from "../../mailbox/static/mailbox/crisis_check.js";

const root = new URL("../../", import.meta.url);
const data = JSON.parse(readFileSync(new URL("mailbox/crisis_phrases.json", root), "utf8"));
const serverTests = readFileSync(new URL("tests/mailbox/test_crisis.py", root), "utf8");

function listed(name) {
  const block = serverTests.match(new RegExp(`^${name} = \\[\\n([\\s\\S]*?)^\\]`, "m"))[1];
  return block
    .split("\n")
    .map((line) => line.replace(/#.*$/, "").trim())
    .filter(Boolean)
    .map((line) => JSON.parse(`[${line.replace(/,$/, "").replace(/^\((.*)\)$/, "$1")}]`));
}

const checker = makeChecker(data);

describe("the crisis check in the browser", () => {
  const truePositives = listed("TRUE_POSITIVES");
  const falsePositives = listed("FALSE_POSITIVES");

  it("reads the server's examples", () => {
    assert.ok(truePositives.length >= 10 && falsePositives.length >= 10);
  });

  it("recognises what the server recognises", () => {
    for (const [text, category] of truePositives) {
      const found = checker.find(text).map((match) => match.category);
      assert.ok(found.includes(category), `${text}: ${found}`);
    }
  });

  it("leaves alone the everyday words the server leaves alone", () => {
    for (const [text] of falsePositives) assert.deepEqual(checker.find(text), [], text);
  });

  it("normalises full-width, separators and traditional characters as the server does", () => {
    assert.equal(checker.normalise("Ａ Ｂ　１２\u200b殺"), "ab12杀");
  });
});
