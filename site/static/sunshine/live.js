// Pages are cached for a few minutes, so a live event's status is brought up to date on the
// visitor's own clock: 即将开始 → 正在直播 → 已结束 / 可看回放. Without JavaScript the status
// shown is the one from when the page was built.
(function () {
  var labels = { upcoming: "即将开始", live: "正在直播", ended: "已结束", replay: "可看回放" };
  function update() {
    var now = Date.now();
    document.querySelectorAll("[data-live-event]").forEach(function (el) {
      var starts = Date.parse(el.getAttribute("data-starts-at"));
      var ends = Date.parse(el.getAttribute("data-ends-at"));
      if (isNaN(starts) || isNaN(ends)) return;
      var status = now < starts ? "upcoming" : now <= ends ? "live" : "ended";
      var badge = el.querySelector("[data-live-status]");
      if (badge) {
        var shown = status === "ended" && el.getAttribute("data-has-replay") ? "replay" : status;
        badge.textContent = labels[shown];
        badge.className = "status status-" + status;
      }
      var join = el.querySelector("[data-live-only]");
      if (join) join.hidden = status === "ended";
    });
  }
  update();
  setInterval(update, 30000);
})();
