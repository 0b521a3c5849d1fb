// "下载全部": ask whether the zip is built; if not, wait (it is built in the background) and
// then start the download. Without JavaScript the link opens a page that refreshes itself.
document.addEventListener("click", function (event) {
  const link = event.target.closest(".kit-bundle__button");
  if (!link) return;
  const box = link.closest(".kit-bundle");
  const status = box.querySelector(".kit-bundle__status");
  event.preventDefault();
  let tries = 0;
  function check() {
    fetch(box.dataset.bundleUrl, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (r) {
        return r.json().then(function (d) {
          d._status = r.status;
          return d;
        });
      })
      .then(function (d) {
        if (d.status === "ready") {
          status.textContent = "开始下载…";
          window.location.href = link.href;
          return;
        }
        if (d._status === 401) {
          status.textContent = d.error;
          window.location.href = link.href;
          return;
        }
        if (d.status === "failed" || tries++ > 100) {
          status.textContent = d.error || "打包失败，请逐个下载。";
          return;
        }
        status.textContent = "正在打包全部材料，请稍候…";
        setTimeout(check, 2000);
      })
      .catch(function () {
        status.textContent = "网络错误，请稍后再试。";
      });
  }
  check();
});
