// Pages are cached for a few minutes, so a live event's status is brought up to date on the
// visitor's own clock: 即将开始 → 正在直播 → 已结束 / 可看回放. Without JavaScript the status
// shown is the one from when the page was built.
const labels = { upcoming: "即将开始", live: "正在直播", ended: "已结束", replay: "可看回放" };
function update() {
  const now = Date.now();
  document.querySelectorAll("[data-live-event]").forEach(function (el) {
    const starts = Date.parse(el.getAttribute("data-starts-at"));
    const ends = Date.parse(el.getAttribute("data-ends-at"));
    if (isNaN(starts) || isNaN(ends)) return;
    const status = now < starts ? "upcoming" : now <= ends ? "live" : "ended";
    const badge = el.querySelector("[data-live-status]");
    if (badge) {
      const shown = status === "ended" && el.getAttribute("data-has-replay") ? "replay" : status;
      badge.textContent = labels[shown];
      badge.className = "status status-" + status;
    }
    const join = el.querySelector("[data-live-only]");
    if (join) join.hidden = status === "ended";
  });
}
update();
setInterval(update, 30000);
